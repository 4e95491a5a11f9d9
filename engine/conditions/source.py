"""The vocabulary of the condition sources: the constraints' thresholds
(:class:`ConditionSettings`), one answer (:class:`Reading`), the base
:class:`ConditionSource`, :class:`StaticSource` (set by hand) and ``_PolledSource``, the
base of the sources without a change signal: re-read slowly, and only while watched."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock, Timer
from engine.model import Constraint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConditionSettings:
    """Thresholds of the constraints (the settings dialog edits these)."""

    #: storage-not-low is unmet below this much free space where the database lives.
    storage_low_bytes: int = 1024**3
    #: battery-not-low is unmet at or below this charge, unless plugged in (Android's 15 %).
    battery_low_percent: float = 15.0
    #: idle means no user input for this long.
    idle_minutes: float = 5.0
    #: The slow poll of sources without a change signal (psutil, idle time). At least 30 s.
    poll_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.poll_seconds < 30:
            raise ValueError("condition polls are slow by design: poll_seconds must be at least 30")


class Reading(NamedTuple):
    met: bool
    why: str  # words for ``show``: "waiting for network (offline)"; "" when met


class ConditionSource(QObject):
    """One constraint's source. Subclasses set :attr:`constraint` and fill the cache."""

    changed = Signal()
    constraint: Constraint

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reading = Reading(False, f"waiting for {self.label()}: not read yet")

    def label(self) -> str:
        return _LABELS[self.constraint]

    def reading(self) -> Reading:
        return self._reading

    def start(self) -> None:
        """Connect to the system. Called when the engine starts."""

    def stop(self) -> None:
        """Disconnect, stop any poll."""

    def watch(self, watched: bool) -> None:
        """Someone waits on this constraint (or needs it to keep holding): keep it fresh."""

    def _set(self, reading: Reading) -> None:
        if reading != self._reading:
            self._reading = reading
            self.changed.emit()


_LABELS = {
    Constraint.NETWORK: "network",
    Constraint.AC_POWER: "AC power",
    Constraint.BATTERY_NOT_LOW: "battery not low",
    Constraint.STORAGE_NOT_LOW: "storage not low",
    Constraint.IDLE: "the user to be idle",
    Constraint.BACKGROUND: "the app to be in the background",
}


class StaticSource(ConditionSource):
    """A source set by hand: the engine's ``background`` setter, and tests' fakes."""

    def __init__(self, constraint: Constraint, met: bool = True, why: str = "", parent: QObject | None = None) -> None:
        self.constraint = constraint
        super().__init__(parent)
        self.set(met, why)
        self.watched = False

    def set(self, met: bool, why: str = "") -> None:
        self._set(Reading(met, "" if met else (why or f"waiting for {self.label()}")))

    def watch(self, watched: bool) -> None:
        self.watched = watched


class _PolledSource(ConditionSource):
    """A source without a change signal: re-read every ``poll_seconds`` while watched."""

    def __init__(self, clock: Clock, settings: ConditionSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._settings = settings
        # Created on first watch: an engine whose tasks never need this source owns no timer for it.
        self._timer: Timer | None = None
        self._watched = False
        self._read_at: float | None = None

    def _read(self) -> Reading:
        raise NotImplementedError

    def refresh(self) -> None:
        try:
            reading = self._read()
        except Exception as exc:  # an OS quirk must not stop the engine; say it instead
            log.warning("reading %s failed: %s", self.constraint, exc)
            reading = Reading(False, f"waiting for {self.label()}: cannot read it ({exc})")
        self._read_at = self._clock.monotonic()
        self._set(reading)

    def reading(self) -> Reading:
        # Unwatched sources are read on demand, at most once a second (a dispatch may
        # ask for hundreds of tasks at once).
        if self._read_at is None or (not self._watched and self._clock.monotonic() - self._read_at >= 1.0):
            self.refresh()
        return self._reading

    def watch(self, watched: bool) -> None:
        if watched == self._watched:
            return
        self._watched = watched
        if watched:
            self.refresh()
            self._poll_later()
        elif self._timer is not None:
            self._timer.stop()

    def stop(self) -> None:
        self._watched = False
        if self._timer is not None:
            self._timer.stop()

    def _poll_later(self) -> None:
        if self._timer is None:
            self._timer = self._clock.timer(self._on_poll)
        self._timer.start(self._settings.poll_seconds)

    def _on_poll(self) -> None:
        self.refresh()
        if self._watched:
            self._poll_later()
