"""RunHistoryModel: one task's runs, newest first, read a page at a time as the user scrolls.

A periodic task's history grows without end (a 1-second task: 31.5 million runs a
year), so the model never reads it whole: selecting a task reads one page (keyset
pagination by run id, :meth:`engine.engine.Engine.runs_page`), scrolling to the end
reads the next (Qt's ``canFetchMore``/``fetchMore``), and a run that starts or ends is
one row inserted at the top or one row changed, never a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt,
)
from PySide6.QtGui import QPalette

from engine.model import Run
from engine.serialize import start_gap
from ui import style, text

Index = QModelIndex | QPersistentModelIndex

#: Why a run stopped, as a person says it (the machine words stay in --json).
STOP_WORDS: Mapping[str, str] = text.Words({
    "cancelled_by_user": QT_TRANSLATE_NOOP("Words", "cancelled by you"),
    "timed_out": QT_TRANSLATE_NOOP("Words", "took too long"),
    "constraint_lost": QT_TRANSLATE_NOOP("Words", "a condition stopped holding"),
    "shutdown": QT_TRANSLATE_NOOP("Words", "Workdeck quit"),
    "process_died": QT_TRANSLATE_NOOP("Words", "Workdeck had stopped"),
    "replaced": QT_TRANSLATE_NOOP("Words", "replaced by a newer task"),
    "parent_failed": QT_TRANSLATE_NOOP("Words", "a task it runs after failed"),
    "parent_cancelled": QT_TRANSLATE_NOOP("Words", "a task it runs after was cancelled"),
    "overlap": QT_TRANSLATE_NOOP("Words", "the previous run still ran"),
    "coalesced": QT_TRANSLATE_NOOP("Words", "served by a later run"),
    "missed": QT_TRANSLATE_NOOP("Words", "missed"),
})
#: Column titles (translated in headerData).
COLUMNS = ("#", QT_TRANSLATE_NOOP("RunHistoryModel", "Started"), QT_TRANSLATE_NOOP("RunHistoryModel", "Ended"),
           QT_TRANSLATE_NOOP("RunHistoryModel", "Duration"), QT_TRANSLATE_NOOP("RunHistoryModel", "Outcome"),
           QT_TRANSLATE_NOOP("RunHistoryModel", "Stop reason"), QT_TRANSLATE_NOOP("RunHistoryModel", "Exit"),
           QT_TRANSLATE_NOOP("RunHistoryModel", "Note"))
ATTEMPT, STARTED, ENDED, DURATION, OUTCOME, STOP_REASON, EXIT, NOTE = range(len(COLUMNS))

#: Rows per read: more than a details pane shows at once, so the first page fills it.
PAGE = 100

#: (task id, older than this run id or None, at most this many) -> runs, newest first.
ReadPage = Callable[..., list[Run]]


class RunHistoryModel(QAbstractTableModel):
    """The selected task's runs, newest first; pages in as the view scrolls."""

    def __init__(self, read_page: ReadPage, now: Callable[[], datetime], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read_page = read_page
        self._now = now
        self.task_id: str | None = None
        self._runs: list[Run] = []  # newest first: ids strictly decreasing
        self._more = False
        #: Whether a view shows the rows now: a hidden view asks for a page after every
        #: change (Qt fetches for hidden views), which nobody would see.
        self.shown: Callable[[], bool] | None = None
        #: The view's palette, read when a colour is drawn (it follows a theme change).
        self.palette: Callable[[], QPalette] | None = None

    def set_task(self, task_id: str | None) -> None:
        """Show ``task_id``'s newest page of runs (or nothing)."""
        self.beginResetModel()
        self.task_id = task_id
        self._runs = []
        self._more = False
        if task_id is not None:
            page = self._read_page(task_id, before_id=None, limit=PAGE)
            self._runs = page
            self._more = len(page) == PAGE
        self.endResetModel()

    def runs(self) -> list[Run]:
        """The runs read so far, newest first."""
        return list(self._runs)

    # ------------------------------------------------------------ paging

    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        return not parent.isValid() and self._more and (self.shown is None or self.shown())

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        if parent.isValid() or not self._more or self.task_id is None:
            return
        before = self._runs[-1].id if self._runs else None
        page = self._read_page(self.task_id, before_id=before, limit=PAGE)
        self._more = len(page) == PAGE
        if page:
            first = len(self._runs)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._runs.extend(page)
            self.endInsertRows()

    # ------------------------------------------------------------ live updates

    def add_or_update(self, run: Run) -> None:
        """A run of the shown task started or ended: one row in or one row changed."""
        if run.task_id != self.task_id:
            return
        row = self._row_of(run.id)
        if row is not None:
            self._runs[row] = run
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        if self._runs and run.id < self._runs[-1].id:
            return  # older than every row read: its page comes when the user scrolls there
        row = 0
        while row < len(self._runs) and self._runs[row].id > run.id:
            row += 1  # new runs are the newest: the loop ends at once
        self.beginInsertRows(QModelIndex(), row, row)
        self._runs.insert(row, run)
        self.endInsertRows()

    def _row_of(self, run_id: int) -> int | None:
        # Ids decrease down the rows: a bisection on the negated ids.
        lo, hi = 0, len(self._runs)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._runs[mid].id > run_id:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self._runs) and self._runs[lo].id == run_id else None

    # ------------------------------------------------------------ Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return QCoreApplication.translate("RunHistoryModel", COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._runs)):
            return None
        run = self._runs[index.row()]
        column = index.column()
        outcome = run.outcome.value if run.outcome else "running"
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(run, column, outcome)
        if role == Qt.ItemDataRole.ForegroundRole and column == OUTCOME and self.palette is not None:
            return style.outcome_color(outcome, self.palette())
        if role == Qt.ItemDataRole.DecorationRole and column == OUTCOME:
            return style.outcome_icon(outcome)  # the colour is not the only signal
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STARTED:
                return text.full_time(run.started_at)
            if column == ENDED:
                return text.full_time(run.ended_at)
        return None

    def _display(self, run: Run, column: int, outcome: str) -> str:
        if column == ATTEMPT:
            return str(run.attempt)
        if column == STARTED:
            return text.when(run.started_at, self._now())
        if column == ENDED:
            return text.when(run.ended_at, self._now())
        if column == DURATION:
            return text.duration(text.run_duration(run, self._now()))
        if column == OUTCOME:
            return style.OUTCOME_LABELS.get(outcome, outcome)
        if column == STOP_REASON:
            return STOP_WORDS.get(run.stop_reason.value, run.stop_reason.value) if run.stop_reason else ""
        if column == EXIT:
            return "" if run.exit_code is None else str(run.exit_code)
        return "; ".join(n for n in (run.detail, start_gap(run)) if n)  # an alarm's lateness, its command's
