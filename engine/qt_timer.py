"""The real clock's timers: one-shot ``Qt.PreciseTimer`` QTimers.

Apart from :mod:`engine.clock` so that reading the time (the command line, the store,
serialization) never imports Qt; :meth:`engine.clock.SystemClock.timer` imports this.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

from engine.clock import Timer

#: QTimer takes an int of milliseconds; longer waits are armed again on expiry.
MAX_TIMER_MS = 2**31 - 1


class QtTimer(Timer):
    """A one-shot ``Qt.PreciseTimer`` QTimer on the calling thread's event loop."""

    def __init__(self, callback: Callable[[], None], parent: QObject | None) -> None:
        self._callback = callback
        self._qtimer = QTimer(parent)
        self._qtimer.setSingleShot(True)
        # The coarse default fired up to 224 ms early under load on this machine;
        # PreciseTimer keeps millisecond accuracy. Callers that must never be early
        # (alarms) re-check the clock when the timer fires.
        self._qtimer.setTimerType(Qt.TimerType.PreciseTimer)
        self._qtimer.timeout.connect(self._on_timeout)
        self._remaining_ms = 0

    def start(self, delay: float) -> None:
        # Round up: a timer that fires a fraction of a millisecond early is early.
        total_ms = max(0, math.ceil(delay * 1000))
        step = min(total_ms, MAX_TIMER_MS)
        self._remaining_ms = total_ms - step
        self._qtimer.start(step)

    def stop(self) -> None:
        self._remaining_ms = 0
        self._qtimer.stop()

    @property
    def active(self) -> bool:
        return self._qtimer.isActive()

    def _on_timeout(self) -> None:
        if self._remaining_ms > 0:
            step = min(self._remaining_ms, MAX_TIMER_MS)
            self._remaining_ms -= step
            self._qtimer.start(step)
            return
        self._callback()
