"""The main window: the live timeline above, the task table and the details pane below."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QHideEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from engine.classify import Decision
from engine.engine import Engine
from engine.errors import WorkdeckError
from engine.model import Kind, Run, State, Task, TaskSpec
from ui import style, text
from ui.details import DetailsPane
from ui.empty_state import EmptyState, add_examples, remove_examples
from ui.new_task import NewTaskDialog
from ui.task_form import SCOPED_TAG
from ui.task_table import NAME, PROGRESS, TASK_ID_ROLE, ProgressDelegate, TaskFilterProxy, TaskTableModel, next_alarm
from ui.timeline import Timeline
from ui.timeline import FOLLOW_AT, TimelineView


#: Below this width the details pane goes under the table instead of beside it.
NARROW_WIDTH = 1000
#: The smallest the window may be: a 640x480 screen's worth, less the desktop's panels.
MINIMUM_SIZE = QSize(560, 440)


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.dialog: NewTaskDialog | None = None
        self.visible_state: bool | None = None
        self._lifecycle: Any = None  # engine.lifecycle.Lifecycle, once a desktop shell is attached
        self.setWindowTitle(self.tr("Workdeck"))
        self.setWindowIcon(style.icon("app"))
        self.setAccessibleName(self.tr("Workdeck"))
        self.resize(1280, 860)
        # Set, not derived from the side-by-side layout's needs: resizing below
        # NARROW_WIDTH stacks the panes (_fit_width), which then fit this.
        self.setMinimumSize(MINIMUM_SIZE)

        tasks = engine.tasks()  # decoded once for the table and the timeline
        self.model = TaskTableModel(engine, self, tasks=tasks)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.timeline = Timeline(engine, self, tasks=tasks)
        self.timeline_view = TimelineView(self.timeline)
        self.timeline_view.setMinimumHeight(90)  # its lanes scroll: the window fits a 600 px high screen
        self._narrow = False  # set by _fit_width from the window's width
        self._make_actions()
        self.details = DetailsPane(
            engine, [self.act_run_now, self.act_cancel, self.act_retry, self.act_duplicate, self.act_edit,
                     self.act_delete]
        )

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Tasks"))
        self.table.setAccessibleDescription(self.tr("Every task: its name, kind, state, next run and last outcome "
                                                    "(in words, with an icon). Select one to see its details."))
        # Creation order until the user sorts: no sort indicator, so enabling sorting sorts nothing.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between rows
        self.table.verticalHeader().hide()
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current)

        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search name, command, id or tag (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search tasks"))
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName(self.tr("Filter by kind"))
        self.kind_filter.setAccessibleDescription(self.tr("Show only tasks of one kind, in the table and on the timeline"))
        self.kind_filter.addItem(self.tr("All kinds"), None)
        for kind in Kind:
            self.kind_filter.addItem(style.kind_icon(kind), text.KIND_WORDS[kind.value], kind)
        self.state_filter = QComboBox()
        self.state_filter.setAccessibleName(self.tr("Filter by state"))
        self.state_filter.setAccessibleDescription(self.tr("Show only tasks in one state, in the table and on the timeline"))
        self.state_filter.addItem(self.tr("All states"), None)
        for state in State:
            self.state_filter.addItem(text.STATE_WORDS[state.value].capitalize(), state)
        self.tag_filter = QComboBox()
        self.tag_filter.setAccessibleName(self.tr("Filter by tag"))
        self.tag_filter.setAccessibleDescription(self.tr("Show only tasks with one tag, in the table and on the timeline"))
        self._refresh_tags()
        filters.addWidget(self.search, 1)
        for combo in (self.kind_filter, self.state_filter, self.tag_filter):
            # A long entry ("Waiting for another task") must not set the window's minimum width.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(9)
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._on_filters_changed)
        self.search.textChanged.connect(self._on_filters_changed)

        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(filters)
        table_layout.addWidget(self.table)
        self.empty_state = EmptyState()
        self.empty_state.create.connect(self._new_task_of)
        self.empty_state.add_examples.connect(self.add_examples)
        self.table_pages = QStackedWidget()
        self.table_pages.addWidget(table_box)
        self.table_pages.addWidget(self.empty_state)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table_pages)
        lower.addWidget(self.details)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        upper = QSplitter(Qt.Orientation.Vertical)
        upper.addWidget(self.timeline_view)
        upper.addWidget(lower)
        upper.setStretchFactor(0, 2)
        upper.setStretchFactor(1, 3)
        self.setCentralWidget(upper)
        self._splitters = (upper, lower)
        # Tab walks the window top to bottom, left to right: timeline, filters, table, details.
        chain = [self.timeline_view, self.search, self.kind_filter, self.state_filter, self.tag_filter, self.table]
        for before, after in zip(chain, chain[1:]):
            QWidget.setTabOrder(before, after)
        #: The panes F6 cycles through (Shift+F6 backwards), as in GTK and KDE applications.
        self.panes: tuple[QWidget, ...] = (self.timeline_view, self.search, self.table, self.details)

        self.running_label = QLabel()
        self.running_label.setAccessibleName(self.tr("Running tasks"))
        self.alarm_label = QLabel()
        self.alarm_label.setAccessibleName(self.tr("Next alarm"))
        self.visibility_label = QLabel()
        self.visibility_label.setAccessibleName(self.tr("Visible or background"))
        for label in (self.running_label, self.alarm_label, self.visibility_label):
            self.statusBar().addPermanentWidget(label)

        self.timeline_view.task_selected.connect(self.select_task)
        self.details.task_selected.connect(self.select_task)
        self.timeline_view.follow_changed.connect(self.act_follow.setChecked)
        # Status and tag list are recomputed at most every 100 ms: a burst of 200
        # finishing tasks a second must not cost 200 scans of the task list.
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(100)
        self._status_timer.timeout.connect(self._update_status)
        for signal in (engine.task_added, engine.task_changed, engine.task_removed, engine.run_started,
                       engine.run_finished):
            signal.connect(self._on_engine_changed)
        self._update_actions()
        self._update_status()
        self._update_empty()

    # ------------------------------------------------------------ actions

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

    # ------------------------------------------------------------ layout between runs

    def layout_state(self) -> dict[str, Any]:
        """What the user arranged, for the next run: size and place, the splitters, the
        table's columns and sort, the timeline's zoom and Follow-now."""
        upper, lower = self._splitters
        start, end = self.timeline_view.visible_range()
        return {
            "geometry": self.saveGeometry(),
            "splitter_upper": upper.saveState(),
            "splitter_lower": lower.saveState(),
            "table_header": self.table.horizontalHeader().saveState(),
            "timeline_span": end - start,
            "follow_now": self.timeline_view.follow_now,
        }

    def restore_layout(self, state: dict[str, Any]) -> None:
        """Apply what :meth:`layout_state` gave; a missing or unreadable part keeps its default."""
        upper, lower = self._splitters
        for key, restore in (("geometry", self.restoreGeometry), ("splitter_upper", upper.restoreState),
                             ("splitter_lower", lower.restoreState),
                             ("table_header", self.table.horizontalHeader().restoreState)):
            if isinstance(state.get(key), QByteArray):
                restore(state[key])
        span = state.get("timeline_span")
        if isinstance(span, (int, float)) and span > 0:
            view = self.timeline_view
            follow = bool(state.get("follow_now", True))
            start = view.timeline.now_us() - span * FOLLOW_AT if follow else view.visible_range()[0]
            view.set_range(start, span, follow=follow)

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

    def focus_pane(self, step: int) -> QWidget | None:
        """Focus the next (+1) or previous (-1) pane after the one holding the focus."""
        focused = QApplication.focusWidget()
        current = next((i for i, pane in enumerate(self.panes)
                        if focused is not None and (focused is pane or pane.isAncestorOf(focused))), -1)
        for offset in range(1, len(self.panes) + 1):
            target = _focusable_in(self.panes[(current + step * offset) % len(self.panes)])
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                return target
        return None

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ------------------------------------------------------------ selection

    def select_task(self, task_id: str) -> None:
        """Select a task everywhere: the table's row, the details pane, the timeline's bars."""
        self.model.flush()  # a task added a moment ago has its row now
        row = self.model.row_of(task_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # filtered out: show everything rather than hide the selection
            self.search.clear()
            for combo in (self.kind_filter, self.state_filter, self.tag_filter):
                combo.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)

    def _on_table_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        task_id = current.data(TASK_ID_ROLE) if current.isValid() else None
        if task_id == self.details.task_id:
            return
        self.details.show_task(task_id)
        self._fit_details()
        self.timeline_view.select_task(task_id)
        self._update_actions()

    def _on_filters_changed(self) -> None:
        self.proxy.set_filters(
            kind=self.kind_filter.currentData(),
            state=self.state_filter.currentData(),
            tag=self.tag_filter.currentData(),
            search=self.search.text(),
        )
        self.timeline_view.set_filter(self.proxy.accepts if self.proxy.filtering else None)

    def _refresh_tags(self) -> None:
        current = self.tag_filter.currentData()
        tags = self.model.tags()
        if self.tag_filter.count() and [self.tag_filter.itemData(i) for i in range(1, self.tag_filter.count())] == tags:
            return
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem(self.tr("All tags"), None)
        for tag in tags:
            self.tag_filter.addItem(tag, tag)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current)))
        self.tag_filter.blockSignals(False)

    # ------------------------------------------------------------ status and visibility

    def _on_engine_changed(self, item: Task | Run) -> None:
        if not self._status_timer.isActive():
            self._status_timer.start()
        if getattr(item, "task_id", getattr(item, "id", None)) == self.details.task_id:
            self._update_actions()

    def _update_empty(self) -> None:
        """No task at all: the getting-started page fills the window instead of an empty
        table under a blank timeline, and no details pane has nothing to detail."""
        empty = self.model.rowCount() == 0 and not self.model.tasks()
        self.table_pages.setCurrentWidget(self.empty_state if empty else self.table_pages.widget(0))
        self._fit_details()
        self.timeline_view.setVisible(not empty)
        self.act_remove_examples.setEnabled(not empty)

    def _update_status(self) -> None:
        self._update_empty()
        self._refresh_tags()
        self.running_label.setText(self.tr("{n} running").format(n=self.engine.running_count()))
        alarm = next_alarm(self.model.tasks())
        now = self.engine.clock.now()
        self.alarm_label.setText(
            self.tr("next alarm {when} ({relative})").format(when=text.when(alarm, now), relative=text.relative(alarm, now))
            if alarm else self.tr("no alarms set")
        )

    def attach_desktop(self, shell: Any) -> None:
        """Hand quitting and the visible/background state to the desktop shell
        (ui/desktop.py: tray, lifecycle, the quit prompt), so each has one owner."""
        self.act_quit.triggered.disconnect(self.close)
        self.act_quit.triggered.connect(shell.behaviour.request_quit)
        self.removeAction(shell.behaviour.quit_action)  # one Ctrl+Q, not two ambiguous ones
        for action in (shell.new_reminder_action, shell.settings_action, shell.open_log_action):
            self.file_menu.insertAction(self.act_quit, action)
        self.file_menu.insertSeparator(self.act_quit)
        # Pause/resume and the unanswered reminders, here as in the tray.
        toolbar = self.findChild(QToolBar, "main toolbar")
        toolbar.addSeparator()
        for action in (shell.pause_action, shell.reminders_dock.toggle):
            toolbar.addAction(action)
            self.file_menu.insertAction(self.act_quit, action)
        self.file_menu.insertSeparator(self.act_quit)
        self.statusBar().addPermanentWidget(shell.paused_label)
        self._lifecycle = shell.lifecycle
        shell.lifecycle.state_changed.connect(self._on_lifecycle_state)
        self._on_lifecycle_state(str(shell.lifecycle.state))

    def _on_lifecycle_state(self, state: str) -> None:
        self.visible_state = state == "visible"
        words = {"visible": self.tr("visible"), "background": self.tr("background")}
        self.visibility_label.setText(words.get(state, state))
        self.timeline.record_visibility(self.visible_state)
        self.timeline_view.refresh_ticking()

    def _set_visible_state(self, visible: bool) -> None:
        if self._lifecycle is not None:  # the lifecycle decides; the view still ticks only when seen
            self.timeline_view.refresh_ticking()
            return
        if visible == self.visible_state:
            return
        self.visible_state = visible
        self.visibility_label.setText(self.tr("visible") if visible else self.tr("background"))
        self.timeline.record_visibility(visible)
        lifecycle = getattr(self.engine, "set_visible", None)  # the lifecycle issue adds it
        if lifecycle is not None:
            lifecycle(visible)
        self.timeline_view.refresh_ticking()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_width(event.size().width())

    def _fit_width(self, width: int) -> None:
        """A narrow window stacks the details under the table and shows the details'
        buttons as icons (their names stay as tooltips and accessible names), so the
        window works down to 640 px wide, side by side on a wide one."""
        narrow = width < NARROW_WIDTH
        self._narrow = narrow
        self._fit_details()
        lower = self._splitters[1]
        wanted = Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal
        if lower.orientation() != wanted:
            lower.setOrientation(wanted)
        style_ = Qt.ToolButtonStyle.ToolButtonIconOnly if narrow else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in self.details.buttons.values():
            button.setToolButtonStyle(style_)

    def _fit_details(self) -> None:
        """No details pane in the empty window; stacked under the table, it shows only
        with a task to show: at 800x600 its "No task selected" took the rows the
        timeline and the table need (side by side it explains itself instead)."""
        empty = self.table_pages.currentWidget() is self.empty_state
        self.details.setVisible(not empty and (not self._narrow or self.details.task_id is not None))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._set_visible_state(not self.isMinimized())

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._set_visible_state(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self._set_visible_state(self.isVisible() and not self.isMinimized())

    def end_scoped_work(self) -> None:
        """Scoped work ends with the window that started it (closed, or closed to the tray)."""
        for task in self.model.tasks():
            if SCOPED_TAG in task.spec.tags and not task.state.finished:
                self._guard(self.tr("cancel"), lambda t=task: self.engine.cancel(t.id))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.end_scoped_work()
        super().closeEvent(event)


def _focusable_in(pane: QWidget) -> QWidget | None:
    """The pane itself if it takes focus, else its first child in the focus chain that does."""
    if pane.isVisible() and pane.isEnabled() and pane.focusPolicy() & Qt.FocusPolicy.TabFocus:
        return pane
    widget = pane.nextInFocusChain()
    while widget is not pane and pane.isAncestorOf(widget):
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return widget
        widget = widget.nextInFocusChain()
    # Children need not follow their pane in the chain: look at them in layout order.
    for child in pane.findChildren(QWidget):
        if child.isVisible() and child.isEnabled() and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return child
    return None
