"""A fake JobRunner (engine.immediate.JobRunner's API) for the exact-work tests: runs end
when the fake clock turns (or when the test says), without threads."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock
from engine.model import Outcome, StopReason
from engine.workers.base import Worker, WorkContext, WorkResult


@dataclass(eq=False)
class FakeJob:
    task_id: str
    worker: Worker
    ctx: WorkContext
    priority: int = 0


class FakeRunner(QObject):
    """JobRunner's API. ``auto``: jobs end (succeeded) on the clock's next turn; commands
    are not run, reminders are (they only notify). ``results[task_id]`` overrides."""

    progress = Signal(str, object, str)
    output = Signal(str, str)
    notify = Signal(str, str)
    finished = Signal(object, object)

    def __init__(self, clock: Clock, *, auto: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.auto = auto
        self.pending: list[FakeJob] = []
        self.submitted: list[FakeJob] = []
        self.results: dict[str, WorkResult] = {}
        self._timer = clock.timer(self.finish_all)

    def submit(self, worker: Worker, ctx: WorkContext, priority: int = 0) -> FakeJob:
        job = FakeJob(ctx.task_id, worker, ctx, priority)
        ctx.on_notify = lambda message, task_id=ctx.task_id: self.notify.emit(task_id, message)
        self.pending.append(job)
        self.submitted.append(job)
        if self.auto:
            self._timer.start(0)
        return job

    def finish_all(self) -> None:
        jobs, self.pending = self.pending, []
        for job in jobs:
            if job.ctx.cancelled:
                result = WorkResult(Outcome.CANCELLED)
            elif job.worker.name == "reminder":
                result = job.worker.run(job.ctx)
            else:
                result = self.results.get(job.task_id, WorkResult(Outcome.SUCCEEDED, exit_code=0))
            self.finished.emit(job, result)

    def cancel(self, task_id: str, reason: StopReason) -> None:
        for job in self.pending:
            if job.task_id == task_id:
                job.ctx.cancel(reason)

    def wait_for_done(self, msecs: int = -1) -> bool:
        self.finish_all()
        return True

    def shutdown(self, reason: StopReason = StopReason.SHUTDOWN, msecs: int = -1) -> bool:
        for job in self.pending:
            job.ctx.cancel(reason)
        return self.wait_for_done(msecs)
