"""Noticing clock changes and resumes, in one place, and telling every scheduler.

Timers run on monotonic time: it ignores clock changes and stands still in a suspend.
So a wall-clock instant (an alarm, a deferred task's due time, a periodic window) is
only as prompt as the moment someone re-reads the wall clock after it moved. The
:class:`ClockWatch` notices that moment and emits :attr:`ClockWatch.changed` once per
notice; the engine wakes the alarm scheduler (and with it the reminders) and the
deferred dispatcher from it, and re-bases elapsed delays (:func:`rebase_delays`).

How a change is noticed, fastest first:

- **The platform's announcement** (engine.platforms.sleep, one implementation per
  platform): on Linux a ``timerfd`` with ``TFD_TIMER_CANCEL_ON_SET`` (any clock set)
  and logind's ``PrepareForSleep(false)`` (a resume); on Windows ``WM_TIMECHANGE`` and
  ``WM_POWERBROADCAST``; on macOS nothing (see that module: the measurement sees a
  resume there within a second).
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

import logging
import os  # noqa: F401 - tests patch clockwatch.os.read, which the timerfd's read is
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock, SystemClock, to_us
from engine.model import Task
from engine.platforms import sleep
from engine.store import Store

if TYPE_CHECKING:
    from engine.platforms.sleep_linux import _CancelOnSet

# The Linux pieces lived here; tests (and readers) still find them under these names,
# imported when asked for: the watch starts after an owner's first due run (issue 14),
# so the module (and ctypes) need not be loaded before it.
_LINUX_NAMES = ("_TFD_TIMER_ABSTIME", "_TFD_TIMER_CANCEL_ON_SET", "_CancelOnSet", "_Itimerspec", "_SleepWatcher",
                "_Timespec")


def __getattr__(name: str) -> Any:
    if name in _LINUX_NAMES:
        from engine.platforms import sleep_linux

        return getattr(sleep_linux, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
        """``kernel``: listen to the platform's announcements (engine.platforms.sleep;
        default: on the real clock).
        ``check_every``: measurement cadence in seconds, None for none (default:
        :data:`CHECK_SECONDS` on the real clock; the fake clock announces its changes)."""
        super().__init__(parent)
        real = isinstance(clock, SystemClock)
        self._clock = clock
        self._kernel = real if kernel is None else kernel
        self._check_every = (CHECK_SECONDS if real else None) if check_every == _BY_CLOCK else check_every
        self._tick = clock.timer(self._on_tick)
        self._mark: tuple[float, float, float] | None = None  # wall (s), monotonic, boottime
        self._unsubscribe: Callable[[], None] | None = None
        self._platform: sleep.SleepWatch | None = None
        self.changes: list[ClockChange] = []

    @property
    def running(self) -> bool:
        return self._mark is not None

    @property
    def kernel_watch(self) -> bool:
        """True if the platform tells this watch of clock sets (Linux: a timerfd is armed)."""
        return self._platform is not None and self._platform.kernel_watch

    @property
    def _cancel_on_set(self) -> _CancelOnSet | None:
        """Linux's timerfd, while armed (its tests look at it)."""
        return getattr(self._platform, "cancel_on_set", None)

    def start(self) -> None:
        self._mark = self._read()
        self._unsubscribe = self._clock.on_change(self._announcement("clock"))
        if self._kernel:
            self._platform = sleep.for_platform()
            self._platform.start(self, self._announced)
        if self._check_every is not None:
            self._tick.start(self._check_every)

    def stop(self) -> None:
        self._mark = None
        self._tick.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._platform is not None:
            self._platform.stop()
            self._platform = None

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

    def _announced(self, source: str) -> None:
        self.check(source, announced=True)

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
