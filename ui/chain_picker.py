"""'Run after…': choose the tasks a new task waits for (a chain), by name.

The form's answer to ``workdeck add --after ID``: type part of a task's name, command or
id, pick it from the suggestions, and it joins the list of tasks this one runs after.
Only tasks that can still succeed are offered (waiting, scheduled, running or done).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.engine import Engine
from engine.model import State
from ui import text

#: How many candidate parents the picker offers (newest first): a chain is built from
#: recent work, and a combo box of 100,000 entries helps nobody.
MAX_CANDIDATES = 500
_CHAINABLE = (State.ENQUEUED, State.BLOCKED, State.SCHEDULED, State.RUNNING, State.SUCCEEDED)


class ChainPicker(QWidget):
    """The parents picked so far (``parents()``) and a search box to add more."""

    changed = Signal()

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.exclude: str | None = None  # the task being edited cannot wait for itself
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.search = QComboBox()
        self.search.setEditable(True)
        self.search.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.search.lineEdit().setPlaceholderText(self.tr("type a task's name to run after it"))
        self.search.setAccessibleName(self.tr("Run after: find a task"))
        self.search.lineEdit().setAccessibleName(self.tr("Run after: find a task"))
        self.search.setAccessibleDescription(self.tr("Type part of a task's name, command or id and press Add"))
        completer = self.search.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.add = QPushButton(self.tr("Add"))
        self.add.setAccessibleName(self.tr("Add to run after"))
        self.add.setAccessibleDescription(self.tr("This task waits for the task found above"))
        self.add.clicked.connect(self._on_add)
        self.search.lineEdit().returnPressed.connect(self._on_add)
        row.addWidget(self.search, 1)
        row.addWidget(self.add)
        layout.addLayout(row)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Runs after these tasks"))
        self.list.setAccessibleDescription(self.tr("The tasks that must succeed before this one runs"))
        self.list.setMaximumHeight(72)
        self.remove = QPushButton(self.tr("Remove"))
        self.remove.setAccessibleName(self.tr("Remove from run after"))
        self.remove.setAccessibleDescription(self.tr("This task no longer waits for the selected task"))
        self.remove.clicked.connect(self._on_remove)
        lower = QHBoxLayout()
        lower.addWidget(self.list, 1)
        lower.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(lower)
        self._sync()

    def refresh(self) -> None:
        """Offer the current tasks (called when the form opens)."""
        chosen = set(self.parents())
        self.search.clear()
        candidates = [t for t in self.engine.tasks() if t.state in _CHAINABLE and t.id != self.exclude
                      and t.id not in chosen]
        for task in sorted(candidates, key=lambda t: t.created_at, reverse=True)[:MAX_CANDIDATES]:
            self.search.addItem(f"{text.task_title(task)}  ·  {task.id}", task.id)
        self.search.setCurrentIndex(-1)
        self.search.setEditText("")
        self._sync()

    def parents(self) -> tuple[str, ...]:
        return tuple(self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count()))

    def set_parents(self, ids: tuple[str, ...]) -> None:
        self.list.clear()
        for task_id in ids:
            self._append(task_id)
        self.refresh()
        self.changed.emit()

    def _append(self, task_id: str) -> None:
        try:
            title = text.task_title(self.engine.task(task_id))
        except Exception:  # noqa: BLE001 - a parent deleted meanwhile still shows by id
            title = self.tr("(deleted task)")
        item = QListWidgetItem(f"{title}  ·  {task_id}")
        item.setData(Qt.ItemDataRole.UserRole, task_id)
        self.list.addItem(item)

    def _on_add(self) -> None:
        typed = self.search.currentText().strip()
        index = self.search.findText(typed)
        if index < 0 and typed:  # the first match of what was typed
            index = next((i for i in range(self.search.count())
                          if typed.lower() in self.search.itemText(i).lower()), -1)
        if index < 0:
            return
        task_id = self.search.itemData(index)
        if task_id not in self.parents():
            self._append(task_id)
        self.refresh()
        self.changed.emit()

    def _on_remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.refresh()
        self.changed.emit()

    def _sync(self) -> None:
        self.remove.setEnabled(self.list.count() > 0)

    def showEvent(self, event: object) -> None:  # noqa: N802
        self.refresh()
        super().showEvent(event)  # type: ignore[arg-type]
