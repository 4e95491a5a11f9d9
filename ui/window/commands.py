"""What the main window does to the selected task: run it now, cancel, retry, duplicate,
edit, delete; and New task and the example tasks. An engine call goes through
``_guard``, which shows a refusal in the status bar instead of raising into Qt. Stopping
a running task and deleting one ask first, in a window-modal question whose default is
the safe answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from engine.errors import WorkdeckError
from engine.model import Kind, State, Task
from ui import text
from ui.empty_state import add_examples, remove_examples
from ui.new_task import NewTaskDialog

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from engine.classify import Decision
    from engine.engine import Engine
    from engine.model import TaskSpec
    from ui.details import DetailsPane
    from ui.task_table import TaskTableModel


class TaskCommands:
    """Mixed into :class:`ui.main_window.MainWindow`, a QMainWindow, which selects the
    task these act on and makes their actions (:mod:`ui.window.actions`)."""

    engine: Engine
    dialog: NewTaskDialog | None
    details: DetailsPane
    model: TaskTableModel
    act_run_now: QAction
    act_cancel: QAction
    act_retry: QAction
    act_duplicate: QAction
    act_edit: QAction
    act_delete: QAction

    def current_task(self) -> Task | None:
        task_id = self.details.task_id
        return self.model.task(task_id) if task_id else None

    def _update_actions(self) -> None:
        task = self.current_task()
        state = task.state if task else None
        self.act_run_now.setEnabled(state in (State.ENQUEUED, State.SCHEDULED))
        self.act_cancel.setEnabled(state is not None and not state.finished)
        self.act_retry.setEnabled(state is not None and state.finished)
        self.act_duplicate.setEnabled(task is not None)
        self.act_edit.setEnabled(state is not None and not state.finished)
        self.act_delete.setEnabled(state is not None and state is not State.RUNNING)

    def _guard(self, what: str, call: object) -> object:
        """Run an engine call; a refusal is shown plainly, never raised into Qt."""
        try:
            return call()  # type: ignore[operator]
        except WorkdeckError as exc:
            self.statusBar().showMessage(self.tr("{what}: {problem}").format(what=what, problem=exc), 8000)
            return None

    def new_task(self) -> NewTaskDialog:
        return self._open_dialog(NewTaskDialog(self.engine, self))

    def _new_task_of(self, decision: Decision) -> NewTaskDialog:
        """New Task with the kind already chosen (the empty window's buttons)."""
        return self._open_dialog(NewTaskDialog(self.engine, self, decision=decision))

    def add_examples(self) -> None:
        added = self._guard(self.tr("add examples"), lambda: add_examples(self.engine))
        if isinstance(added, list) and added:
            self.select_task(added[0].id)

    def remove_examples(self) -> None:
        gone = self._guard(self.tr("remove examples"), lambda: remove_examples(self.engine))
        message = self.tr("1 example task removed") if gone == 1 else self.tr("{n} example tasks removed")
        self.statusBar().showMessage(message.format(n=gone or 0), 5000)

    def duplicate_task(self) -> NewTaskDialog | None:
        task = self.current_task()
        if task is None:
            return None
        return self._open_dialog(NewTaskDialog(self.engine, self, spec=task.spec, mode="duplicate"))

    def edit_task(self) -> NewTaskDialog | None:
        task = self.current_task()
        if task is None or not self.act_edit.isEnabled():
            return None
        return self._open_dialog(NewTaskDialog(self.engine, self, spec=task.spec, mode="edit"), editing=task)

    def _open_dialog(self, dialog: NewTaskDialog, editing: Task | None = None) -> NewTaskDialog:
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._on_dialog_accepted(dialog, editing))
        dialog.open()  # window-modal, not a nested event loop: the engine keeps running
        return dialog

    def _on_dialog_accepted(self, dialog: NewTaskDialog, editing: Task | None) -> None:
        if editing is not None and dialog.spec is not None:
            self._guard(self.tr("edit"), lambda: self._apply_edit(editing, dialog.spec))  # type: ignore[arg-type]
        elif dialog.created is not None:
            self.select_task(dialog.created.id)
        self.dialog = None

    def _apply_edit(self, old: Task, spec: TaskSpec) -> None:
        """The task takes the edited spec in place: same id, same history (a running one
        follows it from its next run)."""
        self.engine.update(old.id, spec)

    def run_now(self) -> None:
        task = self.current_task()
        if task is None:
            return
        fresh = self.engine.task(task.id)
        if fresh.state not in (State.ENQUEUED, State.SCHEDULED):
            self.statusBar().showMessage(self.tr("{task} is {state}: nothing to start").format(
                task=text.task_title(fresh), state=text.STATE_WORDS[fresh.state.value]), 5000)
            return
        started = self._guard(self.tr("run now"), lambda: self.engine.start_run(fresh))
        if not started:
            self.statusBar().showMessage(self.tr("{task} could not be started now").format(task=text.task_title(fresh)), 5000)

    def cancel_task(self) -> QMessageBox | None:
        """Cancel the selected task. A running one is stopped mid-run, so that is asked
        first (Keep running is the default), as Shift+Delete asks before deleting.
        Returns the question when one is asked (tests answer it)."""
        task = self.current_task()
        if task is None:
            return None
        if task.state is not State.RUNNING:
            self._guard(self.tr("cancel"), lambda: self.engine.cancel(task.id))
            return None
        return self._ask(
            "cancelPrompt", self.tr("Stop task"), self.tr("{task} is running. Stop it and cancel it?").format(task=text.task_title(task)),
            self.tr("It will not run again unless you retry it."), self.tr("Stop and cancel"), self.tr("Keep running"),
            lambda: self._guard(self.tr("cancel"), lambda: self.engine.cancel(task.id)),
        )

    def _ask(self, name: str, title: str, question: str, detail: str, do: str, keep: str,
             on_yes: Any) -> QMessageBox:
        """A window-modal question (a sheet, not a nested event loop: the window stays live)
        whose default answer is the safe one."""
        box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=self)
        box.setObjectName(name)
        box.setInformativeText(detail)
        yes = box.addButton(do, QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(keep, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is yes:
                on_yes()

        box.finished.connect(answered)
        box.open()
        return box

    def delete_task(self) -> QMessageBox | None:
        """Ask, then delete the selected task and its history. The question is a window-
        modal sheet, not a nested event loop: the window stays live while it is open.
        Returns it (tests answer it)."""
        task = self.current_task()
        if task is None or task.state is State.RUNNING:
            return None
        return self._ask(
            "deletePrompt", self.tr("Delete task"), self.tr("Delete {task} and its history of runs and output?").format(
                task=text.task_title(task)),
            self.tr("This cannot be undone."), self.tr("Delete"), self.tr("Cancel"), lambda: self._guard(self.tr("delete"), lambda: self.engine.delete(task.id)),
        )

    def retry_task(self) -> None:
        """Retry = the same spec again as a new task, due now."""
        task = self.current_task()
        if task is None:
            return
        spec = task.spec
        spec = spec.replace(run_at=self.engine.clock.now() if spec.kind is Kind.EXACT else None)
        new = self._guard(self.tr("retry"), lambda: self.engine.enqueue(spec))
        if isinstance(new, Task):
            self.select_task(new.id)
