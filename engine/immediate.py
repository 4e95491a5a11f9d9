"""Immediate execution: :class:`JobRunner` (a QThreadPool behind Qt signals) and
:class:`Scope` (structured concurrency for scoped work on the qasync loop, defined in
:mod:`engine.scope` and re-exported here).

JobRunner is what the engine uses for every run that is persisted (keep-running,
deferred and exact work): it needs a Qt event loop, not asyncio. Deferred work whose
worker can spawn its process (shell commands, on Linux) takes no pool thread: the runner
spawns it and supervises it from its own event loop (:mod:`engine.shell_loop`). Scope is for work
that lives and dies with a window, a dialog or an interaction (DESIGN.md): coroutines
on the asyncio loop plus blocking calls on a pool, all cancelled when the scope ends.

Threading model of JobRunner: everything public is called on the runner's thread (the
main thread) and every signal is emitted there. Pool threads never emit the public
signals; they append to a mailbox and wake the runner with one queued signal per batch
(not one per event), so 10,000 short jobs cost a few event-loop wake-ups, not 30,000.
Within a batch, superseded progress reports of a task are dropped and consecutive
output chunks of a task are joined; order between a task's output and its ``finished``
is kept.

Queued jobs wait in the runner's own priority heap, not in QThreadPool's queue: the pool
runs at most ``max_threads`` loops that each take the best job from the heap until it is
empty. Measured (tests/bench/bench_dispatch.py), one QRunnable per job cost a GIL
hand-off per job between the pool threads and the main thread, 2.5x the per-job time of
concurrent.futures; the loops keep the GIL across jobs like the executor's threads do.
Each loop is started with the priority of the job that started it, so against other
users of the same pool the runner's work still ranks by priority.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDeadlineTimer, QObject, Qt, QThread, QThreadPool, Signal, Slot

from engine import shell_loop
from engine.errors import BadSpecError, JobAlreadyRunningError
from engine.model import Outcome, StopReason
from engine.workers.base import Supervision, Worker, WorkContext, WorkResult

if TYPE_CHECKING:
    from engine.scope import PRIORITY_SCOPED as PRIORITY_SCOPED
    from engine.scope import Scope as Scope
    from engine.scope import ScopeClosedError as ScopeClosedError

log = logging.getLogger(__name__)

#: Priorities (higher starts first among queued jobs): scoped work (engine.scope) is what
#: the user is waiting for, keep-running work was asked for now, deferred work can wait.
PRIORITY_IMMEDIATE = 10
PRIORITY_DEFERRED = 0
#: An alarm's job (the engine's exact work): ahead of everything, and a worker that can
#: (:meth:`Worker.start`) starts its process at once, inside ``submit``, on the runner's
#: thread, which the alarm's timer has just woken: waiting for a pool thread to wake and
#: take the interpreter's lock added milliseconds, tens on a loaded machine (issue 14).
PRIORITY_ALARM = 30

#: Seconds an idle pool loop waits for the next job before it gives its thread back.
LINGER = 2.0

# Mailbox item kinds.
_PROGRESS, _OUTPUT, _NOTIFY, _DONE, _RUN_HERE, _GROUP = range(6)


@dataclass(eq=False)
class Job:
    """One submitted run of a task: queued, running, or (once ``finished`` is emitted) done."""

    task_id: str
    worker: Worker
    ctx: WorkContext
    priority: int = 0
    #: True once a pool thread (or, for ``on_pool = False`` workers, the event loop)
    #: began ``worker.run``. A job cancelled before that never runs.
    started: bool = False
    result: WorkResult | None = None
    _claimed: bool = field(default=False, repr=False)  # run or finalised: under the runner's lock
    #: What is left to run on a pool thread of work started in ``submit`` (PRIORITY_ALARM).
    _rest: Callable[[], WorkResult] | None = field(default=None, repr=False)

    @property
    def cancelled(self) -> bool:
        return self.ctx.cancelled


class JobRunner(QObject):
    """Runs workers on its own QThreadPool and reports on the main thread.

    The engine facade's whole API::

        runner = JobRunner(max_threads=4)
        runner.finished.connect(on_finished)          # (job, result)
        job = runner.submit(worker, ctx, priority=PRIORITY_IMMEDIATE)
        runner.cancel(task_id, StopReason.CANCELLED_BY_USER)
        runner.shutdown(StopReason.SHUTDOWN, msecs=5000)

    ``submit``, ``cancel``, ``running``, ``wait_for_done`` and ``shutdown`` must be
    called on the runner's thread. Signals are emitted on that thread, always after
    ``submit`` returned (never from inside it), so a listener may call back into the
    runner. ``finished`` is emitted exactly once per submitted job, after all of its
    ``progress``/``output``/``notify`` signals, and after the job left ``running()``
    (so the listener may submit the task again, e.g. for a retry).

    A worker that raises (anything, even SystemExit) or returns something other than
    a WorkResult gives a FAILED result with the traceback in its output; the runner and
    the other jobs carry on.
    """

    #: (task_id, fraction in 0..1 or None, message)
    progress = Signal(str, object, str)
    #: (task_id, text): captured output, newlines included, in arrival order
    output = Signal(str, str)
    #: (task_id, message): a reminder to show
    notify = Signal(str, str)
    #: (task_id, pgid, leader start or None): the job's process group began (shell work)
    group = Signal(str, int, object)
    #: (job: Job, result: WorkResult)
    finished = Signal(object, object)
    _wake = Signal()

    def __init__(self, max_threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads or QThread.idealThreadCount())
        self._max_loops = self._pool.maxThreadCount()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()  # guards the heap, the loop counts, the mailbox, claims
        self._work = threading.Condition(self._lock)  # idle loops wait here for jobs
        self._mail_arrived = threading.Condition(self._lock)  # wait_for_done waits here
        self._heap: list[tuple[int, int, Job]] = []  # (-priority, submission number, job)
        self._seq = itertools.count()
        self._loops = 0  # loops started on the pool and not yet returned
        self._idle = 0  # loops waiting for work
        self._wakeups = 0  # notifications sent to idle loops and not yet taken
        self._stopping = False  # idle loops return at once
        self._mail: list[tuple[Any, ...]] = []
        self._wake_pending = False
        self._waiting_for_mail = False
        self._thread = threading.get_ident()  # the runner's
        #: On the runner's thread, a drain takes what is posted now (see _post).
        self._drain_follows = False
        self._closed = False
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        #: Deferred runs supervised from this thread's event loop, made at the first one.
        self._here: shell_loop.LoopSupervision | None = None
        #: Told on the worker's thread right after a job's process group began, before
        #: ``group`` is emitted: (pgid, leader start, the run's marker). Thread-safe
        #: (engine.reaper.Reaper.watch): the group is watched from its first instant, and
        #: the runner's thread does not pay for it.
        self.watch_group: Callable[[int, str | None, str], None] | None = None

    @property
    def pool(self) -> QThreadPool:
        """The runner's own pool. Give scopes another one (the global pool, their default):
        a scope's call would otherwise wait until the runner's queue is empty."""
        return self._pool

    # -- the public API: runner's thread --------------------------------------------

    def submit(self, worker: Worker, ctx: WorkContext, priority: int = PRIORITY_DEFERRED) -> Job:
        """Start ``worker.run(ctx)`` and return its Job.

        The runner wires ``ctx``'s progress, log, notify and group sinks to its signals
        (replacing any that were set). Workers with ``on_pool = False`` run on this
        thread from the event loop, soon after ``submit`` returns. Raises
        :class:`JobAlreadyRunningError` if a job of ``ctx.task_id`` has not finished,
        RuntimeError after :meth:`shutdown`.
        """
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        task_id = ctx.task_id
        if task_id in self._jobs:
            raise JobAlreadyRunningError(task_id)
        job = Job(task_id, worker, ctx, priority)
        post = self._post
        ctx.on_progress = lambda fraction, message: post((_PROGRESS, task_id, fraction, message))
        ctx.on_log = lambda text: post((_OUTPUT, task_id, text))
        ctx.on_notify = lambda message: post((_NOTIFY, task_id, message))
        ctx.on_group = self._group_sink(ctx)
        self._jobs[task_id] = job
        if priority >= PRIORITY_ALARM and worker.on_pool:
            job._rest = start_worker(worker, ctx)
            job.started = job._rest is not None
        elif priority == PRIORITY_DEFERRED and worker.on_pool and shell_loop.AVAILABLE \
                and self._supervise_here(job):
            return job
        if worker.on_pool:
            with self._lock:
                heapq.heappush(self._heap, (-priority, next(self._seq), job))
                start_loop = False
                if self._idle > self._wakeups:
                    self._wakeups += 1
                    self._work.notify()
                elif self._loops < self._max_loops:
                    self._loops += 1
                    start_loop = True
            if start_loop:
                self._pool.start(self._loop, priority)
        else:
            self._post((_RUN_HERE, job))
        return job

    def _supervise_here(self, job: Job) -> bool:
        """Spawn a deferred job's process now and supervise it from this thread's event
        loop (engine.shell_loop), if its worker can; False: it goes to the pool. At most
        ``max_threads`` at once, as on the pool (the engine's dispatcher bounds deferred
        work further); beyond that, the pool takes them."""
        if self._here is not None and self._here.active >= self._max_loops:
            return False
        started = spawn_worker(job.worker, job.ctx)
        if started is None:
            return False
        job.started = job._claimed = True  # never taken by a pool loop; a cancel reaches its process
        if isinstance(started, WorkResult):
            self._post((_DONE, job, started))
            return True
        if self._here is None:
            self._here = shell_loop.LoopSupervision(self._ended_here, self, batch=self._batch)
        self._here.add(started, job)
        return True

    def _ended_here(self, job: Job, outcome: WorkResult | BaseException) -> None:
        result = outcome if isinstance(outcome, WorkResult) else _crashed(job.worker, job.ctx, outcome)
        self._post((_DONE, job, result))

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> bool:
        """Request cancellation of the task's job; False if it has none.

        A job that has not started yet finishes at once (CANCELLED, never run); a running
        one is told through its context and finishes when its worker returns.
        """
        job = self._jobs.get(task_id)
        if job is None:
            return False
        job.ctx.cancel(reason)
        if job._rest is not None:
            return True  # its process runs: the pool thread that takes the job stops it
        with self._lock:
            unstarted, job._claimed = not job._claimed, True
        if unstarted:
            self._post((_DONE, job, WorkResult(Outcome.CANCELLED)))
        return True

    def running(self) -> list[Job]:
        """Jobs submitted and not yet finished (queued or running), in submission order."""
        return list(self._jobs.values())

    def job(self, task_id: str) -> Job | None:
        return self._jobs.get(task_id)

    def wait_for_done(self, msecs: int = -1) -> bool:
        """Block until every job has finished and its signals were emitted; False on timeout.

        Blocks the calling (main) thread: meant for shutdown and tests, not the UI.
        """
        deadline = QDeadlineTimer(msecs) if msecs >= 0 else QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever)
        while True:
            self._drain()
            if not self._jobs:
                return True
            remaining = deadline.remainingTime()  # ms; -1: forever
            if remaining == 0:
                return False
            if self._here is not None and self._here.active:
                # Runs supervised here move only when this thread looks at them; pool
                # jobs' mail is looked at every 50 ms meanwhile.
                wait = None if remaining < 0 else remaining / 1000
                if len(self._jobs) > self._here.active:
                    wait = 0.05 if wait is None else min(wait, 0.05)
                self._here.pump(wait)
                continue
            with self._lock:
                if not self._mail:
                    self._waiting_for_mail = True
                    self._mail_arrived.wait(remaining / 1000 if remaining > 0 else None)
                    self._waiting_for_mail = False

    def shutdown(self, reason: StopReason = StopReason.SHUTDOWN, msecs: int = -1) -> bool:
        """Refuse new jobs, cancel every job, and wait for them (see :meth:`wait_for_done`)."""
        deadline = QDeadlineTimer(msecs) if msecs >= 0 else QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever)
        self._closed = True
        for task_id in list(self._jobs):
            self.cancel(task_id, reason)
        if not self.wait_for_done(msecs):
            return False
        if self._here is not None:
            self._here.close()
        with self._lock:
            self._stopping = True
            self._work.notify_all()
        # The idle loops return now; wait for their threads so nothing outlives shutdown.
        return bool(self._pool.waitForDone(max(deadline.remainingTime(), -1)))

    # -- pool threads ------------------------------------------------------------------

    def _loop(self) -> None:
        """A pool thread's life: run the best queued job; linger a while when there is none.

        Lingering (like the executor's threads) matters: a loop that returned at once
        would be started again by the next submit, one GIL hand-off per job.
        """
        done: tuple[Any, ...] | None = None
        while True:
            with self._lock:
                wake = done is not None and self._deliver(done)
                job = self._pop()
                while job is None:
                    if wake:  # tell the runner before sleeping, not after
                        self._lock.release()
                        try:
                            self._wake.emit()
                        finally:
                            self._lock.acquire()
                        wake = False
                    if self._stopping:
                        self._loops -= 1
                        return
                    self._idle += 1
                    notified = self._work.wait(LINGER)
                    self._idle -= 1
                    if self._wakeups:
                        self._wakeups -= 1
                    job = self._pop()
                    if job is None and not notified:
                        self._loops -= 1
                        return
            if wake:
                self._wake.emit()
            job.started = True
            done = (_DONE, job, run_worker(job.worker, job.ctx, job._rest))

    def _pop(self) -> Job | None:
        """The best queued job not cancelled meanwhile, claimed; None if none. Under the lock."""
        while self._heap:
            job = heapq.heappop(self._heap)[2]
            if not job._claimed:  # else: cancelled while queued, already finished
                job._claimed = True
                return job
        return None

    def _run(self, job: Job) -> None:
        job.started = True
        result = run_worker(job.worker, job.ctx)
        self._post((_DONE, job, result))

    def _group_sink(self, ctx: WorkContext) -> Callable[[int, str | None], None]:
        """``ctx.on_group``: tell :attr:`watch_group` on the worker's thread, then post."""
        post, task_id, watch = self._post, ctx.task_id, self.watch_group
        # The marker, not the context: a sink that refers to its own context makes the
        # two a cycle that only the garbage collector frees (see engine.shell_loop._Registrar).
        marker = ctx.marker if watch is not None else ""

        def on_group(pgid: int, leader_start: str | None) -> None:
            if watch is not None:
                watch(pgid, leader_start, marker)
            post((_GROUP, task_id, pgid, leader_start))

        return on_group

    def _post(self, item: tuple[Any, ...]) -> None:
        if self._drain_follows and threading.get_ident() == self._thread:
            # Posted on the runner's thread while a drain is under way (or follows the
            # loop's batch of events): that drain takes it, no trip through the event
            # loop (two a run of deferred shell work, issue 14).
            with self._lock:
                self._mail.append(item)
            return
        with self._lock:
            wake = self._deliver(item)
        if wake:
            self._wake.emit()

    def _batch(self) -> _Batch:
        """Around the loop's handling of its runs' events: what they post is drained after."""
        return _Batch(self)

    def _deliver(self, item: tuple[Any, ...]) -> bool:
        """Put ``item`` in the mailbox (under the lock); True if the caller must emit _wake."""
        self._mail.append(item)
        if self._waiting_for_mail:
            self._mail_arrived.notify()
        if self._wake_pending:
            return False
        self._wake_pending = True
        return True

    # -- the runner's thread ----------------------------------------------------------

    @Slot()
    def _drain(self) -> None:
        outer, self._drain_follows = self._drain_follows, True
        try:
            while True:  # what the handlers post meanwhile, on this thread, comes in the next round
                with self._lock:
                    items, self._mail = self._mail, []
                    self._wake_pending = False
                if not items:
                    return
                self._handle_mail(items)
        finally:
            self._drain_follows = outer

    def _handle_mail(self, items: list[tuple[Any, ...]]) -> None:
        last_progress = {item[1]: i for i, item in enumerate(items) if item[0] == _PROGRESS}
        i, count = 0, len(items)
        while i < count:
            item = items[i]
            kind = item[0]
            if kind == _OUTPUT:
                task_id, text = item[1], item[2]
                # Join a run of output from the same task into one signal.
                while i + 1 < count and items[i + 1][0] == _OUTPUT and items[i + 1][1] == task_id:
                    i += 1
                    text += items[i][2]
                self.output.emit(task_id, text)
            elif kind == _DONE:
                done_job: Job = item[1]
                done_job.result = item[2]
                if self._jobs.get(done_job.task_id) is done_job:
                    del self._jobs[done_job.task_id]
                self.finished.emit(done_job, item[2])
            elif kind == _PROGRESS:
                if last_progress[item[1]] == i:  # only the latest report of this batch
                    self.progress.emit(item[1], item[2], item[3])
            elif kind == _NOTIFY:
                self.notify.emit(item[1], item[2])
            elif kind == _GROUP:
                self.group.emit(item[1], item[2], item[3])
            elif kind == _RUN_HERE:
                job = item[1]
                with self._lock:
                    unclaimed, job._claimed = not job._claimed, True
                if unclaimed:
                    self._run(job)
            i += 1


class _Batch:
    """:meth:`JobRunner._batch`'s context: a plain class, as @contextlib.contextmanager's
    generator and its wrappers cost 0.6 us more a batch (1.0 against 0.4 us measured; a
    batch or two a run, issue 14)."""

    __slots__ = ("_runner", "_outer")

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner
        self._outer = False

    def __enter__(self) -> None:
        runner = self._runner
        self._outer, runner._drain_follows = runner._drain_follows, True

    def __exit__(self, *exc_info: object) -> None:
        self._runner._drain_follows = self._outer
        if not self._outer:  # else the drain under way takes it in its next round
            self._runner._drain()


def run_worker(worker: Worker, ctx: WorkContext, rest: Callable[[], WorkResult] | None = None) -> WorkResult:
    """``worker.run(ctx)`` (or ``rest``, what :func:`start_worker` left to run) with every
    failure turned into a FAILED result: args the worker refuses, an exception, a wrong
    return value.

    A job cancelled before it started is not run at all.
    """
    if rest is None:
        not_run = _not_to_run(worker, ctx)
        if not_run is not None:
            return not_run
    try:
        result = worker.run(ctx) if rest is None else rest()
        if not isinstance(result, WorkResult):
            raise TypeError(f"worker {worker.name!r} returned {type(result).__name__}, not a WorkResult")
        return result
    except BaseException as exc:  # a bug in a worker must never take the engine down
        return _crashed(worker, ctx, exc)


def spawn_worker(worker: Worker, ctx: WorkContext) -> Supervision | WorkResult | None:
    """:meth:`Worker.spawn` on the calling thread, with :func:`run_worker`'s checks: the
    run's supervision, its result if it cannot start, or None if the worker needs a thread."""
    if type(worker).spawn is Worker.spawn:
        return None  # nothing to spawn: a thread runs it (checked there)
    not_run = _not_to_run(worker, ctx)
    if not_run is not None:
        return not_run
    try:
        return worker.spawn(ctx)
    except BaseException as exc:  # noqa: BLE001  (as run_worker: never the engine's problem)
        return _crashed(worker, ctx, exc)


def start_worker(worker: Worker, ctx: WorkContext) -> Callable[[], WorkResult] | None:
    """:meth:`Worker.start` on the calling thread, with :func:`run_worker`'s checks: what
    is left to run on a pool thread, or None if the worker has nothing to start early."""
    result: WorkResult
    if ctx.cancelled:
        return None
    not_run = _not_to_run(worker, ctx)
    if not_run is not None:
        return lambda: not_run
    try:
        return worker.start(ctx)
    except BaseException as exc:  # noqa: BLE001  (as run_worker: never the engine's problem)
        result = _crashed(worker, ctx, exc)
        return lambda: result


def _not_to_run(worker: Worker, ctx: WorkContext) -> WorkResult | None:
    """The run's result if it must not run: CANCELLED if cancelled before it started,
    FAILED if the worker refuses its args; None if it may run.

    The engine validated the spec at submission; a database written by hand or by an
    older Workdeck can still hold one that no longer passes. One check before any work,
    for every worker."""
    if ctx.cancelled:
        return WorkResult(Outcome.CANCELLED)
    try:
        worker.validate(ctx.args)
    except BadSpecError as exc:
        ctx.log(f"{exc}\n")
        return WorkResult(Outcome.FAILED, error=str(exc))
    return None


def _crashed(worker: Worker, ctx: WorkContext, exc: BaseException) -> WorkResult:
    log.error("worker %r crashed on task %s", getattr(worker, "name", worker), ctx.task_id, exc_info=exc)
    ctx.log("".join(traceback.format_exception(exc)))
    last = traceback.format_exception_only(exc)[-1].strip()
    return WorkResult(Outcome.FAILED, error=f"worker crashed: {last}")


def __getattr__(name: str) -> Any:
    """Scope and its names, re-exported on first use: engine.scope loads asyncio, a tenth
    of the start of an owner that runs no scoped work (serve never does)."""
    if name in ("PRIORITY_SCOPED", "Scope", "ScopeClosedError"):
        from engine import scope

        return getattr(scope, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LINGER",
    "PRIORITY_ALARM",
    "PRIORITY_DEFERRED",
    "PRIORITY_IMMEDIATE",
    "PRIORITY_SCOPED",
    "Job",
    "JobRunner",
    "Scope",
    "ScopeClosedError",
    "run_worker",
    "start_worker",
]
