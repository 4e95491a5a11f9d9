"""Which desktop-notification backend a reminder may use, per platform, behind one
interface (:class:`Notifier`), chosen by :func:`notifier_for_platform`.

- **Linux and the BSDs**: :class:`ui.notifications.DesktopNotifier`, the freedesktop
  ``org.freedesktop.Notifications`` service over D-Bus (jeepney), unchanged: Snooze,
  Dismiss and Open as actions where the server has ``actions``.
- **Windows and macOS**: :class:`NoDesktopNotifier`, the honest fallback. Reminders go
  where Workdeck can take the answer itself (:class:`ui.notifications.ReminderPresenter`):
  on Windows the tray icon's message (Windows shows it as a toast from the tray icon;
  a click opens Workdeck's reminder window with every Snooze choice and Dismiss); on
  macOS straight to the reminder window (``prefers_window``), because Qt's tray message
  there goes through the same notification centre that refuses unsigned programs (see
  below) and could vanish unseen. Unanswered reminders stay in the missed list (tray
  menu, window, ``workdeck reminders``) either way.

Why not desktop-notifier (samschott/desktop-notifier: asyncio, Windows toasts through
the winrt packages, macOS UserNotifications through rubicon-objc; qasync would run its
callbacks): on macOS, UNUserNotificationCenter delivers only for a signed app bundle or
framework; the library detects that and falls back to a dummy backend that shows nothing
(its README's macOS notes; its issues #11 and #225: "Notification Center can only be used
from a signed Framework or app bundle"), and Workdeck runs from a pip-installed Python
(Homebrew's is unsigned). So on macOS it would promise actions and deliver nothing. On
Windows it would give real buttons, but adds five ``winrt-*`` packages for a path this
machine cannot exercise, while the tray toast plus the reminder window already offers
every answer. When Workdeck ships as a signed .app / an installer with an AppUserModelID,
a ``DesktopNotifierBackend`` implementing :class:`Notifier` over desktop-notifier
(``desktop-notifier>=6; sys_platform == 'win32' or sys_platform == 'darwin'``) is the
next step; nothing else changes.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal


class Notifier(Protocol):
    """What :class:`ui.notifications.ReminderPresenter` needs of a notification backend.

    Also a Qt object with two signals: ``action_invoked(int id, str key)`` (the user
    pressed an action: "default", "snooze", "dismiss") and ``closed(int id, int reason)``
    (reason 3: closed by :meth:`close`; anything else: expired or closed unanswered).
    """

    @property
    def available(self) -> bool:
        """A notification can be shown at all."""

    @property
    def supports_actions(self) -> bool:
        """Notifications can carry Snooze / Dismiss / Open."""

    def notify(self, summary: str, body: str, actions: Any = (), *, timeout_ms: int = 0,
               replaces: int = 0) -> int | None:
        """Show one; its id, or None if refused."""

    def close(self, nid: int) -> None:
        """Take notification ``nid`` away (its ``closed`` reason is then 3)."""


class NoDesktopNotifier(QObject):
    """Windows and macOS: no desktop notification of ours; see the module's docstring."""

    action_invoked = Signal(int, str)
    closed = Signal(int, int)

    def __init__(self, *, prefers_window: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: Show reminders in Workdeck's own window even where a tray could take them.
        self.prefers_window = prefers_window
        self.capabilities: list[str] = []

    @property
    def available(self) -> bool:
        return False

    @property
    def supports_actions(self) -> bool:
        return False

    def notify(self, summary: str, body: str, actions: Any = (), *, timeout_ms: int = 0,
               replaces: int = 0, hints: Any = None) -> int | None:
        return None

    def close(self, nid: int) -> None:
        pass


def notifier_for_platform(platform: str | None = None, parent: QObject | None = None) -> Any:
    """This platform's backend (``platform``: a ``sys.platform`` value, default this one)."""
    platform = platform or sys.platform
    if platform == "win32":
        return NoDesktopNotifier(parent=parent)
    if platform == "darwin":
        return NoDesktopNotifier(prefers_window=True, parent=parent)
    from ui.notifications import DesktopNotifier

    return DesktopNotifier(parent=parent)
