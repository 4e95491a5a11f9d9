"""Test helpers for deferred work: a fake job runner driven by the fake clock, a fake
worker whose behaviour its arguments script, and a ``Deck`` that wires an Engine to
them and to fake condition sources. Nothing sleeps: runs end when the test advances
the clock (``deck.step``), like huey's ``execute_next``.

Fake worker arguments (key=value tokens, all optional)::

    seconds=5        the run takes 5 s of fake time (default 1)
    fail             the run fails (exit code 1)
    fail_first=2     attempts 1 and 2 fail, later ones succeed
    out=key:value    the run's output data gets {key: value} (repeatable)
    hold             the run never ends by itself: the test calls runner.finish()
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QObject, Signal

from engine.clock import FakeClock, Timer
from engine.model import Constraint, Kind, Outcome, State, StopReason, Task, TaskSpec
from engine.workers.base import Worker, WorkContext, WorkResult


class FakeWorker(Worker):
    name: ClassVar[str] = "fake"

    def run(self, ctx: WorkContext) -> WorkResult:
        opts = _options(ctx.args)
        output = dict(item.split(":", 1) for item in opts.get("out", []))
        output["attempt"] = ctx.attempt
        failing = "fail" in opts or ctx.attempt <= int(opts.get("fail_first", ["0"])[0])
        if failing:
            return WorkResult(Outcome.FAILED, exit_code=1, output=output)
        return WorkResult(Outcome.SUCCEEDED, exit_code=0, output=output)


def _options(args: Sequence[str]) -> dict[str, list[str]]:
    opts: dict[str, list[str]] = {}
    for arg in args:
        key, _, value = arg.partition("=")
        opts.setdefault(key, []).append(value)
    return opts


def _install_shims() -> None:
    """Until engine.immediate and the built-in workers land on this branch, stand in
    for them so the engine imports; the real modules win as soon as they exist."""
    if importlib.util.find_spec("engine.workers.builtin") is None:
        sys.modules["engine.workers.builtin"] = types.ModuleType("engine.workers.builtin")
    if importlib.util.find_spec("engine.immediate") is None:
        shim = types.ModuleType("engine.immediate")
        shim.JobRunner = FakeRunner  # type: ignore[attr-defined]
        sys.modules["engine.immediate"] = shim


@dataclass(eq=False)
class FakeJob:
    task_id: str
    worker: Worker
    ctx: WorkContext
    priority: int
    timer: Timer | None = None


class FakeRunner(QObject):
    """The JobRunner's API (submit/cancel/wait_for_done/shutdown and its four signals),
    with runs that take fake time. ``finished`` is emitted from a fake-clock timer, never
    from inside ``submit`` or ``cancel``, as the real runner emits from its mailbox."""

    progress = Signal(str, object, str)
    output = Signal(str, str)
    notify = Signal(str, str)
    finished = Signal(object, object)

    def __init__(self, clock: FakeClock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock or FakeClock()
        self.jobs: dict[str, FakeJob] = {}
        self.started: list[str] = []  # task ids in submission order
        self.priorities: dict[str, int] = {}

    def submit(self, worker: Worker, ctx: WorkContext, priority: int = 0) -> FakeJob:
        assert ctx.task_id not in self.jobs, f"task {ctx.task_id} submitted twice"
        job = FakeJob(ctx.task_id, worker, ctx, priority)
        self.jobs[ctx.task_id] = job
        self.started.append(ctx.task_id)
        self.priorities[ctx.task_id] = priority
        opts = _options(ctx.args)
        if "hold" not in opts:
            job.timer = self.clock.timer(lambda: self._complete(job, None))
            job.timer.start(float(opts.get("seconds", ["1"])[0]))
        return job

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> bool:
        job = self.jobs.get(task_id)
        if job is None:
            return False
        job.ctx.cancel(reason)
        # The worker notices at once and returns: on the next clock step.
        if job.timer is None:
            job.timer = self.clock.timer(lambda: self._complete(job, None))
        job.timer.start(0)
        return True

    def finish(self, task_id: str, outcome: Outcome = Outcome.SUCCEEDED, **result: Any) -> None:
        """End a held run by hand."""
        job = self.jobs[task_id]
        if job.timer is not None:
            job.timer.stop()
        self._complete(job, WorkResult(outcome, **result))

    def running(self) -> list[FakeJob]:
        return list(self.jobs.values())

    def wait_for_done(self, msecs: int = -1) -> bool:
        # Jobs end on fake time: cancelled ones end now, held ones are ended as cancelled.
        for job in list(self.jobs.values()):
            if job.ctx.cancelled or job.timer is None:
                self._complete(job, None)
        return not self.jobs

    def shutdown(self, reason: StopReason = StopReason.SHUTDOWN, msecs: int = -1) -> bool:
        for task_id in list(self.jobs):
            self.cancel(task_id, reason)
        return self.wait_for_done(msecs)

    def _complete(self, job: FakeJob, result: WorkResult | None) -> None:
        if self.jobs.get(job.task_id) is not job:
            return
        if job.timer is not None:
            job.timer.stop()
        del self.jobs[job.task_id]
        if result is None:
            result = WorkResult(Outcome.CANCELLED) if job.ctx.cancelled else job.worker.run(job.ctx)
        self.finished.emit(job, result)


_install_shims()

from engine import workers  # noqa: E402  (after the shims)
from engine.conditions import Conditions, StaticSource  # noqa: E402
from engine.engine import Engine  # noqa: E402
from engine.store import Store  # noqa: E402

try:
    workers.register(FakeWorker())
except ValueError:
    pass  # registered by an earlier import


def dspec(*args: str, **fields: Any) -> TaskSpec:
    """A deferred task spec for the fake worker."""
    fields.setdefault("kind", Kind.DEFERRED)
    return TaskSpec(worker="fake", args=args, **fields)


@dataclass
class Deck:
    """An engine on a fake clock, a fake runner and flip-able condition sources."""

    engine: Engine
    runner: FakeRunner
    clock: FakeClock
    store: Store
    sources: dict[Constraint, StaticSource] = field(default_factory=dict)

    def add(self, *args: str, **fields: Any) -> Task:
        return self.engine.enqueue(dspec(*args, **fields))

    def task(self, task_id: str) -> Task:
        return self.engine.task(task_id)

    def state(self, task_id: str) -> State:
        return self.store.task(task_id, with_runs=False).state

    def step(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds)

    def flip(self, constraint: Constraint, met: bool, why: str = "") -> None:
        self.sources[constraint].set(met, why)

    def close(self) -> None:
        if self.engine.started:
            self.engine.stop()
        self.store.close()


def make_deck(
    path: Path, clock: FakeClock, *, max_deferred: int = 2, met: bool = True, start: bool = True
) -> Deck:
    """A started engine over the database at ``path``; every constraint's fake source
    starts ``met``."""
    sources = {c: StaticSource(c, met) for c in Constraint}
    store = Store(path)
    runner = FakeRunner(clock)
    engine = Engine(
        store, clock, runner=runner, max_deferred=max_deferred, conditions=Conditions(sources.values())
    )
    deck = Deck(engine, runner, clock, store, sources)
    if start:
        engine.start()
    return deck
