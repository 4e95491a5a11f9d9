"""The main window's actions, each with its shortcut, icon and tip, in the toolbar and the
menus (File, Task, View, Help). Their slots are the window's: :mod:`ui.window.commands`
for the task, :mod:`ui.window.panes` for the panes. The desktop shell adds its own
actions to the File menu and the toolbar (:mod:`ui.window.visibility`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from ui import style

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from ui.timeline import TimelineView


class WindowActions:
    """Mixed into :class:`ui.main_window.MainWindow`, a QMainWindow."""

    timeline_view: TimelineView
    file_menu: QMenu

    def _action(self, name: str, label: str, icon: str | None, shortcut: object, slot: object,
                tip: str) -> QAction:
        action = QAction(label, self)
        action.setObjectName(name)
        if icon:
            action.setIcon(style.icon(icon))
        if shortcut is not None:
            action.setShortcut(shortcut)  # type: ignore[arg-type]
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)  # type: ignore[arg-type]
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        new_keys = QKeySequence(QKeySequence.StandardKey.New)
        self.act_new = self._action("new", self.tr("&New task…"), "new", new_keys, self.new_task, self.tr("Create a task (Ctrl+N)"))
        self.act_run_now = self._action("run_now", self.tr("&Run now"), "run", QKeySequence(Qt.Key.Key_F5), self.run_now,
                                        self.tr("Start the selected task now (F5)"))
        self.act_cancel = self._action("cancel", self.tr("&Cancel"), "cancel", QKeySequence(Qt.Key.Key_Delete),
                                       self.cancel_task, self.tr("Cancel the selected task (Delete)"))
        self.act_retry = self._action("retry", self.tr("Re&try"), "retry", None, self.retry_task,
                                      self.tr("Run a finished task again, as a new task"))
        self.act_duplicate = self._action("duplicate", self.tr("&Duplicate…"), "duplicate", None, self.duplicate_task,
                                          self.tr("Create a new task from the selected one's spec"))
        self.act_edit = self._action("edit", self.tr("&Edit…"), "edit", None, self.edit_task,
                                     self.tr("Change a waiting task, or a running one from its next run"))
        delete_keys = QKeySequence(Qt.KeyboardModifier.ShiftModifier | Qt.Key.Key_Delete)
        self.act_delete = self._action("delete", self.tr("De&lete…"), "delete", delete_keys, self.delete_task,
                                       self.tr("Delete the selected task and its history (Shift+Delete)"))
        self.act_find = self._action("find", self.tr("&Find"), None, QKeySequence(QKeySequence.StandardKey.Find),
                                     self._focus_search, self.tr("Search tasks (Ctrl+F)"))
        self.act_quit = self._action("quit", self.tr("&Quit"), None, QKeySequence(QKeySequence.StandardKey.Quit),
                                     self.close, self.tr("Quit Workdeck (Ctrl+Q)"))
        self.act_follow = self._action("follow", self.tr("&Follow now"), "follow", QKeySequence(Qt.Key.Key_End),
                                       self.timeline_view.set_follow_now, self.tr("Keep now in view on the timeline"))
        self.act_follow.setCheckable(True)
        self.act_follow.setChecked(self.timeline_view.follow_now)
        self.act_next_pane = self._action("next_pane", self.tr("Next &pane"), None, QKeySequence(Qt.Key.Key_F6),
                                          lambda: self.focus_pane(+1), self.tr("Move to the next pane (F6)"))
        self.act_previous_pane = self._action(
            "previous_pane", self.tr("Previous pane"), None, QKeySequence(Qt.KeyboardModifier.ShiftModifier | Qt.Key.Key_F6),
            lambda: self.focus_pane(-1), self.tr("Move to the previous pane (Shift+F6)"))
        self.act_fit = self._action("fit", self.tr("Fit &all"), None, QKeySequence(Qt.Key.Key_Home),
                                    self.timeline_view.fit_all, self.tr("Show everything on the timeline (Home)"))
        # Home and End belong to the table and the search box when they have focus.
        for action in (self.act_follow, self.act_fit):
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("main toolbar")
        toolbar.setAccessibleName(self.tr("Main toolbar"))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.act_new, self.act_run_now, self.act_cancel, self.act_retry, self.act_duplicate,
                       self.act_edit, self.act_delete):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.act_follow)
        toolbar.addAction(self.act_fit)
        self.addToolBar(toolbar)
        menu = self.menuBar()
        self.file_menu = file_menu = menu.addMenu(self.tr("&File"))
        file_menu.addAction(self.act_new)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        task_menu = menu.addMenu(self.tr("&Task"))
        for action in (self.act_run_now, self.act_cancel, self.act_retry, self.act_duplicate, self.act_edit):
            task_menu.addAction(action)
        task_menu.addSeparator()
        task_menu.addAction(self.act_delete)
        self.act_add_examples = self._action("add_examples", self.tr("Add &example tasks"), None, None, self.add_examples,
                                             self.tr("Add one harmless task of each kind to see how Workdeck works"))
        self.act_remove_examples = self._action("remove_examples", self.tr("&Remove example tasks"), None, None,
                                                self.remove_examples, self.tr("Cancel and delete the example tasks"))
        view_menu = menu.addMenu(self.tr("&View"))
        for action in (self.act_find, self.act_follow, self.act_fit, self.act_next_pane, self.act_previous_pane):
            view_menu.addAction(action)
        help_menu = menu.addMenu(self.tr("&Help"))
        help_menu.addAction(self.act_add_examples)
        help_menu.addAction(self.act_remove_examples)
