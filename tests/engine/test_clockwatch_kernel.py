"""The ClockWatch on the real clock and the real kernel: its timerfd (CLOCK_REALTIME,
TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) is armed, watched by a QSocketNotifier,
re-armed after a notice and closed at stop. The one thing not done here is a real
clock_settime (it would step the clock of every process on this machine): the
ECANCELED branch is driven through the same notifier by a timer expiry instead."""

from __future__ import annotations

import ctypes
import os
import sys
import time

import pytest

from engine import clockwatch
from engine.clock import SystemClock
from engine.clockwatch import ClockWatch

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")


def _remaining(watch: ClockWatch) -> float:
    timer = watch._cancel_on_set
    assert timer is not None
    spec = clockwatch._Itimerspec()
    assert timer._libc.timerfd_gettime(timer.fd, ctypes.byref(spec)) == 0
    return spec.it_value.tv_sec + spec.it_value.tv_nsec / 1e9


def test_the_timerfd_is_armed_watched_rearmed_and_closed(qtbot) -> None:  # type: ignore[no-untyped-def]
    watch = ClockWatch(SystemClock(), check_every=None)
    seen: list[clockwatch.ClockChange] = []
    watch.changed.connect(seen.append)
    watch.start()
    try:
        assert watch.kernel_watch
        timer = watch._cancel_on_set
        assert timer is not None
        fd = timer.fd
        assert _remaining(watch) > 300 * 86400  # armed far ahead: it is there to be cancelled
        # Make the kernel signal the descriptor now (an expiry) through the same notifier.
        soon = clockwatch._Itimerspec(clockwatch._Timespec(0, 0), clockwatch._Timespec(int(time.time()) - 1, 0))
        flags = clockwatch._TFD_TIMER_ABSTIME | clockwatch._TFD_TIMER_CANCEL_ON_SET
        assert timer._libc.timerfd_settime(fd, flags, ctypes.byref(soon), None) == 0
        qtbot.waitUntil(lambda: bool(seen), timeout=2000)
        assert seen[0].source == "timerfd" and (seen[0].step, seen[0].slept) == (0, 0)
        assert _remaining(watch) > 300 * 86400  # armed again after the notice
    finally:
        watch.stop()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed: no descriptor outlives the watch


def test_the_measurement_runs_every_second_on_the_real_clock(qtbot) -> None:  # type: ignore[no-untyped-def]
    watch = ClockWatch(SystemClock())
    watch.start()
    try:
        assert watch._check_every == clockwatch.CHECK_SECONDS and watch._tick.active
    finally:
        watch.stop()
    assert not watch._tick.active


def test_a_cancelled_read_is_a_clock_set_and_other_errors_are_not_swallowed(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno

    watch = ClockWatch(SystemClock(), check_every=None)
    seen: list[clockwatch.ClockChange] = []
    watch.changed.connect(seen.append)
    watch.start()
    try:
        timer = watch._cancel_on_set
        assert timer is not None

        def cancelled(fd: int, n: int) -> bytes:
            raise OSError(errno.ECANCELED, os.strerror(errno.ECANCELED))

        monkeypatch.setattr(clockwatch.os, "read", cancelled)
        timer._on_readable()  # what the notifier calls when the kernel cancels the timer
        qtbot.waitUntil(lambda: bool(seen), timeout=2000)
        assert seen[0].source == "timerfd"

        def broken(fd: int, n: int) -> bytes:
            raise OSError(errno.EBADF, "bad descriptor")

        monkeypatch.setattr(clockwatch.os, "read", broken)
        with pytest.raises(OSError):
            timer._on_readable()
    finally:
        monkeypatch.undo()
        watch.stop()
