"""Workdeck's own reminder window: the fallback when there is neither a notification
server with actions nor a system tray (offscreen, a bare X session), and what a click
on a tray message opens.

One always-on-top window holds a queue of reminders and shows the oldest: its
message, when it was due, Snooze 5/10/30 minutes or until a chosen time, and Dismiss.
Answering one shows the next; the window hides when none are left. The window only
reports answers (signals); :class:`ui.notifications.ReminderPresenter` calls the
engine. Closing the window unanswered leaves the reminders open, so they stay in the
engine's missed-reminders list: a reminder is never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtGui import QCloseEvent, QCursor, QGuiApplication
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.on_screen import StayOnScreen

SNOOZE_MINUTES = (5, 10, 30)


def _local_text(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.astimezone().strftime("%a %d %b, %H:%M")


def reminder_key(reminder: Any) -> tuple[Any, ...]:
    """Two deliveries of the same reminder (the engine re-emits open ones at start)
    are one entry in the queue."""
    return (reminder.task_id, getattr(reminder, "id", None), reminder.due_at)


class ReminderWindow(QWidget):
    snoozed = Signal(object, object, object)  # reminder, seconds (float) or None, until (datetime) or None
    dismissed = Signal(object)  # reminder
    left_unanswered = Signal(list)  # reminders still queued when the user closed the window

    def __init__(self, now: Callable[[], datetime] | None = None, *, default_snooze_minutes: int = 10,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("ReminderWindow")
        self.setWindowTitle(self.tr("Workdeck reminder"))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # reused for every reminder
        # Closing a reminder while the main window is in the tray must not end the app.
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)
        self._now = now or (lambda: datetime.now(UTC))
        self._default_snooze = default_snooze_minutes
        self._queue: list[Any] = []

        self.counter = QLabel()
        self.message = QLabel()
        self.message.setObjectName("reminderMessage")
        self.message.setWordWrap(True)
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.message.setFont(font)
        self.when = QLabel()
        self.when.setWordWrap(True)

        self.snooze_buttons: dict[int, QPushButton] = {}
        snooze_row = QHBoxLayout()
        snooze_row.addWidget(QLabel(self.tr("Snooze")))
        for minutes in SNOOZE_MINUTES:
            button = QPushButton(self.tr("{n} min").format(n=minutes))
            button.setObjectName(f"snooze{minutes}")
            button.clicked.connect(lambda _=False, m=minutes: self._snooze(seconds=m * 60.0))
            self.snooze_buttons[minutes] = button
            snooze_row.addWidget(button)

        until_row = QHBoxLayout()
        self.until_edit = QDateTimeEdit()
        self.until_edit.setCalendarPopup(True)
        self.until_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.snooze_until = QPushButton(self.tr("Snooze until"))
        self.snooze_until.setObjectName("snoozeUntil")
        self.snooze_until.clicked.connect(self._snooze_until_chosen)
        until_row.addWidget(self.until_edit, 1)
        until_row.addWidget(self.snooze_until)

        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setObjectName("dismiss")
        self.dismiss_button.setDefault(True)
        self.dismiss_button.clicked.connect(self._dismiss)

        layout = QVBoxLayout(self)
        layout.addWidget(self.counter)
        layout.addWidget(self.message)
        layout.addWidget(self.when)
        layout.addLayout(snooze_row)
        layout.addLayout(until_row)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignRight)
        self.stay_on_screen = StayOnScreen(self)

    # -- the queue --------------------------------------------------------------------

    @property
    def current(self) -> Any | None:
        return self._queue[0] if self._queue else None

    @property
    def queue(self) -> list[Any]:
        return list(self._queue)

    def add(self, reminder: Any) -> None:
        """Queue ``reminder`` and bring the window up (raised, on top)."""
        key = reminder_key(reminder)
        if all(reminder_key(r) != key for r in self._queue):
            self._queue.append(reminder)
        self._render()
        if not self.isVisible():
            self._place()
        self.show()
        self.raise_()
        self.activateWindow()

    def _place(self) -> None:
        """In the middle of the screen the pointer is on (where the user looks), not
        wherever the window manager puts it; StayOnScreen keeps it all on that screen."""
        self.adjustSize()
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.move(area.x() + (area.width() - self.width()) // 2, area.y() + (area.height() - self.height()) // 3)

    def remove_task(self, task_id: str) -> None:
        """Answered elsewhere (a notification action, the CLI): drop it from the queue."""
        self._queue = [r for r in self._queue if r.task_id != task_id]
        self._after_change()

    def _render(self) -> None:
        reminder = self.current
        if reminder is None:
            return
        count = len(self._queue)
        self.counter.setText(self.tr("Reminder 1 of {n}").format(n=count) if count > 1 else self.tr("Reminder"))
        self.counter.setVisible(count > 1)
        self.message.setText(reminder.message or self.tr("(no message)"))
        parts = []
        if getattr(reminder, "missed", False):
            parts.append(self.tr("Missed"))
        if reminder.due_at is not None:
            parts.append(self.tr("due {when}").format(when=_local_text(reminder.due_at)))
        if detail := getattr(reminder, "detail", None):
            parts.append(detail)
        self.when.setText(" · ".join(parts))
        default = self._now() + timedelta(minutes=self._default_snooze)
        self.until_edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(default.timestamp()), QTimeZone.systemTimeZone()))

    def _after_change(self) -> None:
        if self._queue:
            self._render()
        else:
            self.hide()

    # -- answers ----------------------------------------------------------------------

    def _take(self) -> Any | None:
        return self._queue.pop(0) if self._queue else None

    def _snooze(self, *, seconds: float | None = None, until: datetime | None = None) -> None:
        reminder = self._take()
        if reminder is not None:
            self.snoozed.emit(reminder, seconds, until)
        self._after_change()

    def _snooze_until_chosen(self) -> None:
        chosen = datetime.fromtimestamp(self.until_edit.dateTime().toSecsSinceEpoch(), UTC)
        if chosen <= self._now():
            self.when.setText(self.tr("Choose a time in the future to snooze until."))
            return
        self._snooze(until=chosen)

    def _dismiss(self) -> None:
        reminder = self._take()
        if reminder is not None:
            self.dismissed.emit(reminder)
        self._after_change()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closed with reminders unanswered: they stay open in the engine (the missed
        # list) and the window empties, so the next reminder starts a fresh queue.
        left, self._queue = self._queue, []
        if left:
            self.left_unanswered.emit(left)
        super().closeEvent(event)


__all__ = ["ReminderWindow", "SNOOZE_MINUTES", "reminder_key"]
