"""A job runner that runs nothing until the test says how a job ends.

UI tests need runs that start, report progress and output, and end exactly when the
test wants, with no threads: the engine talks to this exactly as to the JobRunner.
"""

from __future__ import annotations

import sys
import types
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


def install_shims() -> None:
    """Until engine.immediate and the built-in workers are on this branch, stand in
    for them so that engine.engine imports; the real modules win once they exist."""
    try:
        import engine.immediate  # noqa: F401
    except ModuleNotFoundError:
        module = types.ModuleType("engine.immediate")
        module.JobRunner = FakeRunner  # type: ignore[attr-defined]
        sys.modules["engine.immediate"] = module
    try:
        import engine.workers.builtin  # noqa: F401
    except ModuleNotFoundError:
        from engine import workers
        from engine.errors import BadSpecError
        from engine.workers.base import Worker

        class _Shell(Worker):
            name = "shell"

            def validate(self, args: Any) -> None:
                if not args or not args[0]:
                    raise BadSpecError("a shell task needs a command")

            def run(self, ctx: WorkContext) -> WorkResult:
                return WorkResult(Outcome.SUCCEEDED, exit_code=0)

        class _Python(_Shell):
            name = "python"

            def validate(self, args: Any) -> None:
                if len(args) != 1 or ":" not in args[0]:
                    raise BadSpecError("a python task takes one 'package.module:function'")

        class _Reminder(_Shell):
            name = "reminder"

            def validate(self, args: Any) -> None:
                if len(args) != 1 or not args[0].strip():
                    raise BadSpecError("a reminder needs a message")

        builtin = types.ModuleType("engine.workers.builtin")
        sys.modules["engine.workers.builtin"] = builtin
        for cls in (_Shell, _Python, _Reminder):
            workers.register(cls())
