"""An engine stand-in with the facade's signals and reading methods, for UI tests that
must not depend on real runs (the tray's model, the quit prompt's choices).

Tasks are real ``engine.model.Task`` objects; the test moves them (``start``,
``progress``, ``finish``, ``schedule``) and the fake emits what the real facade emits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.clock import FakeClock
from engine.model import Kind, Outcome, Run, State, StopReason, Task, TaskSpec


class FakeEngine(QObject):
    task_added = Signal(object)
    task_changed = Signal(object)
    task_removed = Signal(str)
    run_started = Signal(object)
    run_progress = Signal(str, object, str)
    run_output = Signal(str, str)
    run_finished = Signal(object)
    reminder = Signal(object)
    error = Signal(str)

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.started = True
        self._tasks: dict[str, Task] = {}
        self._runs: dict[str, Run] = {}
        self._seq = 0
        self.dispatcher = SimpleNamespace(paused=False, max_deferred=4, wake=lambda: None)
        self.stopped = False
        self.cancelled: list[str] = []

    # -- what the test does -----------------------------------------------------------

    def add(self, args: tuple[str, ...], kind: Kind = Kind.IMMEDIATE, *, name: str | None = None,
            worker: str = "shell", at: datetime | None = None) -> Task:
        self._seq += 1
        state = State.SCHEDULED if kind is Kind.EXACT else State.ENQUEUED
        task = Task(f"t{self._seq}", TaskSpec(worker=worker, args=args, kind=kind, name=name, run_at=at),
                    state, self.clock.now(), next_run_at=at or self.clock.now())
        self._tasks[task.id] = task
        self.task_added.emit(task)
        return task

    def delete(self, task_id: str) -> None:
        del self._tasks[task_id]
        self.task_removed.emit(task_id)

    def start(self, task_id: str) -> None:
        task = self._set(task_id, State.RUNNING, next_run_at=None)
        self._runs[task_id] = Run(self._seq, task_id, 1, self.clock.now())
        self.task_changed.emit(task)
        self.run_started.emit(self._runs[task_id])

    def progress(self, task_id: str, fraction: float | None, message: str = "") -> None:
        self.run_progress.emit(task_id, fraction, message)

    def finish(self, task_id: str, outcome: Outcome = Outcome.SUCCEEDED,
               state: State = State.SUCCEEDED, reason: StopReason | None = None) -> None:
        run = replace(self._runs.pop(task_id), ended_at=self.clock.now(), outcome=outcome, stop_reason=reason)
        task = self._set(task_id, state)
        self.run_finished.emit(run)
        self.task_changed.emit(task)

    def _set(self, task_id: str, state: State, **changes: Any) -> Task:
        task = replace(self._tasks[task_id], state=state, **changes)
        self._tasks[task_id] = task
        return task

    # -- the facade -------------------------------------------------------------------

    def task(self, task_id: str, *, with_runs: bool = True) -> Task:
        return self._tasks[task_id]

    def tasks(self, *, state: State | None = None, kind: Kind | None = None, **_: Any) -> list[Task]:
        return [t for t in self._tasks.values()
                if (state is None or t.state is state) and (kind is None or t.kind is kind)]

    def is_running(self, task_id: str) -> bool:
        return task_id in self._runs

    def running_count(self, kind: Kind | None = None) -> int:
        return sum(1 for tid in self._runs if kind is None or self._tasks[tid].kind is kind)

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> Task:
        """Like the real one for a running task: the run ends (here at once) as cancelled."""
        self.cancelled.append(task_id)
        if task_id in self._runs:
            self.finish(task_id, Outcome.CANCELLED, State.CANCELLED, reason)
        return self._tasks[task_id]

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Like the real one: running tasks end as interrupted and go back to enqueued."""
        self.started = False
        self.stopped = True
        for task_id in list(self._runs):
            self.finish(task_id, Outcome.INTERRUPTED, State.ENQUEUED, StopReason.SHUTDOWN)
