"""The task table: :class:`TaskTableModel` over the engine's tasks, a filter proxy and
a delegate that paints the progress column as a progress bar.

The model loads the tasks once, then follows the engine's signals: it never queries
the database on its own. Changes reach the views in batches, at most one every
:data:`FLUSH_INTERVAL_MS`: at 200 tasks a second each signal applied on its own (a
row inserted, a row changed, up to five times per task) cost the window's main thread
0.8 ms per task, most of it in the view and the proxy reacting. :meth:`TaskTableModel.flush`
applies what is pending at once (a selection by id needs the row now).

Sorting happens here, not in the proxy: a proxy sorting 10,000 rows calls ``data()``
(Python) twice per comparison, 0.86 s for a click on a header. :meth:`TaskTableModel.sort_rows`
orders the rows once with ``list.sort`` over keys computed once per task and kept
until the task changes; :class:`TaskFilterProxy` hands its ``sort`` to it and only filters.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView

from engine.engine import Engine
from engine.model import Kind, Outcome, Run, RunTotals, State, Task
from ui import style, text

Index = QModelIndex | QPersistentModelIndex

#: Data roles beyond Qt's own.
TASK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 3
TASK_ROLE = Qt.ItemDataRole.UserRole + 4

#: Column titles (translated in headerData).
COLUMNS = (QT_TRANSLATE_NOOP("TaskTableModel", "Name"), QT_TRANSLATE_NOOP("TaskTableModel", "Kind"),
           QT_TRANSLATE_NOOP("TaskTableModel", "State"), QT_TRANSLATE_NOOP("TaskTableModel", "Next run"),
           QT_TRANSLATE_NOOP("TaskTableModel", "Last outcome"), QT_TRANSLATE_NOOP("TaskTableModel", "Progress"),
           QT_TRANSLATE_NOOP("TaskTableModel", "Runs"))
NAME, KIND, STATE, NEXT_RUN, LAST_OUTCOME, PROGRESS, RUNS = range(len(COLUMNS))
#: Columns whose sort key is an attribute of the task: list.sort reads it in C
#: (operator.attrgetter), no Python call per row. Runs sort by how many ever ended.
_ATTRIBUTE_KEYS = {RUNS: operator.attrgetter("totals.total")}

#: Longest a change waits before the views see it: ten updates a second is live to the
#: eye (the timeline, not the table, shows motion), and under 100 ms reads as instant.
FLUSH_INTERVAL_MS = 100


def runs_text(totals: RunTotals) -> str:
    """The Runs column: every run the task ever ended, from its counters (true after
    old runs are pruned): "1,204", "1,204 (3 failed)"; nothing before the first."""
    if not totals.total:
        return ""
    locale = _number_locale()
    if totals.failed:
        return QCoreApplication.translate("TaskTableModel", "{runs} ({failed} failed)").format(
            runs=locale.toString(totals.total), failed=locale.toString(totals.failed))
    return locale.toString(totals.total)


def runs_tooltip(totals: RunTotals) -> str | None:
    if not totals.total:
        return None
    locale = _number_locale()
    other = totals.total - totals.succeeded - totals.failed
    words = QCoreApplication.translate(
        "TaskTableModel", "{runs} runs ended: {succeeded} succeeded, {failed} failed or timed out, {other} other").format(
        runs=locale.toString(totals.total), succeeded=locale.toString(totals.succeeded),
        failed=locale.toString(totals.failed), other=locale.toString(other))
    if totals.last_outcome is not None:
        last = style.OUTCOME_LABELS.get(totals.last_outcome.value, totals.last_outcome.value)
        words += "\n" + QCoreApplication.translate("TaskTableModel", "last: {outcome}").format(outcome=last)
    return words


def _number_locale() -> QLocale:
    """The user's locale for grouping digits ("1,204", "1.204"); the C locale groups none,
    so it counts as English there."""
    locale = QLocale()
    return QLocale(QLocale.Language.English) if locale.language() == QLocale.Language.C else locale


#: A column's room beside its words: the view's margins either side, and a little air.
CELL_PADDING = 12


def fit_columns(table: QTableView) -> None:
    """Room for the words the Kind, Next run, Last outcome and Runs columns show, in the
    table's font, and no wrapping: at Qt's 100 px "At a set time", "2026-12-10 09:00" and
    "10,004 (103 failed)" wrapped onto a second line that the one-line row cut in half
    (seen under Xvfb). Anything longer elides on one line; a restored layout wins."""
    table.setWordWrap(False)
    fm = table.fontMetrics()
    icon = table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 4
    locale = _number_locale()
    runs = QCoreApplication.translate("TaskTableModel", "{runs} ({failed} failed)").format(
        runs=locale.toString(10_000), failed=locale.toString(100))
    words = {
        KIND: (icon, text.KIND_WORDS.values()),
        NEXT_RUN: (0, ("2026-12-31 23:59", "Wed 23:59:59")),
        LAST_OUTCOME: (icon, style.OUTCOME_LABELS.values()),
        RUNS: (0, (runs,)),
    }
    header = table.horizontalHeader()
    for column, (extra, samples) in words.items():
        need = extra + max(fm.horizontalAdvance(sample) for sample in samples) + CELL_PADDING
        header.resizeSection(column, max(need, header.defaultSectionSize()))


class TaskTableModel(QAbstractTableModel):
    """One row per task, in creation order; sorted and filtered by :class:`TaskFilterProxy`.

    Rows and cells change in batches (see the module's docstring): a task the engine
    added is in :meth:`task` and :meth:`tasks` at once, and a row of the model (so in
    :meth:`row_of` and the views) after the next :meth:`flush`.
    """

    def __init__(self, engine: Engine, parent: QObject | None = None, *, tasks: list[Task] | None = None) -> None:
        """``tasks``: the engine's tasks, when the caller read them already (the window
        reads them once for the table and the timeline: decoding 10,000 specs costs 0.3 s)."""
        super().__init__(parent)
        self._engine = engine
        self._tasks: list[Task] = []
        self._seq: dict[str, int] = {}  # arrival order: the order with no sort column
        self._keys: dict[str, dict[int, Any]] = {}  # sort keys by task and column, until it changes
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._rows: dict[str, int] = {}
        self._last_outcome: dict[str, Outcome] = {}
        self._progress: dict[str, tuple[float | None, str]] = {}
        self._new: dict[str, Task] = {}  # added, not yet rows: in arrival order
        self._dirty: set[int] = set()  # rows whose cells changed since the last flush
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._load(tasks)
        engine.task_added.connect(self._on_task_changed)  # new or known, it waits for the next flush
        engine.task_changed.connect(self._on_task_changed)
        engine.task_removed.connect(self._on_task_removed)
        engine.run_progress.connect(self._on_run_progress)
        engine.run_started.connect(self._on_run_started)
        engine.run_finished.connect(self._on_run_finished)

    def _load(self, tasks: list[Task] | None) -> None:
        self.beginResetModel()
        self._tasks = list(tasks) if tasks is not None else self._engine.tasks()
        self._rows = {t.id: i for i, t in enumerate(self._tasks)}
        self._seq = {t.id: i for i, t in enumerate(self._tasks)}
        # One seek per task at the end of its history, not the history itself.
        self._last_outcome = self._engine.last_outcomes()
        self.endResetModel()

    # ------------------------------------------------------------ queries

    def tasks(self) -> list[Task]:
        """Every task, the ones not yet flushed into rows included."""
        return [*self._tasks, *self._new.values()]

    def task(self, task_id: str) -> Task | None:
        row = self._rows.get(task_id)
        return self._tasks[row] if row is not None else self._new.get(task_id)

    def row_of(self, task_id: str) -> int:
        """The task's row; -1 if it has none (yet: see :meth:`flush`)."""
        return self._rows.get(task_id, -1)

    def tags(self) -> list[str]:
        return sorted({tag for t in self.tasks() for tag in t.spec.tags})

    def last_outcome(self, task_id: str) -> Outcome | None:
        return self._last_outcome.get(task_id)

    # ------------------------------------------------------------ Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._tasks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return QCoreApplication.translate("TaskTableModel", COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._tasks)):
            return None
        task = self._tasks[index.row()]
        column = index.column()
        if role == TASK_ID_ROLE:
            return task.id
        if role == TASK_ROLE:
            return task
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(task, column)
        if role == SORT_ROLE:
            return self.sort_key(task, column)
        if role == PROGRESS_ROLE and column == PROGRESS:
            fraction, _ = self._progress.get(task.id, (None, ""))
            return fraction if task.state is State.RUNNING else None
        if role == Qt.ItemDataRole.DecorationRole and column == KIND:
            return style.kind_icon(task.kind)
        if role == Qt.ItemDataRole.DecorationRole and column == LAST_OUTCOME:
            outcome = self._last_outcome.get(task.id)
            return style.outcome_icon(outcome.value) if outcome else None  # not by colour alone
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME:
                lines = [text.command_text(task),
                         QCoreApplication.translate("TaskTableModel", "id {id}").format(id=task.id)]
                if task.spec.origin == "manifest":
                    lines.append(QCoreApplication.translate("TaskTableModel",
                                                            "defined by the manifest: change it there"))
                return "\n".join(lines)
            if column == NEXT_RUN:
                return text.full_time(task.next_run_at)
            if column == PROGRESS:
                return self._progress.get(task.id, (None, ""))[1] or None
            if column == RUNS:
                return runs_tooltip(task.totals)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == RUNS:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def _display(self, task: Task, column: int) -> str | None:
        if column == NAME:
            return text.task_title(task)
        if column == KIND:
            return text.KIND_WORDS.get(task.kind.value, task.kind.value)
        if column == STATE:
            return text.STATE_WORDS.get(task.state.value, task.state.value)
        if column == NEXT_RUN:
            return text.when(task.next_run_at, self._engine.clock.now())
        if column == LAST_OUTCOME:
            outcome = self._last_outcome.get(task.id)
            return style.OUTCOME_LABELS.get(outcome.value, outcome.value) if outcome else ""
        if column == PROGRESS:
            if task.state is not State.RUNNING:
                return ""
            fraction, message = self._progress.get(task.id, (None, ""))
            percent = f"{fraction * 100:.0f}%" if fraction is not None else "…"
            return f"{percent} {message}".strip()
        if column == RUNS:
            return runs_text(task.totals)
        return None

    def sort_key(self, task: Task, column: int) -> Any:
        """The task's key in ``column``, computed once until the task changes."""
        keys = self._keys.setdefault(task.id, {})
        key = keys.get(column)
        if key is None:
            key = keys[column] = self._compute_sort_key(task, column)
        return key

    def _compute_sort_key(self, task: Task, column: int) -> Any:
        if column < 0:
            return self._seq.get(task.id, 0)
        if column == NEXT_RUN:
            # Tasks with no next run sort after every dated one.
            return task.next_run_at.timestamp() if task.next_run_at else float("inf")
        if column == PROGRESS:
            fraction = self._progress.get(task.id, (None, ""))[0]
            return fraction if fraction is not None and task.state is State.RUNNING else -1.0
        if column == KIND:
            return list(Kind).index(task.kind)
        attribute = _ATTRIBUTE_KEYS.get(column)
        if attribute is not None:
            return attribute(task)
        return (self._display(task, column) or "").lower()

    # ------------------------------------------------------------ engine signals

    def _on_task_changed(self, task: Task) -> None:
        row = self._rows.get(task.id)
        self._keys.pop(task.id, None)
        if row is None:
            self._new[task.id] = task
            self._seq.setdefault(task.id, len(self._seq))
        else:
            self._tasks[row] = task
            self._dirty.add(row)
        if task.state is not State.RUNNING:
            self._progress.pop(task.id, None)
        self._schedule()

    def _on_task_removed(self, task_id: str) -> None:
        self._progress.pop(task_id, None)
        self._last_outcome.pop(task_id, None)
        self._keys.pop(task_id, None)
        if self._new.pop(task_id, None) is not None or task_id not in self._rows:
            return
        self.flush()  # pending changes name rows by number: apply them before numbers shift
        row = self._rows.pop(task_id)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._tasks[row]
        for later in self._tasks[row:]:
            self._rows[later.id] -= 1
        self.endRemoveRows()

    def _on_run_started(self, run: Run) -> None:
        self._progress[run.task_id] = (None, "")
        self._touch(run.task_id)

    def _on_run_progress(self, task_id: str, fraction: float | None, message: str) -> None:
        self._progress[task_id] = (fraction, message)
        self._touch(task_id)

    def _on_run_finished(self, run: Run) -> None:
        if run.outcome is not None:
            self._last_outcome[run.task_id] = run.outcome
        self._progress.pop(run.task_id, None)
        self._touch(run.task_id)

    def _touch(self, task_id: str) -> None:
        self._keys.pop(task_id, None)
        row = self._rows.get(task_id)
        if row is not None:
            self._dirty.add(row)
            self._schedule()

    def _schedule(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Let the views see every pending change now: new rows in one insertion, changed
        rows as one dataChanged per run of adjacent rows."""
        self._flush_timer.stop()
        resort = self._sort_column >= 0 and bool(self._new or self._dirty)
        if self._new:
            new, self._new = list(self._new.values()), {}
            first = len(self._tasks)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for row, task in enumerate(new, first):
                self._tasks.append(task)
                self._rows[task.id] = row
            self.endInsertRows()
        if self._dirty:
            rows, self._dirty = sorted(self._dirty), set()
            last_column = len(COLUMNS) - 1
            start = end = rows[0]
            for row in rows[1:]:
                if row != end + 1:
                    self.dataChanged.emit(self.index(start, 0), self.index(end, last_column))
                    start = row
                end = row
            self.dataChanged.emit(self.index(start, 0), self.index(end, last_column))
        if resort:
            self.sort_rows(self._sort_column, self._sort_order)

    def sort_rows(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (-1: as they came), ties in arrival order: one
        ``list.sort`` over cached keys. Rows already in order change nothing."""
        again = (column, order) == (self._sort_column, self._sort_order)
        self._sort_column, self._sort_order = column, order
        seq = self._seq
        descending = order == Qt.SortOrder.DescendingOrder
        if column < 0:
            ordered = sorted(self._tasks, key=lambda t: seq.get(t.id, 0), reverse=descending)
        else:
            # Python's sort is stable, also reversed: equal keys keep arrival order (the
            # rows are in it already when the same sort runs again after changes).
            base = self._tasks if again else sorted(self._tasks, key=lambda t: seq.get(t.id, 0))
            key = _ATTRIBUTE_KEYS.get(column) or (lambda t: self.sort_key(t, column))
            ordered = sorted(base, key=key, reverse=descending)
        if all(map(operator.is_, ordered, self._tasks)):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        moved = [(index, self._tasks[index.row()].id) for index in persistent]
        self._tasks = ordered
        self._rows = {t.id: i for i, t in enumerate(ordered)}
        self.changePersistentIndexList(
            persistent, [self.index(self._rows[task_id], index.column()) for index, task_id in moved]
        )
        self.layoutChanged.emit()

    def refresh_times(self) -> None:
        """Relative columns (next run's date) read against now: repaint them."""
        if self._tasks:
            self.dataChanged.emit(self.index(0, NEXT_RUN), self.index(len(self._tasks) - 1, NEXT_RUN))


class TaskFilterProxy(QSortFilterProxyModel):
    """Sorts by each column's natural key and filters by kind, state, tag and a search text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setDynamicSortFilter(True)
        self._kind: Kind | None = None
        self._state: State | None = None
        self._tag: str | None = None
        self._search = ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts (see the module's docstring); this proxy keeps its order."""
        model = self.sourceModel()
        if isinstance(model, TaskTableModel):
            model.sort_rows(column, order)
        else:
            super().sort(column, order)

    def set_filters(
        self, *, kind: Kind | None = None, state: State | None = None, tag: str | None = None, search: str = ""
    ) -> None:
        self.beginFilterChange()
        # A QComboBox hands enum data back as its str value: compare as enums again.
        kind = Kind(kind) if kind is not None else None
        state = State(state) if state is not None else None
        self._kind, self._state, self._tag, self._search = kind, state, tag or None, search.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._kind is None and self._state is None and self._tag is None and not self._search:
            return True  # no filter: the common case, and a call per row at every layout change
        model = self.sourceModel()
        task: Task | None = model.data(model.index(source_row, 0, source_parent), TASK_ROLE)
        return task is not None and self.accepts(task)

    @property
    def filtering(self) -> bool:
        return not (self._kind is None and self._state is None and self._tag is None and not self._search)

    def accepts(self, task: Task) -> bool:
        """Whether ``task`` passes the filters (the timeline hides the rows that do not)."""
        if self._kind is not None and task.kind is not self._kind:
            return False
        if self._state is not None and task.state is not self._state:
            return False
        if self._tag is not None and self._tag not in task.spec.tags:
            return False
        if self._search:
            haystack = " ".join((task.id, task.name or "", text.command_text(task), *task.spec.tags)).lower()
            return self._search in haystack
        return True


class ProgressDelegate(QStyledItemDelegate):
    """Paints the progress column as a flat bar in the palette's highlight colour.

    Not the style's CE_ProgressBar: its busy animation measured 6 ms per cell under
    load, and a table of running tasks repaints often.
    """

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        label = index.data(Qt.ItemDataRole.DisplayRole)
        if not label:
            super().paint(painter, option, index)
            return
        fraction = index.data(PROGRESS_ROLE)
        rect = option.rect.adjusted(3, 4, -3, -4)  # type: ignore[attr-defined]
        palette = option.palette  # type: ignore[attr-defined]
        highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
        track = QColor(highlight)
        track.setAlpha(50)
        painter.fillRect(rect, track)
        if fraction is not None:
            done = QRect(rect)
            done.setWidth(int(rect.width() * fraction))
            painter.fillRect(done, highlight)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)


def next_alarm(tasks: list[Task]) -> datetime | None:
    """The earliest armed exact alarm among ``tasks``."""
    due = [t.next_run_at for t in tasks if t.kind is Kind.EXACT and t.state is State.SCHEDULED and t.next_run_at]
    return min(due) if due else None
