"""Noticing clock changes and resumes, in one place, and telling every scheduler.

Timers run on monotonic time: it ignores clock changes and stands still in a suspend.
So a wall-clock instant (an alarm, a deferred task's due time, a periodic window) is
only as prompt as the moment someone re-reads the wall clock after it moved. The
:class:`ClockWatch` notices that moment and emits :attr:`ClockWatch.changed` once per
notice; the engine wakes the alarm scheduler (and with it the reminders) and the
deferred dispatcher from it, and re-bases elapsed delays (:func:`rebase_delays`).

How a change is noticed, fastest first:

- **Linux, a clock set**: a ``timerfd`` on CLOCK_REALTIME armed with
  ``TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET`` (what systemd uses): any
  ``clock_settime`` (the user, NTP's step, timedated) makes its ``read`` fail with
  ECANCELED at once; a QSocketNotifier watches it and it is re-armed after each notice.
- **Linux, a resume**: logind's ``PrepareForSleep(false)`` on the system bus.
- **Everywhere, the measurement**: every check compares wall-clock progress with
  CLOCK_BOOTTIME progress (a difference is a clock change) and boottime with
  monotonic progress (a difference is time spent suspended). A check runs every
  :data:`CHECK_SECONDS` on the real clock -- two clock reads, no I/O, no query -- and
  whenever a scheduler's own timer wakes. This is the portable path, and the one that
  sees changes the kernel never announces (a process-local clock such as libfaketime,
  a platform without timerfd); it bounds the notice to about a second.

The fake clock announces its ``jump`` and ``suspend`` through :meth:`Clock.on_change`,
which takes the same path as the timerfd's ECANCELED.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from engine.clock import Clock, SystemClock, to_us
from engine.model import Task
from engine.store import Store

log = logging.getLogger(__name__)

#: Seconds between two measurements on the real clock (see the module's docstring).
CHECK_SECONDS = 1.0
#: Wall and elapsed progress differing by more than this (s) is a clock change (or a
#: suspend); less is timer jitter and NTP slewing.
TOLERANCE = 0.5
#: Changes kept in :attr:`ClockWatch.changes` for diagnostics.
HISTORY = 100
#: ClockWatch's check_every default: measure on the real clock only.
_BY_CLOCK = -1.0


@dataclass(frozen=True)
class ClockChange:
    """What one notice found. ``step``: the wall clock was set by this many seconds
    (forward > 0); ``slept``: seconds the machine was suspended. Both 0: an
    announcement (a clock set within the tolerance, a resume) with nothing to measure."""

    step: float
    slept: float
    source: str  # "timerfd", "logind", "clock" (the fake clock's announcement), "check"

    def describe(self) -> str:
        parts = []
        if self.step:
            parts.append(f"the wall clock was set {self.step:+.1f} s")
        if self.slept:
            parts.append(f"the machine slept {self.slept:.1f} s")
        return ("; ".join(parts) or "the clock was set or the machine resumed") + f" (noticed by {self.source})"


class ClockWatch(QObject):
    """Notices clock changes and resumes; :attr:`changed` is emitted once per notice."""

    changed = Signal(object)  # ClockChange

    def __init__(
        self,
        clock: Clock,
        parent: QObject | None = None,
        *,
        kernel: bool | None = None,
        check_every: float | None = _BY_CLOCK,
    ) -> None:
        """``kernel``: watch timerfd and logind (default: on the real clock on Linux).
        ``check_every``: measurement cadence in seconds, None for none (default:
        :data:`CHECK_SECONDS` on the real clock; the fake clock announces its changes)."""
        super().__init__(parent)
        real = isinstance(clock, SystemClock)
        self._clock = clock
        self._kernel = real and sys.platform.startswith("linux") if kernel is None else kernel
        self._check_every = (CHECK_SECONDS if real else None) if check_every == _BY_CLOCK else check_every
        self._tick = clock.timer(self._on_tick)
        self._mark: tuple[float, float, float] | None = None  # wall (s), monotonic, boottime
        self._unsubscribe: Callable[[], None] | None = None
        self._cancel_on_set: _CancelOnSet | None = None
        self._sleep: _SleepWatcher | None = None
        self.changes: list[ClockChange] = []

    @property
    def running(self) -> bool:
        return self._mark is not None

    @property
    def kernel_watch(self) -> bool:
        """True if the kernel tells this watch of clock sets (a timerfd is armed)."""
        return self._cancel_on_set is not None

    def start(self) -> None:
        self._mark = self._read()
        self._unsubscribe = self._clock.on_change(self._announcement("clock"))
        if self._kernel:
            self._cancel_on_set = _CancelOnSet.open(self, self._announcement("timerfd"))
            self._sleep = _SleepWatcher(self, self._announcement("logind"))
        if self._check_every is not None:
            self._tick.start(self._check_every)

    def stop(self) -> None:
        self._mark = None
        self._tick.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._cancel_on_set is not None:
            self._cancel_on_set.close()
            self._cancel_on_set = None
        if self._sleep is not None:
            self._sleep.deleteLater()
            self._sleep = None

    def check(self, source: str = "check", *, announced: bool = False) -> ClockChange | None:
        """Measure since the last check; a change found (or ``announced``) is emitted at
        once. Returns what was found.

        At once, not on the next turn of the loop: an alarm scheduler that checks from its
        own timer must see elapsed delays re-based before it fires what looks due."""
        if self._mark is None:
            return None
        wall0, mono0, boot0 = self._mark
        self._mark = wall, mono, boot = self._read()
        step = (wall - wall0) - (boot - boot0)
        slept = (boot - boot0) - (mono - mono0)
        step = step if abs(step) > TOLERANCE else 0.0
        slept = slept if slept > TOLERANCE else 0.0
        if not (step or slept or announced):
            return None
        change = ClockChange(step, slept, source)
        self.changes = [*self.changes[-(HISTORY - 1):], change]
        log.info("%s: waking every scheduler", change.describe())
        self.changed.emit(change)
        return change

    def _announcement(self, source: str) -> Callable[[], None]:
        def announced() -> None:
            self.check(source, announced=True)

        return announced

    def _read(self) -> tuple[float, float, float]:
        return self._clock.now_us() / 1e6, self._clock.monotonic(), self._clock.boottime()

    def _on_tick(self) -> None:
        self.check()
        if self._mark is not None and self._check_every is not None:
            self._tick.start(self._check_every)



# ---------------------------------------------------------------- elapsed delays


def is_delay(task: Task) -> bool:
    """Whether ``task`` waits out an elapsed delay (``--in``) rather than a wall-clock
    instant: a one-shot task given a delay that has not run yet. ``--at``, periodic
    windows and calendar rules follow the wall clock."""
    repeats = task.spec.schedule is not None and task.spec.schedule.repeats
    return task.spec.initial_delay is not None and not repeats and task.attempts == 0 and task.next_run_at is not None


def rebase_delays(store: Store, step: float, now_us: int) -> list[str]:
    """The wall clock was set by ``step`` seconds: move the due instant of every task
    waiting out an elapsed delay by as much, so it keeps the delay it had left.
    Returns the ids of the tasks moved (one transaction)."""
    moved: list[str] = []
    shift = timedelta(seconds=step)
    with store.transaction():
        for task in store.waiting_out_a_delay():
            if is_delay(task) and task.next_run_at is not None:
                store.set_next_run(task.id, to_us(task.next_run_at + shift), now_us)
                moved.append(task.id)
    return moved


# ---------------------------------------------------------------- Linux: timerfd


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


# <sys/timerfd.h>, <time.h>: the same values on every Linux architecture.
_CLOCK_REALTIME = 0
_TFD_CLOEXEC = os.O_CLOEXEC
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_TIMER_ABSTIME = 1
_TFD_TIMER_CANCEL_ON_SET = 2
#: The timer is armed this far ahead: it exists to be cancelled, and is re-armed if it
#: ever expires.
_FAR = 365 * 86400


class _CancelOnSet(QObject):
    """A CLOCK_REALTIME timerfd whose read fails with ECANCELED when the clock is set
    (Python 3.13 has os.timerfd_create; 3.11 does not, hence ctypes)."""

    def __init__(self, parent: QObject, fd: int, libc: Any, on_set: Callable[[], None]) -> None:
        super().__init__(parent)
        self.fd = fd
        self._libc = libc
        self._on_set = on_set
        self._arm()
        self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)

    @classmethod
    def open(cls, parent: QObject, on_set: Callable[[], None]) -> _CancelOnSet | None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            create = libc.timerfd_create
        except (OSError, AttributeError):
            log.debug("no timerfd here: clock changes are measured every %s s", CHECK_SECONDS)
            return None
        fd = create(_CLOCK_REALTIME, _TFD_CLOEXEC | _TFD_NONBLOCK)
        if fd < 0:
            log.warning("timerfd_create failed (%s): clock changes are measured every %s s",
                        os.strerror(ctypes.get_errno()), CHECK_SECONDS)
            return None
        try:
            return cls(parent, fd, libc, on_set)
        except OSError:
            os.close(fd)
            log.warning("timerfd_settime failed: clock changes are measured every %s s", CHECK_SECONDS, exc_info=True)
            return None

    def _arm(self) -> None:
        # Absolute, on CLOCK_REALTIME, far ahead: "now" is read from the kernel's
        # clock, not the Clock interface, because it is the kernel's clock that is watched.
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(int(_realtime()) + _FAR, 0))
        flags = _TFD_TIMER_ABSTIME | _TFD_TIMER_CANCEL_ON_SET
        if self._libc.timerfd_settime(self.fd, flags, ctypes.byref(spec), None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))

    @Slot()
    def _on_readable(self) -> None:
        try:
            os.read(self.fd, 8)  # 8 bytes: the far timer expired (a year of uptime)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno != errno.ECANCELED:
                raise
        self._arm()  # a cancelled timer stays cancelled until it is armed again
        self._on_set()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        os.close(self.fd)
        self.fd = -1
        self.deleteLater()


def _realtime() -> float:
    return time.clock_gettime(time.CLOCK_REALTIME)


# ---------------------------------------------------------------- logind


class _SleepWatcher(QObject):
    """logind's PrepareForSleep(false) on the system bus: a resume, announced."""

    def __init__(self, parent: QObject | None, on_resume: Callable[[], None]) -> None:
        super().__init__(parent)
        self._on_resume = on_resume
        self.connected = False
        try:
            from PySide6.QtCore import SLOT
            from PySide6.QtDBus import QDBusConnection

            bus = QDBusConnection.systemBus()
            if bus.isConnected():
                self.connected = bus.connect(
                    "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                    "PrepareForSleep", self, SLOT("on_prepare_for_sleep(bool)"),  # type: ignore[call-overload]
                )
        except Exception:  # noqa: BLE001 - optional: the measurement notices a resume within a second
            log.debug("no logind sleep signal", exc_info=True)

    @Slot(bool)
    def on_prepare_for_sleep(self, going_to_sleep: bool) -> None:
        if not going_to_sleep:
            self._on_resume()
