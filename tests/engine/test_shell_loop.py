"""Deferred shell runs supervised from the runner's event loop (engine.shell_loop).

Real processes throughout, driven through the JobRunner as the engine drives them: the
promises of the shell worker (output in order, partial lines, cancel with a grace
period, leftover members stopped, nothing outliving the run) hold here as on a pool
thread, and no pool thread is used.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication

from engine import shell_loop
from engine.immediate import PRIORITY_ALARM, PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, Job, JobRunner
from engine.model import Outcome, StopReason
from engine.workers.base import WorkContext, WorkResult
from engine.workers.shell import PARTIAL_LINE_DELAY, ShellWorker, _Supervisor

pytestmark = [
    pytest.mark.posix,
    pytest.mark.skipif(not shell_loop.AVAILABLE, reason="runs are supervised from the event loop on Linux only"),
]


class _Recorder:
    def __init__(self, runner: JobRunner) -> None:
        self.results: dict[str, WorkResult] = {}
        self.output: dict[str, list[str]] = {}
        self.groups: dict[str, int] = {}
        self.order: list[tuple[str, str]] = []  # (task_id, "output" | "finished")
        runner.finished.connect(self._on_finished)
        runner.output.connect(self._on_output)
        runner.group.connect(lambda task_id, pgid, start: self.groups.__setitem__(task_id, pgid))

    def _on_finished(self, job: Job, result: WorkResult) -> None:
        self.results[job.task_id] = result
        self.order.append((job.task_id, "finished"))

    def _on_output(self, task_id: str, text: str) -> None:
        self.output.setdefault(task_id, []).append(text)
        self.order.append((task_id, "output"))


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    runner = JobRunner(max_threads=2)
    yield runner
    runner.shutdown(msecs=20000)


def _submit(runner: JobRunner, task_id: str, argv: list[str], worker: ShellWorker | None = None) -> Job:
    ctx = WorkContext(task_id=task_id, attempt=1, args=tuple(argv))
    return runner.submit(worker or ShellWorker(), ctx, priority=PRIORITY_DEFERRED)


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_output_comes_in_order_and_the_result_after_it(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "a", ["sh", "-c", "echo one; echo two >&2; echo three; exit 3"])
    qtbot.waitUntil(lambda: "a" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    result = seen.results["a"]
    assert result.outcome is Outcome.FAILED and result.exit_code == 3
    assert "".join(seen.output["a"]) == "one\ntwo\nthree\n"
    assert seen.order[-1] == ("a", "finished")
    assert _group_gone(seen.groups["a"])


def test_no_pool_thread_runs_deferred_shell_work(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    spawned_on: list[str] = []
    runner.watch_group = lambda pgid, start, marker: spawned_on.append(threading.current_thread().name)
    for i in range(2):  # max_threads
        _submit(runner, f"d{i}", ["sh", "-c", "sleep 0.3"])
    assert runner.pool.activeThreadCount() == 0
    qtbot.waitUntil(lambda: len(seen.results) == 2, timeout=10000)  # type: ignore[attr-defined]
    assert runner.pool.activeThreadCount() == 0
    assert spawned_on == [threading.main_thread().name] * 2
    assert all(r.outcome is Outcome.SUCCEEDED for r in seen.results.values())
    # Immediate work still goes to the pool, which bounds it.
    runner.submit(ShellWorker(), WorkContext(task_id="i", attempt=1, args=("true",)), priority=PRIORITY_IMMEDIATE)
    qtbot.waitUntil(lambda: "i" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert spawned_on[-1] != threading.main_thread().name


def test_the_loop_takes_at_most_max_threads_runs_and_the_pool_the_rest(qtbot: object) -> None:
    runner = JobRunner(max_threads=2)
    seen = _Recorder(runner)
    spawned_on: list[str] = []
    runner.watch_group = lambda pgid, start, marker: spawned_on.append(threading.current_thread().name)
    try:
        for i in range(4):
            _submit(runner, f"b{i}", ["sh", "-c", "sleep 0.3"])
        qtbot.waitUntil(lambda: len(seen.results) == 4, timeout=10000)  # type: ignore[attr-defined]
    finally:
        runner.shutdown(msecs=20000)
    assert spawned_on.count(threading.main_thread().name) == 2
    assert all(r.outcome is Outcome.SUCCEEDED for r in seen.results.values())


def test_many_runs_at_once_keep_their_own_output(qtbot: object) -> None:
    runner = JobRunner(max_threads=20)
    seen = _Recorder(runner)
    spawned_on: list[str] = []
    runner.watch_group = lambda pgid, start, marker: spawned_on.append(threading.current_thread().name)
    for i in range(20):
        _submit(runner, f"m{i}", ["sh", "-c", f"for n in 1 2 3; do echo {i}-$n; done"])
    qtbot.waitUntil(lambda: len(seen.results) == 20, timeout=20000)  # type: ignore[attr-defined]
    runner.shutdown(msecs=20000)
    assert spawned_on == [threading.main_thread().name] * 20  # all of them supervised from the loop
    for i in range(20):
        assert "".join(seen.output[f"m{i}"]) == "".join(f"{i}-{n}\n" for n in (1, 2, 3))
        assert seen.results[f"m{i}"].outcome is Outcome.SUCCEEDED


def test_a_partial_line_is_passed_on_after_a_quiet_spell(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "p", ["sh", "-c", "printf 'half'; sleep 1; echo ' done'"])
    # The timer, not the end of the run, delivers the partial line.
    qtbot.waitUntil(lambda: seen.output.get("p") == ["half"], timeout=5000)  # type: ignore[attr-defined]
    assert "p" not in seen.results
    qtbot.waitUntil(lambda: "p" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert "".join(seen.output["p"]) == "half done\n"
    assert PARTIAL_LINE_DELAY < 1


def test_a_cancel_stops_the_group(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "c", ["sh", "-c", "sleep 30 & echo up; wait"])
    qtbot.waitUntil(lambda: "up\n" in "".join(seen.output.get("c", [])), timeout=10000)  # type: ignore[attr-defined]
    assert runner.cancel("c", StopReason.CANCELLED_BY_USER)
    qtbot.waitUntil(lambda: "c" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert seen.results["c"].outcome is Outcome.CANCELLED
    # The polite stop ended it. (Not a time bound: the group stays taken until its
    # orphaned ``sleep``, a zombie at once, is reaped by init, which some take over a
    # second to do; this machine's PID 1 does.)
    assert seen.results["c"].exit_code == -15
    assert _group_gone(seen.groups["c"])


def test_a_command_deaf_to_the_stop_is_killed_after_the_grace_period(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "k", ["sh", "-c", "trap '' TERM; echo up; exec sleep 60"], ShellWorker(grace_period=0.4))
    qtbot.waitUntil(lambda: "up\n" in "".join(seen.output.get("k", [])), timeout=10000)  # type: ignore[attr-defined]
    started = time.monotonic()
    runner.cancel("k", StopReason.CANCELLED_BY_USER)
    qtbot.waitUntil(lambda: "k" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert time.monotonic() - started >= 0.4  # the deadline timer, not an early end
    assert seen.results["k"].outcome is Outcome.CANCELLED
    assert _group_gone(seen.groups["k"])


def test_a_cancel_from_another_thread_wakes_the_loop(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    job = _submit(runner, "t", ["sh", "-c", "echo up; exec sleep 60"])
    qtbot.waitUntil(lambda: "t" in seen.output, timeout=10000)  # type: ignore[attr-defined]
    canceller = threading.Thread(target=job.ctx.cancel, args=(StopReason.CANCELLED_BY_USER,))
    canceller.start()
    canceller.join()
    qtbot.waitUntil(lambda: "t" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert seen.results["t"].outcome is Outcome.CANCELLED


def test_members_left_behind_are_stopped(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "l", ["sh", "-c", "sleep 30 >/dev/null 2>&1 & echo left"])
    qtbot.waitUntil(lambda: "l" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    assert seen.results["l"].outcome is Outcome.SUCCEEDED
    assert "left processes running" in "".join(seen.output["l"])
    assert _group_gone(seen.groups["l"])


def test_a_command_that_cannot_start_fails_at_once(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    _submit(runner, "n", ["/no/such/command"])
    qtbot.waitUntil(lambda: "n" in seen.results, timeout=5000)  # type: ignore[attr-defined]
    assert seen.results["n"].outcome is Outcome.FAILED and seen.results["n"].exit_code == 127


def test_args_the_worker_refuses_fail_the_run_before_any_spawn(qtbot: object, runner: JobRunner) -> None:
    seen = _Recorder(runner)
    spawned: list[int] = []
    runner.watch_group = lambda pgid, start, marker: spawned.append(pgid)
    _submit(runner, "r", [])  # a database written by hand can hold what the engine would refuse
    qtbot.waitUntil(lambda: "r" in seen.results, timeout=5000)  # type: ignore[attr-defined]
    assert seen.results["r"].outcome is Outcome.FAILED
    assert "needs a command" in (seen.results["r"].error or "")
    assert spawned == []


def test_a_failing_supervision_fails_the_run_and_kills_its_group(
        qtbot: object, runner: JobRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _Recorder(runner)
    real_ready = _Supervisor.ready

    def broken(self: _Supervisor, fd: int) -> None:
        real_ready(self, fd)
        raise RuntimeError("a bug in the supervision")

    monkeypatch.setattr(_Supervisor, "ready", broken)
    _submit(runner, "f", ["sh", "-c", "echo up; exec sleep 60"])
    qtbot.waitUntil(lambda: "f" in seen.results, timeout=10000)  # type: ignore[attr-defined]
    result = seen.results["f"]
    assert result.outcome is Outcome.FAILED and "a bug in the supervision" in (result.error or "")
    assert _group_gone(seen.groups["f"])


def test_wait_for_done_drives_the_runs_without_the_event_loop(runner: JobRunner) -> None:
    """Shutdown and tests block the event loop: the runs supervised there still end."""
    results: list[WorkResult] = []
    runner.finished.connect(lambda job, result: results.append(result))
    _submit(runner, "w", ["sh", "-c", "sleep 0.2; echo out"])
    started = time.monotonic()
    assert runner.wait_for_done(10000)
    assert time.monotonic() - started >= 0.2
    assert [r.outcome for r in results] == [Outcome.SUCCEEDED]


def test_shutdown_stops_a_run_supervised_here(runner: JobRunner) -> None:
    results: list[WorkResult] = []
    groups: list[int] = []
    runner.finished.connect(lambda job, result: results.append(result))
    runner.group.connect(lambda task_id, pgid, start: groups.append(pgid))
    _submit(runner, "s", ["sh", "-c", "exec sleep 60"])
    QCoreApplication.processEvents()  # the group's mail
    started = time.monotonic()
    assert runner.shutdown(StopReason.SHUTDOWN, msecs=10000)
    assert time.monotonic() - started < 5
    assert [r.outcome for r in results] == [Outcome.CANCELLED]
    assert groups and _group_gone(groups[0])


def test_a_finished_run_leaves_no_reference_cycle_behind(qtbot: object, runner: JobRunner) -> None:
    """What a run supervised here made (its job, context, supervision and the loop's
    record of it) is freed by reference counting when it ends: left in a cycle, each run
    waited for the garbage collector, whose collections took 18-24 us a run draining a
    backlog, full collections of the whole heap among them (issue 14)."""
    assert _left_for_the_collector(qtbot, runner, PRIORITY_DEFERRED) == []


@pytest.mark.parametrize("priority", [PRIORITY_IMMEDIATE, PRIORITY_ALARM], ids=["immediate", "alarm"])
def test_a_run_finished_on_a_pool_thread_leaves_no_reference_cycle_behind(
        qtbot: object, runner: JobRunner, priority: int) -> None:
    """As above for runs supervised on a pool thread: immediate work, and an alarm's,
    whose command starts inside ``submit``. The supervisor's cancel callback, left in
    the context it holds, made each run a cycle (issue 14)."""
    assert _left_for_the_collector(qtbot, runner, priority) == []


def _left_for_the_collector(qtbot: object, runner: JobRunner, priority: int) -> list[object]:
    """The objects of two shell runs at ``priority`` (as many as the loop takes at once:
    a third deferred one would go to the pool) that only a collection would free."""
    seen = _Recorder(runner)
    runner.watch_group = lambda pgid, start, marker: None  # the engine sets it: its sink is the one to check
    worker = ShellWorker()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept for a look, not freed
    try:
        for i in range(2):
            runner.submit(worker, WorkContext(task_id=f"c{i}", attempt=1, args=("sh", "-c", "echo out")), priority)
        qtbot.waitUntil(lambda: len(seen.results) == 2, timeout=10000)  # type: ignore[attr-defined]
        assert all(r.outcome is Outcome.SUCCEEDED for r in seen.results.values())
        # A pool thread's loop holds its last job until it takes another or returns.
        assert runner.shutdown(msecs=10000)
        gc.collect()
        return [o for o in gc.garbage
                if isinstance(o, (Job, WorkContext, _Supervisor, shell_loop._Run, shell_loop._Registrar))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
