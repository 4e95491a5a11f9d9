"""The contract of engine.platforms.sleep (the platform's announcements of resumes and
clock sets), run against the real Linux watch and against the Windows watch over a
scripted user32 (tests/engine/platforms/doubles.py: the real thread, window procedure
callback and Qt hand-over; only the DLL is fake). macOS has no watch: the periodic
check alone, which the last tests pin down.

How each is made to report: Linux's timerfd is made to fire by the kernel (an expiry
through the same descriptor: a real clock_settime would step every process's clock
here) and logind's signal is delivered to its slot (no system bus in CI); the Windows
double gets WM_TIMECHANGE and WM_POWERBROADCAST in its queue, as Windows broadcasts them.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QCoreApplication, QObject

from engine import clockwatch
from engine.clock import SystemClock
from engine.clockwatch import ClockWatch
from engine.platforms import sleep, sleep_linux, sleep_windows as win
from engine.platforms.sleep import LinuxSleepWatch, NoSleepWatch, SleepWatch
from engine.platforms.sleep_windows import WindowsSleepWatch
from tests.engine.platforms.doubles import FakeKernel32ForWindows, FakeUser32


@dataclass
class Harness:
    watch: SleepWatch
    resume: Callable[[], None]
    going_to_sleep: Callable[[], None]
    clock_set: Callable[[], None]
    released: Callable[[], bool]
    sources: tuple[str, str]  # (resume, clock set)
    owner: QObject | None = None  # the watch's parent: lives until the watch is stopped


def _linux() -> Harness:
    watch = LinuxSleepWatch()
    fds: list[int] = []

    def clock_set() -> None:
        timer = watch.cancel_on_set
        assert timer is not None
        fds.append(timer.fd)
        soon = sleep_linux._Itimerspec(sleep_linux._Timespec(0, 0), sleep_linux._Timespec(int(time.time()) - 1, 0))
        flags = sleep_linux._TFD_TIMER_ABSTIME | sleep_linux._TFD_TIMER_CANCEL_ON_SET
        assert timer._libc.timerfd_settime(timer.fd, flags, ctypes.byref(soon), None) == 0

    def released() -> bool:
        for fd in fds:
            try:
                os.fstat(fd)
                return False
            except OSError:
                pass
        return watch.cancel_on_set is None and watch.logind is None

    def logind(going: bool) -> None:
        assert watch.logind is not None
        watch.logind.on_prepare_for_sleep(going)

    return Harness(watch, lambda: logind(False), lambda: logind(True), clock_set, released, ("logind", "timerfd"))


def _windows() -> Harness:
    user32 = FakeUser32()
    watch = WindowsSleepWatch(user32, FakeKernel32ForWindows())
    return Harness(
        watch,
        resume=lambda: user32.post(win.WM_POWERBROADCAST, win.PBT_APMRESUMEAUTOMATIC),
        going_to_sleep=lambda: user32.post(win.WM_POWERBROADCAST, 0x0004),  # PBT_APMSUSPEND
        clock_set=lambda: user32.post(win.WM_TIMECHANGE),
        released=lambda: user32.unregistered == [win.CLASS_NAME] and user32.destroyed == [0x77]
        and watch._thread is None,
        sources=("WM_POWERBROADCAST", "WM_TIMECHANGE"),
    )


@pytest.fixture(params=["linux", "windows double"])
def harness(request: pytest.FixtureRequest, qapp: object) -> Iterator[Harness]:
    if request.param == "linux" and not sys.platform.startswith("linux"):
        pytest.skip("the timerfd and logind are Linux's")
    made = _linux() if request.param == "linux" else _windows()
    yield made
    made.watch.stop()


class _Owner(QObject):
    pass


def _started(harness: Harness) -> tuple[_Owner, list[tuple[str, int]]]:
    owner = harness.owner = _Owner()
    heard: list[tuple[str, int]] = []
    harness.watch.start(owner, lambda source: heard.append((source, threading.get_ident())))
    return owner, heard


def test_a_resume_is_announced_once_on_the_owners_thread(harness: Harness, qtbot) -> None:  # type: ignore[no-untyped-def]
    _owner, heard = _started(harness)
    harness.going_to_sleep()  # nothing to do before a suspend
    harness.resume()
    qtbot.waitUntil(lambda: bool(heard), timeout=5000)
    # No time window to wait out: what the resume's hand-over posted is delivered now, and
    # a clock set behind it is a barrier (the watch hands each notice over in order: the
    # Windows thread takes its messages first come first served), so a second, wrong
    # resume announcement would come before the clock set's.
    QCoreApplication.sendPostedEvents()
    harness.clock_set()
    qtbot.waitUntil(lambda: len(heard) > 1, timeout=5000)
    assert heard == [(harness.sources[0], threading.get_ident()), (harness.sources[1], threading.get_ident())]


def test_a_clock_set_is_announced_on_the_owners_thread(harness: Harness, qtbot) -> None:  # type: ignore[no-untyped-def]
    _owner, heard = _started(harness)
    assert harness.watch.kernel_watch
    harness.clock_set()
    qtbot.waitUntil(lambda: bool(heard), timeout=5000)
    assert heard[0] == (harness.sources[1], threading.get_ident())


def test_after_stop_nothing_is_announced_and_nothing_is_held(harness: Harness, qtbot) -> None:  # type: ignore[no-untyped-def]
    _owner, heard = _started(harness)
    harness.clock_set()
    harness.watch.stop()
    assert not harness.watch.kernel_watch and harness.released()
    # Every producer is gone (released): whatever could still arrive is already posted.
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()
    assert heard == []  # stopped before the loop delivered it: dropped, not late


def test_the_clockwatch_wakes_every_scheduler_on_an_announcement(
    harness: Harness, qtbot, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(sleep, "for_platform", lambda platform=None: harness.watch)
    watch = ClockWatch(SystemClock(), check_every=None)
    seen: list[clockwatch.ClockChange] = []
    watch.changed.connect(seen.append)
    watch.start()
    try:
        harness.resume()
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)
        assert seen[0].source == harness.sources[0]
    finally:
        watch.stop()


# ---------------------------------------------------------------- every platform


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_the_periodic_check_runs_on_every_platform(platform: str, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The measurement is the path that needs nothing of the platform; macOS has only it."""
    monkeypatch.setattr(sys, "platform", platform)
    if platform == "win32":  # its DLLs cannot load here: the watch says so and the check remains
        monkeypatch.setattr(win, "load_dlls", lambda: (_ for _ in ()).throw(OSError("not Windows")))
    chosen = sleep.for_platform()
    assert type(chosen) is {"linux": LinuxSleepWatch, "win32": WindowsSleepWatch, "darwin": NoSleepWatch}[platform]
    monkeypatch.setattr(sleep, "for_platform", lambda platform=None: chosen)
    watch = ClockWatch(SystemClock())
    watch.start()
    try:
        assert watch._check_every == clockwatch.CHECK_SECONDS and watch._tick.active
        assert watch.kernel_watch is (platform == "linux")
    finally:
        watch.stop()


def test_boottime_without_clock_gettime_is_monotonic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows' time module has no CLOCK_MONOTONIC and no clock_gettime: importing
    engine.clock must not need them (it did: an import-time AttributeError)."""
    import importlib
    import time as time_module

    from engine import clock

    for name in ("CLOCK_BOOTTIME", "CLOCK_MONOTONIC", "clock_gettime"):
        monkeypatch.delattr(time_module, name)
    try:
        fresh = importlib.reload(clock)
        assert fresh._BOOTTIME is None
        before = time_module.monotonic()
        assert before <= fresh.SystemClock().boottime() <= time_module.monotonic()
    finally:
        monkeypatch.undo()
        importlib.reload(clock)
