"""JobRunner: pool execution, signals on the main thread, containment, cancel, priority."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread

from engine.errors import JobAlreadyRunningError
from engine.immediate import PRIORITY_ALARM, PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, Job, JobRunner
from engine.model import Outcome, StopReason
from engine.workers.base import Worker, WorkContext, WorkResult
from engine.workers.reminder import ReminderWorker


class FnWorker(Worker):
    """A worker whose run is a test's function."""

    name = "fn"

    def __init__(self, fn: Callable[[WorkContext], Any]) -> None:
        self.fn = fn

    def run(self, ctx: WorkContext) -> WorkResult:
        value = self.fn(ctx)
        return value if value is not None else WorkResult(Outcome.SUCCEEDED)


def _ctx(task_id: str, *args: str) -> WorkContext:
    return WorkContext(task_id=task_id, attempt=1, args=args)


def _blocker(gate: threading.Event, started: threading.Event | None = None) -> FnWorker:
    def fn(ctx: WorkContext) -> WorkResult:
        if started is not None:
            started.set()
        gate.wait(20)
        return WorkResult(Outcome.CANCELLED if ctx.cancelled else Outcome.SUCCEEDED)

    return FnWorker(fn)


def test_work_runs_on_the_pool_and_every_signal_arrives_on_the_main_thread(qtbot: Any, runner: JobRunner) -> None:
    main = QThread.currentThread()
    worker_threads: list[int] = []
    seen: list[tuple[str, Any]] = []

    def record(name: str) -> Callable[..., None]:
        def slot(*args: Any) -> None:
            seen.append((name, args if QThread.currentThread() is main else "WRONG THREAD"))

        return slot

    def fn(ctx: WorkContext) -> None:
        worker_threads.append(threading.get_ident())
        ctx.progress(0.25, "a quarter")
        ctx.log("line 1\n")
        ctx.notify("hello")

    runner.progress.connect(record("progress"))
    runner.output.connect(record("output"))
    runner.notify.connect(record("notify"))
    runner.finished.connect(record("finished"))
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        job = runner.submit(FnWorker(fn), _ctx("t1"))
    assert worker_threads and worker_threads[0] != threading.get_ident()
    assert seen == [
        ("progress", ("t1", 0.25, "a quarter")),
        ("output", ("t1", "line 1\n")),
        ("notify", ("t1", "hello")),
        ("finished", (job, WorkResult(Outcome.SUCCEEDED))),
    ]
    assert job.started and job.result == WorkResult(Outcome.SUCCEEDED)
    assert runner.running() == []


def test_no_signal_is_emitted_from_inside_submit(qtbot: Any, runner: JobRunner) -> None:
    finished: list[Job] = []
    runner.finished.connect(lambda job, result: finished.append(job))
    job = runner.submit(ReminderWorker(), _ctx("r1", "tea"))  # on_pool = False
    assert finished == [] and runner.running() == [job]
    qtbot.waitUntil(lambda: finished == [job], timeout=5000)


def test_a_reminder_runs_on_the_main_thread_and_notifies(qtbot: Any, runner: JobRunner) -> None:
    with qtbot.waitSignal(runner.notify, timeout=5000) as notified:
        with qtbot.waitSignal(runner.finished, timeout=5000) as done:
            runner.submit(ReminderWorker(), _ctx("r1", "tea time"))
    assert notified.args == ["r1", "tea time"]
    assert done.args[1] == WorkResult(Outcome.SUCCEEDED)


def _crash(ctx: WorkContext) -> None:
    raise RuntimeError("worker bug")


@pytest.mark.parametrize(
    ("fn", "error"),
    [
        (_crash, "worker crashed: RuntimeError: worker bug"),
        (lambda ctx: 42, "worker crashed: TypeError: worker 'fn' returned int, not a WorkResult"),
        (lambda ctx: (_ for _ in ()).throw(SystemExit(3)), "worker crashed: SystemExit: 3"),
    ],
)
def test_a_failing_worker_gives_a_failed_result_and_the_runner_carries_on(
    qtbot: Any, runner: JobRunner, caplog: pytest.LogCaptureFixture, fn: Any, error: str
) -> None:
    output: list[str] = []
    runner.output.connect(lambda task_id, text: output.append(text))
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.submit(FnWorker(fn), _ctx("bad"))
    assert done.args[1] == WorkResult(Outcome.FAILED, error=error)
    assert "Traceback (most recent call last)" in "".join(output)
    assert "worker 'fn' crashed on task bad" in caplog.text
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.submit(FnWorker(lambda ctx: None), _ctx("good"))
    assert done.args[1].outcome is Outcome.SUCCEEDED


def test_one_job_per_task(runner: JobRunner) -> None:
    gate = threading.Event()
    runner.submit(_blocker(gate), _ctx("t1"))
    try:
        with pytest.raises(JobAlreadyRunningError, match="task t1 already has a running job"):
            runner.submit(_blocker(gate), _ctx("t1"))
    finally:
        gate.set()
    assert runner.wait_for_done(10_000)


def test_finished_may_resubmit_the_same_task(qtbot: Any, runner: JobRunner) -> None:
    attempts: list[int] = []

    def on_finished(job: Job, result: WorkResult) -> None:
        attempts.append(job.ctx.attempt)
        if job.ctx.attempt < 3:  # a retry, as the deferred scheduler does
            ctx = WorkContext(task_id=job.task_id, attempt=job.ctx.attempt + 1, args=())
            runner.submit(job.worker, ctx)

    runner.finished.connect(on_finished)
    runner.submit(FnWorker(lambda ctx: None), _ctx("t1"))
    qtbot.waitUntil(lambda: attempts == [1, 2, 3], timeout=10_000)


def test_cancel_a_running_job(qtbot: Any, runner: JobRunner) -> None:
    started = threading.Event()

    def fn(ctx: WorkContext) -> WorkResult:
        started.set()
        ctx.wait_cancelled(20)
        return WorkResult(Outcome.CANCELLED if ctx.cancelled else Outcome.SUCCEEDED)

    job = runner.submit(FnWorker(fn), _ctx("t1"))
    assert started.wait(10)
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        assert runner.cancel("t1", StopReason.TIMED_OUT)
    assert done.args == [job, WorkResult(Outcome.CANCELLED)]
    assert job.ctx.stop_reason is StopReason.TIMED_OUT
    assert not runner.cancel("t1")  # nothing left to cancel


def test_cancel_a_queued_job_finishes_it_at_once_without_running_it(qtbot: Any) -> None:
    runner = JobRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    try:
        runner.submit(_blocker(gate, started), _ctx("busy"))
        assert started.wait(10)
        ran: list[str] = []
        queued = runner.submit(FnWorker(lambda ctx: ran.append("ran")), _ctx("queued"))
        with qtbot.waitSignal(runner.finished, timeout=5000) as done:
            runner.cancel("queued")
        assert done.args == [queued, WorkResult(Outcome.CANCELLED)]
        assert not queued.started
        gate.set()
        assert runner.wait_for_done(10_000)
        assert ran == []
    finally:
        gate.set()
        assert runner.shutdown(msecs=10_000)


def test_higher_priority_starts_first(qtbot: Any) -> None:
    runner = JobRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    order: list[str] = []
    try:
        runner.submit(_blocker(gate, started), _ctx("busy"))
        assert started.wait(10)
        for task_id, priority in [("deferred-1", PRIORITY_DEFERRED), ("deferred-2", PRIORITY_DEFERRED),
                                  ("immediate", PRIORITY_IMMEDIATE)]:
            runner.submit(FnWorker(lambda ctx: order.append(ctx.task_id)), _ctx(task_id), priority=priority)
        gate.set()
        assert runner.wait_for_done(10_000)
        assert order == ["immediate", "deferred-1", "deferred-2"]
    finally:
        gate.set()
        assert runner.shutdown(msecs=10_000)


def test_progress_is_coalesced_to_the_latest_and_output_is_never_lost(qtbot: Any, runner: JobRunner) -> None:
    progress: list[Any] = []
    output: list[str] = []
    runner.progress.connect(lambda task_id, fraction, message: progress.append(fraction))
    runner.output.connect(lambda task_id, text: output.append(text))

    def fn(ctx: WorkContext) -> None:
        for i in range(1, 1001):
            ctx.progress(i / 1000)
            ctx.log(f"{i}\n")

    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.submit(FnWorker(fn), _ctx("chatty"))
    assert progress[-1] == 1.0 and progress == sorted(progress) and len(progress) <= 1000
    assert "".join(output) == "".join(f"{i}\n" for i in range(1, 1001))


def test_wait_for_done_times_out_while_a_job_runs(runner: JobRunner) -> None:
    gate = threading.Event()
    runner.submit(_blocker(gate), _ctx("t1"))
    try:
        assert runner.wait_for_done(50) is False
        assert [job.task_id for job in runner.running()] == ["t1"]
    finally:
        gate.set()
    assert runner.wait_for_done(10_000) is True
    assert runner.running() == []


def test_shutdown_cancels_everything_waits_and_refuses_new_work(qtbot: Any) -> None:
    runner = JobRunner(max_threads=2)
    results: dict[str, WorkResult] = {}
    runner.finished.connect(lambda job, result: results.__setitem__(job.task_id, result))

    def fn(ctx: WorkContext) -> WorkResult:
        ctx.wait_cancelled(20)
        return WorkResult(Outcome.CANCELLED)

    for i in range(4):  # two run, two wait in the queue
        runner.submit(FnWorker(fn), _ctx(f"t{i}"))
    assert runner.shutdown(StopReason.SHUTDOWN, msecs=10_000)
    assert results == {f"t{i}": WorkResult(Outcome.CANCELLED) for i in range(4)}
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit(FnWorker(fn), _ctx("late"))


def test_a_free_thread_is_used_while_another_job_blocks(qtbot: Any, runner: JobRunner) -> None:
    # An idle pool loop from an earlier job must not make later jobs queue behind a long one.
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.submit(FnWorker(lambda ctx: None), _ctx("warm-up"))
    gate, long_started, second_ran = threading.Event(), threading.Event(), threading.Event()
    runner.submit(_blocker(gate, long_started), _ctx("long"))
    runner.submit(FnWorker(lambda ctx: second_ran.set()), _ctx("second"))
    try:
        assert second_ran.wait(10), "the second job waited for the long one"
        assert long_started.wait(10)
    finally:
        gate.set()
    assert runner.wait_for_done(10_000)


@pytest.mark.realtime
def test_a_real_command_through_the_runner(qtbot: Any, runner: JobRunner) -> None:
    from engine import workers

    output: list[str] = []
    runner.output.connect(lambda task_id, text: output.append(text))
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.submit(workers.get("shell"), _ctx("cmd", "sh", "-c", "echo out; echo err >&2; exit 4"))
    assert done.args[1] == WorkResult(Outcome.FAILED, exit_code=4, error="exited with status 4")
    assert "".join(output) in ("out\nerr\n", "err\nout\n")


# ------------------------------------------------------------ alarms: started in submit (issue 14)


class _StartingWorker(Worker):
    """Records the thread of start() and of the rest; start may raise."""

    name = "starting"

    def __init__(self, fail: bool = False) -> None:
        self.threads: dict[str, int] = {}
        self.fail = fail

    def run(self, ctx: WorkContext) -> WorkResult:  # pragma: no cover - start() is used
        raise AssertionError("run() is not called for work started in submit")

    def start(self, ctx: WorkContext) -> Callable[[], WorkResult]:
        self.threads["start"] = threading.get_ident()
        if self.fail:
            raise RuntimeError("no luck")

        def rest() -> WorkResult:
            self.threads["rest"] = threading.get_ident()
            return WorkResult(Outcome.SUCCEEDED)

        return rest


def test_an_alarms_work_starts_inside_submit_and_finishes_on_the_pool(qtbot: Any) -> None:
    runner = JobRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    worker = _StartingWorker()
    try:
        runner.submit(_blocker(gate, started), _ctx("busy"))  # the only pool thread is taken
        assert started.wait(10)
        job = runner.submit(worker, _ctx("alarm"), priority=PRIORITY_ALARM)
        assert worker.threads == {"start": threading.get_ident()} and job.started
        with qtbot.waitSignal(runner.finished, timeout=10_000, check_params_cb=lambda j, r: j is job) as done:
            gate.set()
        assert done.args[1] == WorkResult(Outcome.SUCCEEDED)
        assert worker.threads["rest"] != threading.get_ident()
    finally:
        gate.set()
        assert runner.shutdown(msecs=10_000)


def test_a_worker_that_fails_to_start_gives_a_failed_result(qtbot: Any, runner: JobRunner) -> None:
    output: list[str] = []
    runner.output.connect(lambda task_id, text: output.append(text))
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.submit(_StartingWorker(fail=True), _ctx("alarm"), priority=PRIORITY_ALARM)
    assert done.args[1] == WorkResult(Outcome.FAILED, error="worker crashed: RuntimeError: no luck")
    assert "RuntimeError: no luck" in "".join(output)


def test_a_worker_with_nothing_to_start_early_runs_on_the_pool(qtbot: Any, runner: JobRunner) -> None:
    threads: list[int] = []
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.submit(FnWorker(lambda ctx: threads.append(threading.get_ident())), _ctx("a"), priority=PRIORITY_ALARM)
    assert done.args[1] == WorkResult(Outcome.SUCCEEDED)
    assert threads and threads[0] != threading.get_ident()


@pytest.mark.realtime
def _cmdline(proc: Any) -> list[str] | None:
    """A child's command line; None for one that is a zombie (another test's process
    not reaped yet: psutil raises for it) or gone."""
    import psutil

    try:
        return list(proc.cmdline())
    except psutil.Error:
        return None


def test_an_alarms_command_is_running_when_submit_returns_and_cancel_stops_it(qtbot: Any) -> None:
    """The command starts on the runner's thread; cancelling it before any pool thread
    took the job still stops the process (the pool thread that takes it does), and the
    job finishes only then: nothing of it is left."""
    import psutil

    from engine import workers

    runner = JobRunner(max_threads=1)
    gate, started = threading.Event(), threading.Event()
    try:
        runner.submit(_blocker(gate, started), _ctx("busy"))
        assert started.wait(10)
        ctx = WorkContext(task_id="alarm", attempt=1, args=("sleep", "30"), now=lambda: datetime.now(UTC))
        job = runner.submit(workers.get("shell"), ctx, priority=PRIORITY_ALARM)
        assert ctx.spawned_at is not None  # spawned inside submit, with the pool busy
        sleepers = [p for p in psutil.Process().children() if _cmdline(p) == ["sleep", "30"]]
        assert len(sleepers) == 1
        finished: list[Any] = []
        runner.finished.connect(lambda j, r: finished.append((j, r)))
        assert runner.cancel("alarm")
        QCoreApplication.processEvents()  # delivers whatever the cancel posted (no sleep: it posts at once)
        assert finished == []  # not finished while its process runs and nobody stopped it yet
        with qtbot.waitSignal(runner.finished, timeout=10_000, check_params_cb=lambda j, r: j is job) as done:
            gate.set()
        assert done.args[1].outcome is Outcome.CANCELLED
        assert not sleepers[0].is_running() or sleepers[0].status() == psutil.STATUS_ZOMBIE
        assert [p for p in psutil.Process().children() if p.pid == sleepers[0].pid] == []
    finally:
        gate.set()
        assert runner.shutdown(msecs=10_000)
