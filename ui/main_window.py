"""The main window: the live timeline above, the task table and the details pane below.

:class:`MainWindow` builds the widgets and keeps the selection, the filters and the
status bar; its actions, what they do to the selected task, the panes' arrangement and
the visible/background state are its parts in :mod:`ui.window`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.engine import Engine
from engine.model import Kind, Run, State, Task
from ui import style, text
from ui.details import DetailsPane
from ui.empty_state import EmptyState
from ui.new_task import NewTaskDialog
from ui.task_form import SCOPED_TAG
from ui.task_table import (
    NAME, PROGRESS, TASK_ID_ROLE, ProgressDelegate, TaskFilterProxy, TaskTableModel, fit_columns, next_alarm,
)
from ui.timeline import Timeline, TimelineView
from ui.window.actions import WindowActions
from ui.window.commands import TaskCommands
from ui.window.panes import WindowPanes
from ui.window.visibility import WindowVisibility


#: The smallest the window may be: a 640x480 screen's worth, less the desktop's panels.
MINIMUM_SIZE = QSize(560, 440)


class MainWindow(WindowActions, TaskCommands, WindowPanes, WindowVisibility, QMainWindow):
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
        # NARROW_WIDTH stacks the panes (ui/window/panes.py: _fit_width), which then fit this.
        self.setMinimumSize(MINIMUM_SIZE)

        tasks = engine.tasks()  # decoded once for the table and the timeline
        self.model = TaskTableModel(engine, self, tasks=tasks)
        self.proxy = TaskFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.timeline = Timeline(engine, self, tasks=tasks)
        self.timeline_view = TimelineView(self.timeline)
        self.timeline_view.setMinimumHeight(90)  # its lanes scroll: the window fits a 600 px high screen
        self._narrow = False  # set by _fit_width from the panes' width
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
        fit_columns(self.table)
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
        upper.installEventFilter(self)  # its resizes arrange the panes (WindowPanes.eventFilter)
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
        # "next alarm 14:30 (in 51 s)" counts down while the window is seen: the status is
        # otherwise recomputed only on engine changes, and the words went stale (they read
        # "in 51 s" half a minute later). The tick re-words the instant already found.
        self._next_alarm: datetime | None = None
        self._alarm_tick = QTimer(self)
        self._alarm_tick.setInterval(1000)
        self._alarm_tick.timeout.connect(self._show_alarm)
        for signal in (engine.task_added, engine.task_changed, engine.task_removed, engine.run_started,
                       engine.run_finished):
            signal.connect(self._on_engine_changed)
        self._update_actions()
        self._update_status()
        self._update_empty()

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
        # Again once the layouts have settled: the details pane opening under the table
        # (a narrow window) shrinks it after this scroll, and a row selected from the
        # tray's menu went out of sight (seen under Xvfb).
        QTimer.singleShot(0, self, lambda: self._scroll_to(task_id))

    def _scroll_to(self, task_id: str) -> None:
        row = self.model.row_of(task_id)
        if row >= 0:
            self.table.scrollTo(self.proxy.mapFromSource(self.model.index(row, 0)))

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

    # ------------------------------------------------------------ status

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
        self._next_alarm = next_alarm(self.model.tasks())
        self._show_alarm()
        self.refresh_alarm_tick()

    def _show_alarm(self) -> None:
        alarm = self._next_alarm
        now = self.engine.clock.now()
        self.alarm_label.setText(
            self.tr("next alarm {when} ({relative})").format(when=text.when(alarm, now), relative=text.relative(alarm, now))
            if alarm else self.tr("no alarms set")
        )

    def refresh_alarm_tick(self) -> None:
        """Count down only while there is an alarm and the window is seen (no polling in
        the background; showing the window again re-words the label at once)."""
        seen = self.isVisible() and not self.isMinimized()
        if self._next_alarm is not None and seen:
            if not self._alarm_tick.isActive():
                self._show_alarm()
                self._alarm_tick.start()
        else:
            self._alarm_tick.stop()

    # ------------------------------------------------------------ closing

    def end_scoped_work(self) -> None:
        """Scoped work ends with the window that started it (closed, or closed to the tray)."""
        for task in self.model.tasks():
            if SCOPED_TAG in task.spec.tags and not task.state.finished:
                self._guard(self.tr("cancel"), lambda t=task: self.engine.cancel(t.id))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.end_scoped_work()
        super().closeEvent(event)
