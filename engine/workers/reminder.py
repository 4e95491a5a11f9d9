"""The ``reminder`` worker: hand a message to the engine's reminder signal (the tray shows it)."""

from __future__ import annotations

from collections.abc import Sequence

from engine.errors import BadSpecError
from engine.model import Outcome
from engine.workers.base import Worker, WorkContext, WorkResult


class ReminderWorker(Worker):
    name = "reminder"
    on_pool = False  # it only emits a signal: not worth a thread hop

    def validate(self, args: Sequence[str]) -> None:
        if len(args) != 1 or not isinstance(args[0], str) or not args[0].strip():
            raise BadSpecError("a reminder needs a message, e.g. workdeck remind --in 10m 'stand up'")

    def run(self, ctx: WorkContext) -> WorkResult:
        ctx.notify(ctx.args[0])
        return WorkResult(Outcome.SUCCEEDED)
