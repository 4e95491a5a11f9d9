"""The one clock: wall-clock UTC instants, monotonic time and timers.

Every rule that reads time gets it from a :class:`Clock`. The engine runs on
:class:`SystemClock` (timers are ``Qt.PreciseTimer`` QTimers, in :mod:`engine.qt_timer`,
imported only when a timer is made: reading the time never loads Qt, which keeps the
command line quick to start); tests run on
:class:`FakeClock`, which they advance by hand and which fires its timers in
deadline order, each at its own instant, without sleeping.

Stored instants are integer microseconds since the Unix epoch, UTC (:func:`to_us`).
"""

from __future__ import annotations

import heapq
import itertools
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QObject


def to_us(instant: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (UTC)."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    # timedelta(days, seconds, microseconds) given by position: 0.39 against 0.52 us by
    # keyword, four times a run (issue 14).
    return _EPOCH + timedelta(0, 0, us)


def iso(instant: datetime | None) -> str | None:
    """ISO 8601 in UTC with microseconds, the command line's form of an instant."""
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Timer(ABC):
    """A one-shot timer. ``start`` again re-arms it; ``stop`` disarms it."""

    @abstractmethod
    def start(self, delay: float) -> None:
        """Fire the callback once, ``delay`` seconds of monotonic time from now."""

    @abstractmethod
    def stop(self) -> None: ...

    @property
    @abstractmethod
    def active(self) -> bool: ...


class Clock(ABC):
    @abstractmethod
    def now(self) -> datetime:
        """The wall-clock instant, aware, in UTC."""

    @abstractmethod
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (and, like CLOCK_MONOTONIC, stops in suspend)."""

    @abstractmethod
    def timer(self, callback: Callable[[], None]) -> Timer:
        """A new, unarmed one-shot timer that calls ``callback`` on the owner's thread."""

    def boottime(self) -> float:
        """Seconds of elapsed time that, like CLOCK_BOOTTIME, also count a suspend.

        Wall progress minus boottime progress is a clock change; boottime progress
        minus monotonic progress is time spent suspended (engine.clockwatch)."""
        return self.monotonic()

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` when this clock *knows* it was set or resumed; returns the
        unsubscribe. The real clock knows nothing by itself (engine.clockwatch asks the
        kernel); the fake clock announces its jumps and suspends here."""
        return lambda: None

    def now_us(self) -> int:
        return to_us(self.now())


class SystemClock(Clock):
    """The real clock. Its timers need a running Qt event loop on the calling thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        self._parent = parent

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_us(self) -> int:
        # The same reading as to_us(now()) (both floor the system clock to the
        # microsecond) without making a datetime: 0.10 against 0.45 us (issue 14).
        return time.time_ns() // 1000

    def monotonic(self) -> float:
        return time.monotonic()

    def boottime(self) -> float:
        # Windows: no clock_gettime; WM_POWERBROADCAST announces a resume. (_BOOTTIME is
        # None there too; the platform test is what mypy reads.)
        if _BOOTTIME is None or sys.platform == "win32":
            return time.monotonic()
        return time.clock_gettime(_BOOTTIME)

    def timer(self, callback: Callable[[], None]) -> Timer:
        from engine.qt_timer import QtTimer

        return QtTimer(callback, self._parent)


#: CLOCK_BOOTTIME where the platform has it; elsewhere monotonic time (a suspend then
#: looks like a clock change, which wakes the same schedulers; macOS's CLOCK_MONOTONIC
#: counts sleep, time.monotonic does not). Windows has neither constant: None.
_BOOTTIME: int | None = getattr(time, "CLOCK_BOOTTIME", getattr(time, "CLOCK_MONOTONIC", None))


class _FakeTimer(Timer):
    def __init__(self, clock: FakeClock, callback: Callable[[], None]) -> None:
        self._clock = clock
        self.callback = callback
        self.deadline: float | None = None
        self._generation = 0

    def start(self, delay: float) -> None:
        self._generation += 1
        self.deadline = self._clock.monotonic() + max(0.0, delay)
        self._clock._schedule(self, self.deadline, self._generation)

    def stop(self) -> None:
        self._generation += 1
        self.deadline = None

    @property
    def active(self) -> bool:
        return self.deadline is not None


class FakeClock(Clock):
    """A clock that moves only when a test says so.

    ``advance`` moves wall and monotonic time together and fires every timer that
    falls due, in deadline order, with the clock set to each timer's deadline.
    ``jump`` moves only the wall clock (the user changed the time, NTP stepped it);
    ``suspend`` moves the wall clock and boottime, as far as CLOCK_MONOTONIC-based
    timers can tell the same as a jump. Both announce themselves to :meth:`on_change`
    listeners, as the kernel announces a clock set (``announce=False``: a change
    nobody announces, as under libfaketime).
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._wall = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._mono = 1000.0
        self._slept = 0.0  # boottime = monotonic + time spent suspended
        self._listeners: list[Callable[[], None]] = []
        self._heap: list[tuple[float, int, int, _FakeTimer]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def boottime(self) -> float:
        return self._mono + self._slept

    def timer(self, callback: Callable[[], None]) -> Timer:
        return _FakeTimer(self, callback)

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _announce(self) -> None:
        for listener in list(self._listeners):
            listener()

    def _schedule(self, timer: _FakeTimer, deadline: float, generation: int) -> None:
        heapq.heappush(self._heap, (deadline, next(self._seq), generation, timer))

    def _pop_due(self, until: float) -> _FakeTimer | None:
        while self._heap and self._heap[0][0] <= until:
            deadline, _, generation, timer = heapq.heappop(self._heap)
            if timer._generation == generation and timer.deadline == deadline:
                return timer
        return None

    def next_deadline(self) -> float | None:
        """Monotonic seconds from now until the earliest armed timer, or None."""
        live = [d for d, _, g, t in self._heap if t._generation == g and t.deadline == d]
        return min(live) - self._mono if live else None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a fake clock advances forward; use jump() to set the wall clock back")
        target = self._mono + seconds
        while (timer := self._pop_due(target)) is not None:
            assert timer.deadline is not None
            self._move(timer.deadline - self._mono)
            timer.deadline = None
            timer.callback()
        self._move(target - self._mono)

    def advance_to(self, instant: datetime) -> None:
        """Advance until the wall clock reads ``instant``."""
        self.advance((instant - self._wall).total_seconds())

    def run_due(self) -> None:
        """Fire timers that are due now (a zero-second advance)."""
        self.advance(0)

    def jump(self, seconds: float, *, announce: bool = True) -> None:
        """Step only the wall clock, forward or back, as a clock change does."""
        self._wall += timedelta(seconds=seconds)
        if announce:
            self._announce()

    def suspend(self, seconds: float, *, announce: bool = True) -> None:
        """The machine slept: wall time and boottime pass, monotonic time (and its timers) does not."""
        if seconds < 0:
            raise ValueError("a suspend lasts a positive time")
        self._slept += seconds
        self.jump(seconds, announce=announce)

    def _move(self, seconds: float) -> None:
        self._mono += seconds
        self._wall += timedelta(seconds=seconds)
