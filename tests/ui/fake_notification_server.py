"""A stand-in org.freedesktop.Notifications server on a private bus, for the QtDBus test.

Run as a script with DBUS_SESSION_BUS_ADDRESS set. It answers GetCapabilities with
"actions" and "body", logs every Notify to stdout as one JSON line, and plays the user:
a notification that offers "snooze" gets ActionInvoked(id, "snooze") shortly after;
CloseNotification is answered with NotificationClosed(id, 3), as the spec says.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection


@ClassInfo({"D-Bus Interface": "org.freedesktop.Notifications"})
class Notifications(QDBusAbstractAdaptor):
    ActionInvoked = Signal("uint", str)
    NotificationClosed = Signal("uint", "uint")

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setAutoRelaySignals(True)
        self._next = 0

    @Slot(result="QStringList")
    def GetCapabilities(self) -> list[str]:  # noqa: N802 - the D-Bus method's name
        return ["actions", "body"]

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, app: str, replaces: int, icon: str, summary: str, body: str,  # noqa: N802
               actions: list[str], hints: dict[str, object], timeout: int) -> int:
        self._next += 1
        nid = self._next
        print(json.dumps({"id": nid, "app": app, "summary": summary, "body": body, "actions": actions,
                          "timeout": timeout}), flush=True)
        if "snooze" in actions[::2]:
            QTimer.singleShot(50, lambda: self.ActionInvoked.emit(nid, "snooze"))
        return nid

    @Slot("uint")
    def CloseNotification(self, nid: int) -> None:  # noqa: N802
        QTimer.singleShot(0, lambda: self.NotificationClosed.emit(nid, 3))


def main() -> None:
    app = QCoreApplication(sys.argv)
    bus = QDBusConnection.sessionBus()
    owner = QObject()
    Notifications(owner)
    ok = bus.registerObject("/org/freedesktop/Notifications", owner) and bus.registerService(
        "org.freedesktop.Notifications")
    print("ready" if ok else "failed", flush=True)
    app.exec()


if __name__ == "__main__":
    main()
