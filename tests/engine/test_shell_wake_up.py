"""The shell supervisor's wake-up descriptor: one per thread, kept for all its runs
(engine.workers.shell_events.WakeUp), and still the thing a cancel wakes a run with.

The commands below ignore SIGTERM and print nothing more once up, so the only thing that
can end a run's ``poll`` after a cancel is the wake-up: a run that ends CANCELLED proves
the wake reached it. Real processes throughout.
"""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from collections.abc import Callable

import pytest

from engine.model import Outcome, StopReason
from engine.workers import shell_events
from engine.workers.base import WorkContext, WorkResult
from engine.workers.shell import ShellWorker, _Supervisor

pytestmark = [pytest.mark.posix, pytest.mark.realtime]

# Up, then deaf to the polite stop and silent: only SIGKILL after the grace period ends it.
_DEAF = ["sh", "-c", "trap '' TERM; echo up; exec sleep 60"]


def _open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def _ctx(argv: list[str], on_log: Callable[[str], None] = lambda text: None) -> WorkContext:
    return WorkContext(task_id="w1", attempt=1, args=tuple(argv), on_log=on_log)


def _cancel_when_up(ctx: WorkContext) -> Callable[[str], None]:
    """An on_log that cancels ``ctx`` from another thread once the command says it is up
    and the run's thread waits in ``poll`` again (a cancel seen before that needs no wake)."""

    def on_log(text: str) -> None:
        if "up" in text:
            _cancel_once_polling(ctx, threading.get_native_id())

    return on_log


def _cancel_once_polling(ctx: WorkContext, tid: int) -> None:
    def cancel() -> None:
        _wait_in_poll(tid)
        ctx.cancel(StopReason.CANCELLED_BY_USER)

    threading.Thread(target=cancel).start()


#: poll's and ppoll's numbers by machine (/proc/PID/task/TID/syscall names the call a
#: thread waits in); the generic table (arm64, riscv64, loongarch64) has ppoll only.
_POLL_CALLS = {
    "x86_64": {"7", "271"}, "aarch64": {"73"}, "riscv64": {"73"}, "loongarch64": {"73"},
    "i686": {"168", "309"}, "armv7l": {"168", "336"}, "ppc64le": {"167", "281"}, "s390x": {"168", "302"},
}


def _wait_in_poll(tid: int) -> None:
    calls = _POLL_CALLS.get(platform.machine()) if sys.platform.startswith("linux") else None
    if calls is None:
        # macOS has no /proc to watch the thread in: long enough for the run to be back
        # in its poll (a cancel seen before the poll needs no wake, and still passes).
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/self/task/{tid}/syscall") as file:
                if file.read().split(" ", 1)[0] in calls:
                    return
        except ProcessLookupError:  # the thread ended: nothing is left to wake
            return
        time.sleep(0.005)
    raise AssertionError("the run's thread never waited in poll")


def _on_one_thread(body: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            body()
        except BaseException as exc:  # noqa: BLE001  (re-raised on the test's thread)
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "a run did not return"
    if errors:
        raise errors[0]


@pytest.mark.linux
def test_a_thread_keeps_one_wake_up_and_every_cancel_still_wakes_its_run() -> None:
    worker = ShellWorker(grace_period=0.2, supervisor=_Supervisor)
    seen: list[int] = []
    results: list[WorkResult] = []
    fds_after: list[set[int]] = []

    def body() -> None:
        for _ in range(3):
            ctx = _ctx(_DEAF)
            ctx.on_log = _cancel_when_up(ctx)
            results.append(worker.run(ctx))
            seen.append(shell_events.thread_wake_up().fd)
            fds_after.append(_open_fds())
        results.append(worker.run(_ctx(["true"])))

    before = _open_fds()
    _on_one_thread(body)
    assert [r.outcome for r in results] == [Outcome.CANCELLED] * 3 + [Outcome.SUCCEEDED]
    assert [r.exit_code for r in results[:3]] == [-9] * 3  # SIGTERM ignored: killed after the grace
    assert len(set(seen)) == 1  # the same descriptor, run after run
    assert fds_after[1] == fds_after[0] == fds_after[2]  # nothing made or left per run
    assert _open_fds() <= before  # the thread's own was closed when the thread ended


def test_a_cancel_after_its_run_ended_leaves_nothing_for_the_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = ShellWorker(supervisor=_Supervisor)
    outcomes: list[Outcome] = []
    pending: list[bool] = []

    def body() -> None:
        first = _ctx(["true"])
        taken: list[Callable[[], None]] = []  # what a cancel racing the run's end took
        monkeypatch.setattr(first, "add_cancel_callback", taken.append)
        outcomes.append(worker.run(first).outcome)
        first.cancel(StopReason.CANCELLED_BY_USER)  # late: the run removed its callback at its end
        for callback in taken:  # that racing cancel calls it after the end all the same
            callback()
        cancelled = _ctx(_DEAF)
        cancelled.on_log = _cancel_when_up(cancelled)
        outcomes.append(ShellWorker(grace_period=0.2, supervisor=_Supervisor).run(cancelled).outcome)
        pending.append(_readable(shell_events.thread_wake_up().fd))  # its wake-up was taken at its end
        outcomes.append(worker.run(_ctx(["sh", "-c", "sleep 0.2; echo done"])).outcome)

    _on_one_thread(body)
    assert outcomes == [Outcome.SUCCEEDED, Outcome.CANCELLED, Outcome.SUCCEEDED]
    assert pending == [False]


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])


def test_a_run_supervised_inside_another_on_its_thread_has_a_wake_up_of_its_own() -> None:
    """A run's output callback that runs a command itself (the python worker may): the
    inner run may not take the outer's wake-up, which must still wake the outer."""
    worker = ShellWorker(grace_period=0.2, supervisor=_Supervisor)
    inner: list[WorkResult] = []
    outer = _ctx(_DEAF)

    def on_log(text: str) -> None:
        if "up" in text:
            inner_ctx = _ctx(_DEAF)
            inner_ctx.on_log = _cancel_when_up(inner_ctx)
            inner.append(worker.run(inner_ctx))
            _cancel_once_polling(outer, threading.get_native_id())

    outer.on_log = on_log
    results: list[WorkResult] = []
    before = _open_fds()
    _on_one_thread(lambda: results.append(worker.run(outer)))
    assert [r.outcome for r in inner] == [Outcome.CANCELLED]
    assert [r.outcome for r in results] == [Outcome.CANCELLED]
    assert _open_fds() <= before  # the inner run's own wake-up is closed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pipe form is the one used off Linux")
def test_off_linux_the_wake_up_is_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    wake = shell_events.WakeUp()
    try:
        assert wake.fd != wake._write_fd
        run = object()
        assert wake.arm(run) and not wake.arm(object())
        wake.wake(run)
        assert _readable(wake.fd)
        wake.take()
        assert not _readable(wake.fd)
        wake.wake(run)
        wake.disarm()
        assert not _readable(wake.fd)
        wake.wake(run)  # disarmed: nothing written
        assert not _readable(wake.fd)
    finally:
        wake.close()


def test_a_pool_threads_wake_up_goes_with_the_thread(qtbot: object) -> None:
    """The job runner's pool threads (Qt's) keep theirs while they linger and drop it when
    they return: it is then collected, and collecting it closes its descriptor."""
    import weakref

    from engine.immediate import LINGER, PRIORITY_IMMEDIATE, JobRunner

    kept: list[weakref.ref[shell_events.WakeUp]] = []

    class Recording(ShellWorker):
        def run(self, ctx: WorkContext) -> WorkResult:
            result = super().run(ctx)
            kept.append(weakref.ref(shell_events.thread_wake_up()))
            return result

    runner = JobRunner(max_threads=2)
    done: list[WorkResult] = []
    runner.finished.connect(lambda job, result: done.append(result))
    try:
        for i in range(6):
            # Immediate work: the pool's (deferred shell work is supervised from the loop).
            runner.submit(Recording(supervisor=_Supervisor), WorkContext(task_id=f"p{i}", attempt=1, args=("true",)),
                          priority=PRIORITY_IMMEDIATE)
        qtbot.waitUntil(lambda: len(done) == 6, timeout=20000)  # type: ignore[attr-defined]
        alive = {id(ref()) for ref in kept if ref() is not None}
        assert 1 <= len(alive) <= 2  # one a pool thread, however many runs it took
        qtbot.waitUntil(lambda: all(ref() is None for ref in kept),  # type: ignore[attr-defined]
                        timeout=int(LINGER * 1000) + 10000)
    finally:
        runner.shutdown()
    assert [r.outcome for r in done] == [Outcome.SUCCEEDED] * 6


def test_collecting_a_wake_up_closes_its_descriptor() -> None:
    wake = shell_events.WakeUp()
    fd = wake.fd
    os.fstat(fd)
    del wake
    with pytest.raises(OSError):  # EBADF: closed (listing /proc/self/fd would reuse its number)
        os.fstat(fd)
