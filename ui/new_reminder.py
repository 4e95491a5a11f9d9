"""New reminder…: the tray's quick way to say "remind me at 14:30" without the window.

A message and a time (or "in N minutes"); OK enqueues an exact reminder task through
the engine's facade, the same task ``workdeck remind`` creates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QTimeZone
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from engine.errors import BadInputError
from engine.model import Kind, TaskSpec
from ui.refusals import form_refusal


class NewReminderDialog(QDialog):
    def __init__(self, engine: Any, parent: QWidget | None = None, *, default_minutes: int = 10) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New reminder"))
        self._engine = engine
        self.created: Any = None
        self.message = QLineEdit()
        self.message.setPlaceholderText(self.tr("What should Workdeck remind you of?"))
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        start = self._now() + timedelta(minutes=default_minutes)
        self.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(start.timestamp()), QTimeZone.systemTimeZone()))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Remind me of"), self.message)
        form.addRow(self.tr("At"), self.when)
        form.addRow(self.error)
        form.addRow(self.buttons)

    def _now(self) -> datetime:
        clock = getattr(self._engine, "clock", None)
        return clock.now() if clock is not None else datetime.now(UTC)

    def accept(self) -> None:
        text = self.message.text().strip()
        at = datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)
        if not text:
            return self._refuse(self.tr("Write what the reminder should say."))
        if at <= self._now():
            return self._refuse(self.tr("Choose a time in the future."))
        try:
            self.created = self._engine.enqueue(
                TaskSpec(worker="reminder", args=(text,), kind=Kind.EXACT, run_at=at, tags=("reminder",))
            )
        except BadInputError as exc:  # in the user's language where the form knows the refusal
            return self._refuse(form_refusal(str(exc)))
        except Exception as exc:  # the environment (a full disk): say it in place, keep the dialog
            return self._refuse(str(exc))
        super().accept()

    def _refuse(self, why: str) -> None:
        self.error.setText(why)
        self.error.show()


__all__ = ["NewReminderDialog"]
