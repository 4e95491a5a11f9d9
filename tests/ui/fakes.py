"""A job runner that runs nothing until the test says how a job ends.

UI tests need runs that start, report progress and output, and end exactly when the
test wants, with no threads: the engine talks to this exactly as to the JobRunner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.model import Outcome, StopReason
from engine.workers import WorkContext, WorkResult


@dataclass
class FakeJob:
    task_id: str
    ctx: WorkContext
    worker: Any
    priority: int


class FakeRunner(QObject):
    progress = Signal(str, object, str)
    output = Signal(str, str)
    notify = Signal(str, str)
    finished = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: dict[str, FakeJob] = {}

    def submit(self, worker: Any, ctx: WorkContext, priority: int = 0) -> FakeJob:
        job = FakeJob(ctx.task_id, ctx, worker, priority)
        self.jobs[ctx.task_id] = job
        return job

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> bool:
        job = self.jobs.get(task_id)
        if job is None:
            return False
        job.ctx.cancel(reason)
        self.finish(task_id, Outcome.CANCELLED)
        return True

    def finish(self, task_id: str, outcome: Outcome = Outcome.SUCCEEDED, exit_code: int | None = 0) -> None:
        job = self.jobs.pop(task_id)
        self.finished.emit(job, WorkResult(outcome, exit_code=exit_code))

    def wait_for_done(self, msecs: int = -1) -> bool:
        return True

    def shutdown(self, reason: StopReason = StopReason.SHUTDOWN, msecs: int = -1) -> bool:
        for task_id in list(self.jobs):
            self.cancel(task_id, reason)
        return True
