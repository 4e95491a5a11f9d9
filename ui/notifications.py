"""Reminders on the desktop: a freedesktop notification, the tray's message, or
Workdeck's own reminder window, and the engine calls behind Snooze and Dismiss.

Which one (:meth:`ReminderPresenter.backend_for`, the ``notification_style`` setting
on ``auto``):

1. a notification server on the session bus whose capabilities list ``actions``:
   a notification with Snooze and Dismiss (and a click opening the window), that
   never expires by itself;
2. else a system tray: the tray icon's message; a click on it opens the window;
3. else (offscreen, a bare X session) the reminder window itself.

A reminder is never silently dropped: the engine keeps every shown reminder open
(the missed-reminders list) until it is snoozed or dismissed, so one that nobody
answers -- a notification closed with its cross, an ignored tray message, the window
closed -- is still there; :attr:`ReminderPresenter.unanswered` reports it to the UI.

The engine's reminder API (``snooze(task_id, seconds, until=)``, ``dismiss(task_id)``,
``missed_reminders()``) comes from the exact-alarms work; this module checks for it
with ``hasattr`` so it also runs against an engine that predates it (then the
unanswered list is kept here, in memory).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, SLOT, QMetaObject, QObject, Qt, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusInterface
from PySide6.QtWidgets import QSystemTrayIcon

from ui.reminder_window import ReminderWindow
from ui.settings import NotificationStyle

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
#: NotificationClosed reasons (the spec): 1 expired, 2 closed by the user, 3 by a call.
CLOSED_BY_CALL = 3
#: A blocking call to the notification server is bounded: it answers in milliseconds,
#: and a hung server must not freeze the window for the default 25 s.
DBUS_TIMEOUT_MS = 1500


class DesktopNotifier(QObject):
    """org.freedesktop.Notifications over QtDBus.

    Calls go through QDBusInterface's introspected meta-object (invokeMethod): that is
    what gives Notify's ``replaces_id`` the D-Bus type ``u`` the spec requires; a
    plain message from Python would send ``i`` and strict servers refuse it.
    """

    action_invoked = Signal(int, str)  # notification id, action key
    closed = Signal(int, int)  # notification id, reason

    def __init__(self, bus: QDBusConnection | None = None, app_name: str = "Workdeck",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus if bus is not None else QDBusConnection.sessionBus()
        self._app_name = app_name
        self._iface: QDBusInterface | None = None
        self.capabilities: list[str] = []
        if not self._bus.isConnected():
            return
        names = self._bus.interface()
        if names is None or not names.isServiceRegistered(SERVICE).value():
            return  # no server now; asking would auto-start one that may not be there
        iface = QDBusInterface(SERVICE, PATH, INTERFACE, self._bus, self)
        if not iface.isValid():
            return
        iface.setTimeout(DBUS_TIMEOUT_MS)
        reply = iface.call("GetCapabilities")
        if reply.errorName():
            log.info("notification server: GetCapabilities failed: %s", reply.errorMessage())
            return
        args = reply.arguments()
        self.capabilities = [str(c) for c in (args[0] if args else [])]
        self._iface = iface
        self._bus.connect(SERVICE, PATH, INTERFACE, "ActionInvoked", self, SLOT("_on_action(uint,QString)"))  # type: ignore[call-overload]
        self._bus.connect(SERVICE, PATH, INTERFACE, "NotificationClosed", self, SLOT("_on_closed(uint,uint)"))  # type: ignore[call-overload]

    @property
    def available(self) -> bool:
        return self._iface is not None

    @property
    def supports_actions(self) -> bool:
        return self.available and "actions" in self.capabilities

    def notify(self, summary: str, body: str, actions: list[tuple[str, str]] = (),  # type: ignore[assignment]
               *, timeout_ms: int = 0, replaces: int = 0) -> int | None:
        """Show a notification; its id, or None if the server refused. ``timeout_ms`` 0:
        it stays until answered (a reminder must not fade away unseen)."""
        if self._iface is None:
            return None
        flat = [part for key, label in actions for part in (key, label)]
        hints = {"desktop-entry": "workdeck", "category": "x-workdeck.reminder"}
        try:
            nid = QMetaObject.invokeMethod(
                self._iface, "Notify", Qt.ConnectionType.DirectConnection, Q_RETURN_ARG("uint"),
                Q_ARG(str, self._app_name), Q_ARG("uint", replaces), Q_ARG(str, "workdeck"),
                Q_ARG(str, summary), Q_ARG(str, body), Q_ARG("QStringList", flat),
                Q_ARG("QVariantMap", hints), Q_ARG(int, timeout_ms),
            )
        except Exception:
            log.exception("notification server: Notify failed")
            return None
        return int(nid) if isinstance(nid, int) and nid else None

    def close(self, nid: int) -> None:
        if self._iface is not None:
            try:
                QMetaObject.invokeMethod(self._iface, "CloseNotification", Qt.ConnectionType.DirectConnection,
                                         Q_ARG("uint", nid))
            except Exception:
                log.exception("notification server: CloseNotification failed")

    @Slot("uint", str)
    def _on_action(self, nid: int, key: str) -> None:
        self.action_invoked.emit(int(nid), key)

    @Slot("uint", "uint")
    def _on_closed(self, nid: int, reason: int) -> None:
        self.closed.emit(int(nid), int(reason))


class ReminderPresenter(QObject):
    """Shows the engine's reminders and turns the answers into engine calls."""

    unanswered = Signal(object)  # a Reminder nobody answered; it stays in the missed list
    answered = Signal(object, str)  # reminder, "snoozed" | "dismissed"

    def __init__(
        self,
        engine: Any,
        settings: Any,
        *,
        tray: QSystemTrayIcon | None = None,
        tray_available: bool | None = None,
        notifier: DesktopNotifier | None = None,
        window: ReminderWindow | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self._settings = settings
        self._tray = tray
        self._tray_available = (QSystemTrayIcon.isSystemTrayAvailable() if tray_available is None
                                else tray_available)
        self._notifier = notifier if notifier is not None else DesktopNotifier(parent=self)
        clock = getattr(engine, "clock", None)
        self._now = now or (clock.now if clock is not None else (lambda: datetime.now(UTC)))
        self.window = window or ReminderWindow(self._now, default_snooze_minutes=settings.default_snooze_minutes)
        self._by_notification: dict[int, Any] = {}
        self._tray_message: Any | None = None  # the reminder the tray's last message showed
        #: Reminders nobody answered, when the engine has no missed list of its own.
        self.local_missed: list[Any] = []

        engine.reminder.connect(self.show)
        self._notifier.action_invoked.connect(self._on_notification_action)
        self._notifier.closed.connect(self._on_notification_closed)
        self.window.snoozed.connect(self.snooze)
        self.window.dismissed.connect(self.dismiss)
        self.window.left_unanswered.connect(self._on_window_left)
        if tray is not None:
            tray.messageClicked.connect(self._on_tray_message_clicked)

    # -- showing ----------------------------------------------------------------------

    def backend_for(self, style: NotificationStyle) -> str:
        """"desktop", "tray" or "window": where a reminder goes with this style."""
        if style is NotificationStyle.WINDOW:
            return "window"
        if style in (NotificationStyle.AUTO, NotificationStyle.DESKTOP) and self._notifier.supports_actions:
            return "desktop"
        if self._tray is not None and self._tray_available:
            return "tray"
        return "window"

    def show(self, reminder: Any) -> str:
        """Show ``reminder``; returns the backend used."""
        backend = self.backend_for(self._settings.notification_style)
        title = "Missed reminder" if getattr(reminder, "missed", False) else "Reminder"
        body = reminder.message or ""
        if detail := getattr(reminder, "detail", None):
            body = f"{body}\n{detail}" if body else detail
        if backend == "desktop":
            minutes = self._settings.default_snooze_minutes
            nid = self._notifier.notify(title, body, [
                ("default", "Open"), ("snooze", f"Snooze {minutes} min"), ("dismiss", "Dismiss"),
            ])
            if nid is not None:
                self._by_notification[nid] = reminder
                return backend
            backend = "tray" if self._tray is not None and self._tray_available else "window"
        if backend == "tray":
            assert self._tray is not None
            if self._tray_message is not None:
                # The tray shows one message at a time: the one it replaces was not answered.
                self._unanswered(self._tray_message)
            self._tray_message = reminder
            self._tray.showMessage(f"Workdeck: {title.lower()}", body or title,
                                   QSystemTrayIcon.MessageIcon.Information, 0)
            return backend
        if self._notifier.available:
            # A server without actions still draws the eye; the window takes the answer.
            self._notifier.notify(title, body, timeout_ms=-1)
        self.window.add(reminder)
        return "window"

    # -- answers ----------------------------------------------------------------------

    def snooze(self, reminder: Any, seconds: float | None = None, until: datetime | None = None) -> None:
        if seconds is None and until is None:
            seconds = self._settings.default_snooze_minutes * 60.0
        self._forget(reminder)
        if not hasattr(self._engine, "snooze"):
            log.warning("this engine cannot snooze; reminder %s stays in the missed list", reminder.task_id)
            self._unanswered(reminder)
            return
        try:
            if until is not None:
                self._engine.snooze(reminder.task_id, until=until)
            else:
                self._engine.snooze(reminder.task_id, seconds)
        except Exception as exc:  # a bad time, a task cancelled meanwhile: say so, keep it
            log.warning("snooze of reminder %s failed: %s", reminder.task_id, exc)
            self._unanswered(reminder)
            return
        self.answered.emit(reminder, "snoozed")

    def dismiss(self, reminder: Any) -> None:
        self._forget(reminder)
        if hasattr(self._engine, "dismiss"):
            try:
                self._engine.dismiss(reminder.task_id)
            except Exception:
                log.exception("dismiss of reminder %s failed", reminder.task_id)
                self._unanswered(reminder)
                return
        self.local_missed = [r for r in self.local_missed if r.task_id != reminder.task_id]
        self.answered.emit(reminder, "dismissed")

    def missed(self) -> list[Any]:
        """The missed-reminders list: the engine's when it keeps one, else ours."""
        if hasattr(self._engine, "missed_reminders"):
            return list(self._engine.missed_reminders())
        return list(self.local_missed)

    def _forget(self, reminder: Any) -> None:
        for nid, shown in list(self._by_notification.items()):
            if shown is reminder:
                del self._by_notification[nid]
        if self._tray_message is reminder:
            self._tray_message = None

    def _unanswered(self, reminder: Any) -> None:
        if not hasattr(self._engine, "missed_reminders"):
            self.local_missed.append(reminder)
        self.unanswered.emit(reminder)

    # -- backends' events -------------------------------------------------------------

    def _on_notification_action(self, nid: int, key: str) -> None:
        reminder = self._by_notification.get(nid)
        if reminder is None:
            return  # another app's notification, or one we already answered
        if key == "snooze":
            self.snooze(reminder)
        elif key == "dismiss":
            self.dismiss(reminder)
        else:  # "default": a click on the body; the window offers every snooze choice
            self._by_notification.pop(nid, None)
            self.window.add(reminder)
        if key in ("snooze", "dismiss"):
            self._notifier.close(nid)

    def _on_notification_closed(self, nid: int, reason: int) -> None:
        reminder = self._by_notification.pop(nid, None)
        if reminder is not None and reason != CLOSED_BY_CALL:
            # Expired or closed with its cross, unanswered: it stays open in the
            # engine, i.e. in the missed list. A close is not a Dismiss.
            self._unanswered(reminder)

    def _on_window_left(self, left: list[Any]) -> None:
        for reminder in left:
            self._unanswered(reminder)

    def _on_tray_message_clicked(self) -> None:
        if self._tray_message is not None:
            self.window.add(self._tray_message)
            self._tray_message = None


__all__ = ["DesktopNotifier", "ReminderPresenter"]
