"""The window's Reminders view: every reminder shown or missed and not yet answered,
with Snooze, Dismiss and Open -- the missed list a user can see and act on.

The list is the engine's (``missed_reminders()``, kept in the database until a snooze
or a dismiss), so a reminder whose notification was closed unanswered, whose tray
message timed out or that fired while Workdeck was not running is here. It follows the
engine's ``reminder`` and ``reminders_changed`` signals; answers go through the
:class:`ui.notifications.ReminderPresenter`, which also closes the reminder's
notification. :class:`RemindersDock` puts the view in the main window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.reminder_window import SNOOZE_MINUTES

log = logging.getLogger(__name__)


class RemindersView(QWidget):
    count_changed = Signal(int)
    open_requested = Signal(str)  # the reminder's task id: show it in the window

    def __init__(self, engine: Any, presenter: Any, *, default_snooze_minutes: int = 10,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RemindersView")
        self._read: Callable[[], list[Any]] = presenter.missed
        self._presenter = presenter
        self._default = default_snooze_minutes
        self.reminders: list[Any] = []

        self.title = QLabel()
        self.tree = QTreeWidget()
        self.tree.setAccessibleName(self.tr("Unanswered reminders"))
        self.tree.setHeaderLabels([self.tr("Due"), self.tr("Reminder"), self.tr("Status")])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_selected())
        # The message takes what the dock has left; due and status fit their words. The
        # status stretched as the last column and the message kept 100 px: under Xvfb a
        # 250 px dock read "missed while …" beside "not answered (2…" and scrolled sideways.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.snooze_button = QToolButton()
        self.snooze_button.setObjectName("snoozeReminder")
        self.snooze_button.setText(self.tr("Snooze {n} min").format(n=default_snooze_minutes))
        self.snooze_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.snooze_button.clicked.connect(lambda: self.snooze_selected(self._default * 60.0))
        choices = QMenu(self.snooze_button)
        for minutes in (*SNOOZE_MINUTES, 60):
            action = choices.addAction(self.tr("{n} min").format(n=minutes) if minutes < 60 else self.tr("1 hour"))
            action.triggered.connect(lambda _=False, m=minutes: self.snooze_selected(m * 60.0))
        self.snooze_button.setMenu(choices)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setObjectName("dismissReminder")
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("openReminder")
        self.open_button.setToolTip(self.tr("Show the reminder's task in the window"))
        self.open_button.clicked.connect(self.open_selected)

        buttons = QHBoxLayout()
        for button in (self.snooze_button, self.dismiss_button, self.open_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

        engine.reminders_changed.connect(self.refresh)
        engine.reminder.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        try:
            fresh = self._read()
        except Exception:  # a listener never breaks the engine
            log.exception("reminders view: cannot read the unanswered reminders")
            return
        selected = {r.id for r in self.selected()}
        self.reminders = fresh
        self.tree.clear()
        for reminder in fresh:
            due = reminder.due_at.astimezone().strftime("%d %b %H:%M") if reminder.due_at is not None else ""
            status = self.tr("missed") if getattr(reminder, "missed", False) else self.tr("not answered")
            detail = getattr(reminder, "detail", None)
            state = self.tr("{status} ({detail})").format(status=status, detail=detail) if detail else status
            # The detail ("27s late") in the tooltips: in the column it left the message
            # of a 250 px dock 45 px ("stret…").
            item = QTreeWidgetItem([due, reminder.message or self.tr("(no message)"), status])
            item.setData(0, Qt.ItemDataRole.UserRole, reminder)
            item.setToolTip(1, f"{item.text(1)}\n{state}")  # whole, however narrow the dock
            item.setToolTip(2, state)
            self.tree.addTopLevelItem(item)
            item.setSelected(reminder.id in selected)
        if not self.tree.selectedItems() and self.tree.topLevelItemCount():
            self.tree.topLevelItem(0).setSelected(True)
        count = len(fresh)
        self.title.setText((self.tr("1 unanswered reminder") if count == 1
                            else self.tr("{n} unanswered reminders").format(n=count)) if count
                           else self.tr("No unanswered reminders: everything was snoozed or dismissed."))
        self._update_buttons()
        self.count_changed.emit(count)

    def selected(self) -> list[Any]:
        return [item.data(0, Qt.ItemDataRole.UserRole) for item in self.tree.selectedItems()]

    def _update_buttons(self) -> None:
        chosen = bool(self.tree.selectedItems())
        for button in (self.snooze_button, self.dismiss_button):
            button.setEnabled(chosen)
        self.open_button.setEnabled(len(self.tree.selectedItems()) == 1)

    def snooze_selected(self, seconds: float) -> None:
        for reminder in self.selected():
            self._presenter.snooze(reminder, seconds)
        self.refresh()

    def dismiss_selected(self) -> None:
        for reminder in self.selected():
            self._presenter.dismiss(reminder)
        self.refresh()

    def open_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.open_requested.emit(chosen[0].task_id)


class RemindersDock(QDockWidget):
    """The view as a dock in the main window, with a toggle action that shows the count."""

    def __init__(self, view: RemindersView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Reminders"))
        self.setObjectName("remindersDock")
        self.view = view
        self.setWidget(view)
        self.toggle = QAction(self)
        self.toggle.setObjectName("reminders")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip(self.tr("Unanswered reminders: snooze, dismiss or open them"))
        self.toggle.triggered.connect(self.setVisible)
        self.visibilityChanged.connect(self.toggle.setChecked)
        view.count_changed.connect(self._on_count)
        self._on_count(len(view.reminders))

    def _on_count(self, count: int) -> None:
        self.toggle.setText(self.tr("Reminders ({n})").format(n=count) if count else self.tr("Reminders"))

    def reveal(self) -> None:
        self.show()
        self.raise_()
        self.view.tree.setFocus()


__all__ = ["RemindersDock", "RemindersView"]
