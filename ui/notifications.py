"""Reminders on the desktop: a freedesktop notification, the tray's message, or
Workdeck's own reminder window, and the engine calls behind Snooze and Dismiss.

Which one (:meth:`ReminderPresenter.backend_for`, the ``notification_style`` setting
on ``auto``):

1. a notification server on the session bus whose capabilities list ``actions``:
   a notification with Snooze and Dismiss (and a click opening the window), that
   never expires by itself (Linux; the backend per platform is chosen in
   :mod:`ui.notification_backends`, which says why Windows and macOS have none);
2. else a system tray: the tray icon's message; a click on it opens the window
   (not where the backend ``prefers_window``: macOS);
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

import html
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, message_bus, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from ui.notification_backends import Notifier, notifier_for_platform
from ui.reminder_window import ReminderWindow
from ui.settings import NotificationStyle

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
#: Notify's argument types as the spec gives them: app_name, replaces_id (u), app_icon,
#: summary, body, actions (as), hints (a{sv}), expire_timeout (i).
NOTIFY_SIGNATURE = "susssasa{sv}i"
#: NotificationClosed reasons (the spec): 1 expired, 2 closed by the user, 3 by a call.
CLOSED_BY_CALL = 3
#: A blocking call to the notification server is bounded: it answers in milliseconds,
#: and a hung server must not freeze the window for the default 25 s.
DBUS_TIMEOUT_S = 1.5
#: How long the tray's own message (the fallback without a server) stays: it must not
#: sit over the tray icon or the window's buttons; the reminder stays in the missed list.
TRAY_MESSAGE_MS = 6000
_SERVER = DBusAddress(PATH, bus_name=SERVICE, interface=INTERFACE)


class DesktopNotifier(QObject):
    """org.freedesktop.Notifications over jeepney, on its own session-bus connection.

    Why not QtDBus: from Python, a QDBusMessage can carry no ``u`` (Python ints go out
    as ``i``), and QDBusInterface's introspected ``invokeMethod`` finds no
    ``Notify(...QVariantMap,int)`` on a real server (dunst's introspection types the hints
    as ``QDBusRawType<a{sv}>``). jeepney marshals exactly the spec's ``susssasa{sv}i``;
    it is pure Python with no dependencies. Calls are blocking with a short timeout (the
    server answers in milliseconds); signals are read when a QSocketNotifier says the
    socket has data, so ActionInvoked and NotificationClosed arrive on the Qt loop.
    """

    action_invoked = Signal(int, str)  # notification id, action key
    closed = Signal(int, int)  # notification id, reason

    def __init__(self, address: str | None = None, app_name: str = "Workdeck",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app_name = app_name
        self._conn: DBusConnection | None = None
        self._signals: deque[Any] = deque()
        self._notifier: QSocketNotifier | None = None
        self.capabilities: list[str] = []
        try:
            conn = open_dbus_connection(address or "SESSION", auth_timeout=DBUS_TIMEOUT_S)
        except (KeyError, OSError, TimeoutError, ValueError, RuntimeError) as exc:
            log.info("no session bus for notifications: %s", exc)
            return
        try:
            owned = conn.send_and_get_reply(message_bus.NameHasOwner(SERVICE), timeout=DBUS_TIMEOUT_S)
            if not owned.body[0]:
                conn.close()  # no server now; asking would auto-start one that may not be there
                return
            reply = conn.send_and_get_reply(new_method_call(_SERVER, "GetCapabilities"), timeout=DBUS_TIMEOUT_S)
            if reply.header.message_type is MessageType.error:
                log.info("notification server: GetCapabilities failed: %s", reply.body)
                conn.close()
                return
            self.capabilities = [str(c) for c in reply.body[0]]
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=INTERFACE, member=member, path=PATH)
                conn.filter(rule, queue=self._signals)
                conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=DBUS_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            log.info("notification server unreachable: %s", exc)
            conn.close()
            self.capabilities = []
            return
        self._conn = conn
        self._notifier = QSocketNotifier(conn.sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)
        self.destroyed.connect(lambda *_: conn.close())

    @property
    def available(self) -> bool:
        return self._conn is not None

    @property
    def supports_actions(self) -> bool:
        return self.available and "actions" in self.capabilities

    def notify(self, summary: str, body: str, actions: list[tuple[str, str]] = (),  # type: ignore[assignment]
               *, timeout_ms: int = 0, replaces: int = 0, hints: dict[str, tuple[str, Any]] | None = None) -> int | None:
        """Show a notification; its id, or None if the server refused. ``timeout_ms`` 0:
        it stays until answered (a reminder must not fade away unseen)."""
        if self._conn is None:
            return None
        if "body-markup" in self.capabilities:
            body = html.escape(body, quote=False)  # a reminder's text is text, not markup
        flat = [part for key, label in actions for part in (key, label)] if "actions" in self.capabilities else []
        all_hints: dict[str, tuple[str, Any]] = {
            "desktop-entry": ("s", "workdeck"), "category": ("s", "x-workdeck.reminder"), "urgency": ("y", 1),
        }
        all_hints.update(hints or {})
        message = new_method_call(_SERVER, "Notify", NOTIFY_SIGNATURE, (
            self._app_name, replaces, "workdeck", summary, body, flat, all_hints, timeout_ms))
        reply = self._call(message)
        if reply is None or reply.header.message_type is MessageType.error:
            log.warning("notification server refused Notify: %s", None if reply is None else reply.body)
            return None
        return int(reply.body[0]) or None

    def close(self, nid: int) -> None:
        self._call(new_method_call(_SERVER, "CloseNotification", "u", (nid,)))

    def _call(self, message: Any) -> Any | None:
        conn = self._conn
        if conn is None:
            return None
        try:
            reply = conn.send_and_get_reply(message, timeout=DBUS_TIMEOUT_S)
        except TimeoutError:
            log.warning("notification server did not answer %s in %ss", message.header.fields.get(HeaderFields.member),
                        DBUS_TIMEOUT_S)
            return None
        except OSError as exc:
            self._lost(exc)
            return None
        # Signals that came in while we waited for the reply are queued or still in the
        # parser's buffer, where the socket notifier will not see them: read them next.
        QTimer.singleShot(0, self, self._on_readable)
        return reply

    def _on_readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:  # everything the socket and the parser hold now, without waiting
                conn.recv_messages(timeout=0)
        except TimeoutError:
            pass
        except (OSError, ValueError) as exc:
            self._lost(exc)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._signals:
            message = self._signals.popleft()
            member = message.header.fields.get(HeaderFields.member)
            try:
                if member == "ActionInvoked":
                    nid, key = message.body
                    self.action_invoked.emit(int(nid), str(key))
                elif member == "NotificationClosed":
                    nid, reason = message.body
                    self.closed.emit(int(nid), int(reason))
            except Exception:  # a listener never breaks the reading of the bus
                log.exception("notification signal %s failed", member)

    def _lost(self, exc: BaseException) -> None:
        log.warning("lost the session bus connection for notifications: %s", exc)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        if self._conn is not None:
            self._conn.close()
        self._conn = None


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
        notifier: Notifier | None = None,
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
        self._notifier: Any = notifier if notifier is not None else notifier_for_platform(parent=self)
        clock = getattr(engine, "clock", None)
        self._now = now or (clock.now if clock is not None else (lambda: datetime.now(UTC)))
        self.window = window or ReminderWindow(self._now, default_snooze_minutes=settings.default_snooze_minutes)
        self._by_notification: dict[int, Any] = {}
        self._nid_by_task: dict[str, int] = {}
        self._tray_message: Any | None = None  # the reminder the tray's message shows now
        # A click on the tray's message is the message's only while it is up.
        self._tray_message_timer = QTimer(self)
        self._tray_message_timer.setSingleShot(True)
        self._tray_message_timer.timeout.connect(self._on_tray_message_gone)
        #: Reminders nobody answered, when the engine has no missed list of its own.
        self.local_missed: list[Any] = []

        engine.reminder.connect(self.show)
        if hasattr(engine, "reminders_changed"):
            engine.reminders_changed.connect(self._on_reminders_changed)
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
        if self._tray is not None and self._tray_available and not getattr(self._notifier, "prefers_window", False):
            return "tray"
        return "window"

    def show(self, reminder: Any) -> str:
        """Show ``reminder``; returns the backend used."""
        backend = self.backend_for(self._settings.notification_style)
        title = self.tr("Missed reminder") if getattr(reminder, "missed", False) else self.tr("Reminder")
        body = reminder.message or ""
        if detail := getattr(reminder, "detail", None):
            body = f"{body}\n{detail}" if body else detail
        if backend == "desktop":
            minutes = self._settings.default_snooze_minutes
            # One notification per reminder: the same task shown again (re-emitted at a
            # start) replaces its own notification, never another reminder's.
            replaces = self._nid_by_task.get(reminder.task_id, 0)
            nid = self._notifier.notify(title, body, [
                ("default", self.tr("Open")), ("snooze", self.tr("Snooze {n} min").format(n=minutes)),
                ("dismiss", self.tr("Dismiss")),
            ], replaces=replaces)
            if nid is not None:
                if replaces and replaces != nid:
                    self._by_notification.pop(replaces, None)
                self._by_notification[nid] = reminder
                self._nid_by_task[reminder.task_id] = nid
                return backend
            backend = "tray" if self._tray is not None and self._tray_available else "window"
        if backend == "tray":
            assert self._tray is not None
            # Short, and it closes itself: a balloon left over the tray must not take the
            # clicks meant for the icon or the window. The reminder stays in the missed
            # list (tray menu, window, `workdeck reminders`) until answered.
            self._tray_message = reminder
            self._tray.showMessage(self.tr("Workdeck: {title}").format(title=title.lower()), body or title,
                                   QSystemTrayIcon.MessageIcon.Information, TRAY_MESSAGE_MS)
            self._tray_message_timer.start(TRAY_MESSAGE_MS)
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

    def withdraw_all(self) -> None:
        """Close every notification shown here, at quit: their buttons answer this process
        only, and the server keeps them (they never expire), so under Xvfb the next start
        found them still up with dead buttons. The reminders stay in the missed list,
        which the tray and the Reminders view show at the next start."""
        for nid in list(self._by_notification):
            self._notifier.close(nid)
        self._by_notification.clear()
        self._nid_by_task.clear()

    def missed(self) -> list[Any]:
        """The missed-reminders list: the engine's when it keeps one, else ours."""
        if hasattr(self._engine, "missed_reminders"):
            return list(self._engine.missed_reminders())
        return list(self.local_missed)

    def _forget(self, reminder: Any) -> None:
        """Answered (or handed on): its notification goes too, its buttons being stale.
        It was forgotten without a close, so an answer from the reminder window or the
        Reminders dock left it on screen under Xvfb, its buttons dead."""
        for nid, shown in list(self._by_notification.items()):
            if shown.task_id == reminder.task_id:
                del self._by_notification[nid]
                self._notifier.close(nid)
        self._nid_by_task.pop(reminder.task_id, None)
        if self._tray_message is not None and self._tray_message.task_id == reminder.task_id:
            self._tray_message = None
        self.window.remove_task(reminder.task_id)

    def _unanswered(self, reminder: Any) -> None:
        if not hasattr(self._engine, "missed_reminders"):
            self.local_missed.append(reminder)
        self.unanswered.emit(reminder)

    # -- backends' events -------------------------------------------------------------

    def _on_notification_action(self, nid: int, key: str) -> None:
        reminder = self._by_notification.get(nid)
        if reminder is None:
            return  # another app's notification, or one we already answered
        # Answered, or handed to the window (which offers every snooze choice): either
        # way the notification's buttons are stale now; _forget closes it.
        if key == "snooze":
            self.snooze(reminder)
        elif key == "dismiss":
            self.dismiss(reminder)
        else:  # "default": a click on the body; the window offers every snooze choice
            self._by_notification.pop(nid, None)
            self._nid_by_task.pop(reminder.task_id, None)
            self._notifier.close(nid)
            self.window.add(reminder)

    def _on_notification_closed(self, nid: int, reason: int) -> None:
        reminder = self._by_notification.pop(nid, None)
        if reminder is not None:
            if self._nid_by_task.get(reminder.task_id) == nid:
                del self._nid_by_task[reminder.task_id]
            if reason != CLOSED_BY_CALL:
                # Expired or closed with its cross, unanswered: it stays open in the
                # engine, i.e. in the missed list. A close is not a Dismiss.
                self._unanswered(reminder)

    def _on_reminders_changed(self) -> None:
        """Answered elsewhere (the command line, the window's Reminders view): take its
        notification and its place in the reminder window away."""
        if not hasattr(self._engine, "missed_reminders"):
            return
        try:
            still_open = {r.task_id for r in self._engine.missed_reminders()}
        except Exception:  # a listener never breaks the engine
            log.exception("reading the missed reminders failed")
            return
        for shown in list(self._by_notification.values()):
            if shown.task_id not in still_open:
                self._forget(shown)  # closes its notification
        for queued in self.window.queue:
            if queued.task_id not in still_open:
                self.window.remove_task(queued.task_id)

    def _on_window_left(self, left: list[Any]) -> None:
        for reminder in left:
            self._unanswered(reminder)

    def _on_tray_message_clicked(self) -> None:
        if self._tray_message is not None and self._tray_message_timer.isActive():
            self.window.add(self._tray_message)
        self._on_tray_message_gone()

    def _on_tray_message_gone(self) -> None:
        self._tray_message_timer.stop()
        self._tray_message = None


__all__ = ["DesktopNotifier", "ReminderPresenter"]
