"""System state that deferred work may require: network, power, battery, storage,
user idle and app visibility.

Each constraint has one :class:`ConditionSource`: it answers :meth:`reading` (met or
not, and in words why not) from a cache, and emits ``changed`` when the answer may
have changed. The dispatcher never polls: it waits for ``changed``.

Where a source has a change signal it is used (Qt's QNetworkInformation). psutil has
none, so the psutil sources (power, battery, storage) poll, slowly (30 s or more),
and only while the dispatcher *watches* them: while some due task waits for them or a
running task requires them. With nothing waiting, nothing wakes up.

A source that cannot know (no network backend, no session bus for idle time) says so
in its reason. Such a constraint is unmet, never met: running backup work on battery
because we could not tell is worse than waiting. Network is the one exception with a
fallback: without a Qt backend, psutil's interface list (a non-loopback interface up)
stands in, polled.

The set of sources is injectable (:class:`Conditions` takes any sources), so tests
use :class:`StaticSource` and flip it.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

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


class AcPowerSource(_PolledSource):
    """psutil has no change signal: polled. No battery at all means mains power."""

    constraint = Constraint.AC_POWER

    def _read(self) -> Reading:
        import psutil  # here: a start with nothing to poll does not pay its import (20 ms)

        battery = psutil.sensors_battery()
        if battery is None or battery.power_plugged:
            return Reading(True, "")
        return Reading(False, f"waiting for AC power (on battery, {battery.percent:.0f}%)")


class BatteryNotLowSource(_PolledSource):
    constraint = Constraint.BATTERY_NOT_LOW

    def _read(self) -> Reading:
        import psutil  # here: a start with nothing to poll does not pay its import (20 ms)

        battery = psutil.sensors_battery()
        if battery is None or battery.power_plugged or battery.percent > self._settings.battery_low_percent:
            return Reading(True, "")
        return Reading(
            False,
            f"waiting for the battery to charge ({battery.percent:.0f}%, low is "
            f"{self._settings.battery_low_percent:g}% or less)",
        )


class StorageNotLowSource(_PolledSource):
    """Free space on the file system that holds the database; polled (no signal)."""

    constraint = Constraint.STORAGE_NOT_LOW

    def __init__(self, clock: Clock, settings: ConditionSettings, data_path: str, parent: QObject | None = None) -> None:
        super().__init__(clock, settings, parent)
        path = Path(data_path) if data_path and data_path != ":memory:" else Path.cwd()
        self._dir = path if path.is_dir() else path.parent

    def _read(self) -> Reading:
        free = shutil.disk_usage(self._dir).free
        if free >= self._settings.storage_low_bytes:
            return Reading(True, "")
        return Reading(
            False,
            f"waiting for free storage ({_size(free)} free in {self._dir}, "
            f"low is under {_size(self._settings.storage_low_bytes)})",
        )


class NetworkSource(ConditionSource):
    """Qt's QNetworkInformation: reachability with a change signal. Met when Online.

    Without a backend (none loads) psutil's interface list stands in, polled: met when
    a non-loopback interface is up. That can be wrong behind a dead router, but
    blocking all network work forever on such a machine would be wronger.
    """

    constraint = Constraint.NETWORK

    def __init__(self, clock: Clock, settings: ConditionSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._info: object | None = None
        self._fallback = _InterfacesUp(clock, settings, self)
        self._fallback.changed.connect(self._on_fallback_changed)

    def start(self) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        if QNetworkInformation.instance() is None and not QNetworkInformation.loadDefaultBackend():
            log.info("no QNetworkInformation backend loads; network is judged by interfaces (polled)")
            self._on_fallback_changed()
            return
        info = QNetworkInformation.instance()
        self._info = info
        info.reachabilityChanged.connect(self._on_reachability)
        self._on_reachability(info.reachability())

    def stop(self) -> None:
        self._fallback.stop()
        if self._info is not None:
            self._info.reachabilityChanged.disconnect(self._on_reachability)  # type: ignore[attr-defined]
            self._info = None

    def watch(self, watched: bool) -> None:
        if self._info is None:
            self._fallback.watch(watched)

    def reading(self) -> Reading:
        if self._info is None:
            return self._fallback.reading()
        return self._reading

    def _on_reachability(self, reachability: Any) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        r = QNetworkInformation.Reachability
        words: dict[Any, str] = {
            r.Disconnected: "offline",
            r.Local: "local network only",
            r.Site: "no internet, site network only",
            r.Unknown: "state unknown",
        }
        if reachability == r.Online:
            self._set(Reading(True, ""))
        else:
            self._set(Reading(False, f"waiting for network ({words.get(reachability, str(reachability))})"))

    def _on_fallback_changed(self) -> None:
        if self._info is None:
            self._set(self._fallback.reading())


class _InterfacesUp(_PolledSource):
    constraint = Constraint.NETWORK

    def _read(self) -> Reading:
        import psutil

        up = [n for n, s in psutil.net_if_stats().items() if s.isup and not n.startswith("lo")]
        if up:
            return Reading(True, "")
        return Reading(False, "waiting for network (no interface is up; no Qt network backend)")


class IdleSource(ConditionSource):
    """How long the user has been idle: on Windows and macOS one call to the OS
    (engine.platforms.idle_time), elsewhere asked of the session over D-Bus.

    GNOME's Mutter IdleMonitor (``GetIdletime``, milliseconds) first, then
    org.freedesktop.ScreenSaver ``GetSessionIdleTime`` (KDE: milliseconds). Calls are
    asynchronous: the UI thread never waits on the bus.

    Neither has a signal for "the user became active", so while watched: when not yet
    idle we ask again exactly when the threshold could first be crossed (computed,
    not polled); when idle we re-ask every ``poll_seconds`` to notice the user return.
    Where no source answers, the reason says so and the constraint stays unmet.
    """

    constraint = Constraint.IDLE
    _SOURCES = (
        ("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core", "org.gnome.Mutter.IdleMonitor", "GetIdletime"),
        ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "GetSessionIdleTime"),
    )
    _CALL_TIMEOUT_MS = 2000

    def __init__(self, clock: Clock, settings: ConditionSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._settings = settings
        self._timer: Timer | None = None  # created on first use, as the polled sources do
        self._watched = False
        self._bus: object | None = None
        self._pending: object | None = None
        self._read_idle: Callable[[], float] | None = None  # Windows, macOS: asked of the OS
        self._reading = Reading(False, "waiting for the user to be idle: idle time not asked yet")

    def start(self) -> None:
        from engine.platforms import idle_time  # here: ctypes only once a start asks for idle time

        try:
            self._read_idle = idle_time.reader_for(sys.platform)
        except OSError as exc:
            self._set(Reading(False, f"idle time unknown ({exc}), so the idle constraint stays unmet"))
            return
        if self._read_idle is not None:
            return
        from PySide6.QtDBus import QDBusConnection

        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            self._set(Reading(False, "idle time unknown: no session D-Bus answers, so the idle constraint stays unmet"))
            return
        self._bus = bus

    def stop(self) -> None:
        self._watched = False
        if self._timer is not None:
            self._timer.stop()

    def watch(self, watched: bool) -> None:
        if watched == self._watched:
            return
        self._watched = watched
        if watched:
            self._query()
        elif self._timer is not None:
            self._timer.stop()

    def _query(self, source_index: int = 0) -> None:
        if self._read_idle is not None and self._watched:
            try:
                self.record_idle(self._read_idle())
            except OSError as exc:
                self._set(Reading(False, f"idle time unknown ({exc}), so the idle constraint stays unmet"))
            return
        if self._bus is None or not self._watched:
            return
        from PySide6.QtDBus import QDBusMessage, QDBusPendingCallWatcher

        service, path, iface, method = self._SOURCES[source_index]
        message = QDBusMessage.createMethodCall(service, path, iface, method)
        pending = self._bus.asyncCall(message, self._CALL_TIMEOUT_MS)  # type: ignore[attr-defined]
        watcher = QDBusPendingCallWatcher(pending, self)
        self._pending = watcher
        watcher.finished.connect(lambda w=watcher, i=source_index: self._on_reply(w, i))

    def _on_reply(self, watcher: object, source_index: int) -> None:
        watcher.deleteLater()  # type: ignore[attr-defined]
        if watcher.isError():  # type: ignore[attr-defined]
            if source_index + 1 < len(self._SOURCES):
                self._query(source_index + 1)
                return
            self._set(Reading(
                False,
                "idle time unknown: neither GNOME's IdleMonitor nor org.freedesktop.ScreenSaver answers "
                "on the session bus, so the idle constraint stays unmet",
            ))
            return
        arguments = watcher.reply().arguments()  # type: ignore[attr-defined]
        self.record_idle(float(arguments[0]) / 1000.0)

    def record_idle(self, idle_seconds: float) -> None:
        """Apply one reading of the idle time and plan the next question."""
        threshold = self._settings.idle_minutes * 60
        if idle_seconds >= threshold:
            self._set(Reading(True, ""))
            next_ask = self._settings.poll_seconds
        else:
            self._set(Reading(
                False, f"waiting for the user to be idle ({idle_seconds:.0f}s idle of {threshold:.0f}s needed)"
            ))
            next_ask = max(1.0, threshold - idle_seconds)
        if self._watched:
            if self._timer is None:
                self._timer = self._clock.timer(self._query)
            self._timer.start(next_ask)


class Conditions(QObject):
    """The set of sources, one per constraint. ``changed`` carries the constraint."""

    changed = Signal(str)

    def __init__(self, sources: Iterable[ConditionSource], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sources: dict[Constraint, ConditionSource] = {}
        self._watched: set[Constraint] = set()
        self._wanted: dict[str, set[Constraint]] = {}  # owner -> the constraints it needs
        for source in sources:
            self._sources[source.constraint] = source
            source.changed.connect(lambda c=source.constraint: self.changed.emit(c.value))
        if Constraint.BACKGROUND not in self._sources:
            # Until the lifecycle issue lands, the engine's setter drives this one.
            background = StaticSource(Constraint.BACKGROUND, False, "waiting for the app to be in the background")
            self._sources[Constraint.BACKGROUND] = background
            background.changed.connect(lambda: self.changed.emit(Constraint.BACKGROUND.value))

    @classmethod
    def system(
        cls, clock: Clock, data_path: str, settings: ConditionSettings | None = None, parent: QObject | None = None
    ) -> Conditions:
        """The real sources of this machine."""
        settings = settings or ConditionSettings()
        return cls(
            [
                NetworkSource(clock, settings),
                AcPowerSource(clock, settings),
                BatteryNotLowSource(clock, settings),
                StorageNotLowSource(clock, settings, data_path),
                IdleSource(clock, settings),
            ],
            parent,
        )

    def source(self, constraint: Constraint) -> ConditionSource | None:
        return self._sources.get(constraint)

    def start(self) -> None:
        for source in self._sources.values():
            source.start()

    def stop(self) -> None:
        for source in self._sources.values():
            source.stop()
        self._watched = set()
        self._wanted.clear()

    def watch(self, constraints: Iterable[Constraint], *, owner: str = "dispatcher") -> None:
        """``owner`` needs exactly these constraints kept fresh. A source is watched (a
        polled one polls) while any owner needs it: the dispatcher for waiting and
        running tasks, each manifest receiver for its trigger."""
        self._wanted[owner] = set(constraints)
        wanted = set().union(*self._wanted.values())
        for constraint in self._watched - wanted:
            if (source := self._sources.get(constraint)) is not None:
                source.watch(False)
        for constraint in wanted - self._watched:
            if (source := self._sources.get(constraint)) is not None:
                source.watch(True)
        self._watched = wanted

    @property
    def watched(self) -> frozenset[Constraint]:
        return frozenset(self._watched)

    def reading(self, constraint: Constraint) -> Reading:
        source = self._sources.get(constraint)
        if source is None:
            return Reading(False, f"waiting for {_LABELS[constraint]}: no source for it on this machine")
        return source.reading()

    def unmet(self, constraints: Iterable[Constraint]) -> list[tuple[Constraint, str]]:
        """The constraints that do not hold, each with why, in the order given."""
        result = []
        for constraint in constraints:
            reading = self.reading(constraint)
            if not reading.met:
                result.append((constraint, reading.why))
        return result

    def met(self, constraints: Iterable[Constraint]) -> bool:
        return all(self.reading(c).met for c in constraints)

    def set_background(self, background: bool) -> None:
        source = self._sources[Constraint.BACKGROUND]
        if isinstance(source, StaticSource):
            source.set(background)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
