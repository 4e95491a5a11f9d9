"""The user's idle time: asked of the OS on Windows and macOS, of the session over D-Bus
elsewhere; asked again when the threshold could first be crossed, not polled."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QObject

from engine.clock import Clock, Timer
from engine.conditions.source import ConditionSettings, ConditionSource, Reading
from engine.model import Constraint


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
        self._started = False
        self._platform = sys.platform  # as start() found it: the reader it connects with
        self._connected = False  # to the OS or the session: at the first watch after start
        self._reading = Reading(False, "waiting for the user to be idle: idle time not asked yet")

    def start(self) -> None:
        """Connect at the first watch, not here: the session bus (QtDBus and a connection,
        ~3 ms) is needed only while a task or a receiver waits for idle time, and
        every start paid it before its first runs were recorded (issue 14)."""
        self._started = True
        self._platform = sys.platform

    def _connect(self) -> None:
        if self._connected or not self._started:
            return
        self._connected = True
        from engine.platforms import idle_time  # here: ctypes only once a watch asks for idle time

        try:
            self._read_idle = idle_time.reader_for(self._platform)
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
            self._connect()
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
