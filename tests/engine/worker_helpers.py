"""A WorkContext that records what a worker reports, for running workers directly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.workers.base import WorkContext


@dataclass
class Recorded:
    progress: list[tuple[float | None, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.log)


def make_ctx(
    args: Sequence[str],
    data: dict[str, Any] | None = None,
    on_progress: Callable[[WorkContext, float | None, str], None] | None = None,
) -> tuple[WorkContext, Recorded]:
    rec = Recorded()
    ctx = WorkContext(task_id="t1", attempt=1, args=tuple(args), input=data or {})

    def progress(fraction: float | None, message: str) -> None:
        rec.progress.append((fraction, message))
        if on_progress is not None:
            on_progress(ctx, fraction, message)

    ctx.on_progress = progress
    ctx.on_log = rec.log.append
    ctx.on_notify = rec.notes.append
    return ctx, rec
