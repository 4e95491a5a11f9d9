"""A ledger of a repeating task's windows (deferred ``--every``) or occurrences (exact
``--every``), read back from its runs: which ran, which were recorded as skipped or
coalesced, and which nothing explains. Worked out here from instants and counts,
independently of the engine's own window arithmetic, for the fake-clock tests and the
soak benchmark."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from engine import rules
from engine.model import Kind, Outcome, State, StopReason, Task

_MISSED_COALESCED = re.compile(r"^(\d+)\+? missed occurrences? from ")  # exact: fire-once / fire-all
_MISSED_SKIPPED = re.compile(r"^missed (\d+)\+? occurrences ")  # exact: skip or past the grace


@dataclass
class Ledger:
    pending: int  # the first window not decided yet (waited for, or running)
    what: dict[int, list[str]] = field(default_factory=dict)  # window index -> records

    @property
    def unaccounted(self) -> list[int]:
        return [k for k in range(self.pending) if not self.what.get(k)]

    @property
    def twice(self) -> list[int]:
        """Windows with a skip or coalesce record and something else besides. Several runs
        of one window are fine: a failure and its retry, an interruption and its rerun."""
        return [k for k, what in self.what.items() if len(what) > 1 and set(what) != {"ran"}]

    @property
    def early(self) -> list[int]:
        """Records for windows after the pending one: the future, decided."""
        return [k for k in self.what if k > self.pending]

    def counts(self) -> Counter[str]:
        return Counter(what[0] for k, what in self.what.items() if k < self.pending and what)


def ledger(task: Task) -> Ledger:
    """``task`` with its runs (Store.task(id) loads them)."""
    schedule = task.spec.schedule
    assert schedule is not None and schedule.every is not None, "windows of --every only"
    every = schedule.every
    exact = task.kind is Kind.EXACT
    if exact:
        assert task.spec.run_at is not None
        anchor = task.spec.run_at  # the first occurrence
    else:
        assert schedule.flex is None or schedule.flex == every, "window k opens at anchor + k·I without flex"
        anchor = rules.anchor_of(task)

    def index(instant: datetime) -> int:
        position = (instant - anchor).total_seconds() / every
        return round(position) if exact else math.floor(position + 1e-9)

    what: dict[int, list[str]] = {}

    def add(first: int, last: int, label: str) -> None:
        for k in range(first, last + 1):
            what.setdefault(k, []).append(label)

    ran_windows: list[int] = []
    for run in task.runs:
        if run.stop_reason in (StopReason.OVERLAP, StopReason.COALESCED):
            span = rules.recorded_windows(run.detail)
            assert span is not None, run.detail
            add(index(span[0]), index(span[1]), str(run.stop_reason))
        elif run.stop_reason is StopReason.MISSED and run.outcome is Outcome.CANCELLED:
            assert run.due_at is not None
            if m := _MISSED_COALESCED.match(run.detail or ""):
                first = index(run.due_at)
                add(first, first + int(m.group(1)) - 1, "coalesced")
            else:
                m = _MISSED_SKIPPED.match(run.detail or "")
                last = index(run.due_at)
                add(last - (int(m.group(1)) if m else 1) + 1, last, "missed")
        else:
            assert run.due_at is not None, run
            ran_windows.append(index(run.due_at))
            add(ran_windows[-1], ran_windows[-1], "ran")
    if task.state is State.RUNNING:
        pending = ran_windows[-1]
    elif task.next_run_at is not None:
        pending = index(task.next_run_at) if not exact else math.ceil(
            (task.next_run_at - anchor).total_seconds() / every - 1e-9)
    else:
        pending = max(what, default=-1) + 1
    return Ledger(pending, what)
