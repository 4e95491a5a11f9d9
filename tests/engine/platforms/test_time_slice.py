"""The short time slice held around an alarm (engine.platforms.time_slice), read back
from the kernel: on the thread, in a command started meanwhile, and given back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from engine.clock import SystemClock
from engine.engine import Engine
from engine.model import Kind, State, TaskSpec
from engine.platforms.time_slice import SHORT_SLICE_NS, ShortSlice, syscalls
from engine.store import Store
from tests.engine.exact.fakes import FakeRunner

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="custom time slices are Linux's (sched_setattr)")

T = TypeVar("T")
SCHED_OTHER, SCHED_IDLE = 0, 5


def _in_a_thread(body: Callable[[], T]) -> T:
    """Run ``body`` on a thread of its own: scheduling attributes are per thread, and the
    test's own thread is left as it was."""
    out: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            out.append(body())
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]


def _attr(pid: int = 0) -> Any:
    calls = syscalls()
    assert calls is not None, "no sched_getattr on this machine"
    attr = calls.get(pid)
    assert attr is not None
    return attr


def _skip_without_custom_slices() -> None:
    def probe() -> int:
        held = ShortSlice()
        held.hold()
        runtime = int(_attr().runtime)
        held.release()
        return runtime

    if _in_a_thread(probe) != SHORT_SLICE_NS:
        pytest.skip(f"this kernel ({os.uname().release}) takes no custom slice for a fair task (Linux 6.12+)")


def test_a_held_slice_is_short_inherited_by_a_command_and_given_back() -> None:
    _skip_without_custom_slices()

    def body() -> dict[str, Any]:
        os.setpriority(os.PRIO_PROCESS, 0, 3)  # this thread's nice, which the hold must keep
        before = _attr()
        held = ShortSlice()
        held.hold()
        during = _attr()
        command = subprocess.Popen(["sleep", "30"])
        try:
            in_command = _attr(command.pid)
        finally:
            command.kill()
            command.wait()
        held.release()
        return {"before": before, "during": during, "command": in_command, "after": _attr(), "held": held.held}

    seen = _in_a_thread(body)
    assert seen["during"].runtime == SHORT_SLICE_NS < seen["before"].runtime
    assert (seen["during"].policy, seen["during"].nice) == (SCHED_OTHER, 3)
    assert seen["command"].runtime == SHORT_SLICE_NS  # the alarm's command starts with it
    assert seen["after"].runtime == seen["before"].runtime and seen["after"].nice == 3
    assert seen["held"] is False


def test_an_idle_priority_thread_is_left_as_it_is() -> None:
    def body() -> tuple[bool, int, int, int]:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        before = int(_attr().runtime)
        held = ShortSlice()
        held.hold()
        attr = _attr()
        return held.held, int(attr.policy), int(attr.runtime), before

    held, policy, runtime, before = _in_a_thread(body)
    assert (held, policy, runtime) == (False, SCHED_IDLE, before)


@pytest.mark.realtime
def test_the_alarm_scheduler_holds_it_over_the_last_wait_and_gives_it_back(qtbot: Any, tmp_path: Path) -> None:
    _skip_without_custom_slices()
    store = Store(tmp_path / "slice.db")
    clock = SystemClock()
    engine = Engine(store, clock, runner=FakeRunner(clock))  # type: ignore[arg-type]
    engine.start()
    slice_ = engine.alarms.short_slice
    assert slice_ is not None
    try:
        far = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=clock.now() + timedelta(hours=1)))
        assert not slice_.held and _attr().runtime != SHORT_SLICE_NS  # an hour ahead: nothing held
        near = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT,
                                       run_at=clock.now() + timedelta(milliseconds=40)))
        assert slice_.held and _attr().runtime == SHORT_SLICE_NS  # the last wait before it
        qtbot.waitUntil(lambda: engine.task(near.id).state is State.SUCCEEDED, timeout=10_000)
        assert not slice_.held and _attr().runtime != SHORT_SLICE_NS  # fired; the next one is far
        assert engine.task(far.id).state is State.SCHEDULED
    finally:
        engine.stop()
        store.close()
