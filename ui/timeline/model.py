"""The timeline's model: runs, due times and the visible/background history, by row.

:class:`Timeline` keeps what the view needs in per-row indexes sorted by start
(:class:`ui.timeline.bars.RowIndex`), so a paint touches only the bars in the visible
range (a bisect, then a slice). It reads
the database only through ``engine.runs_between`` for ranges it has not seen yet,
and otherwise follows the engine's signals: a run that starts, ends or a task that
changes updates the indexes in place. The view (:mod:`ui.timeline.view`) draws it.

A range that holds more runs than pixels (a count that stops at the threshold tells)
is not read as runs: :class:`ui.timeline.density.DensityLoader` reads per-pixel
aggregates for it instead, and the view draws those (:attr:`Timeline.dense`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Signal

from engine.clock import from_us, to_us
from engine.engine import Engine
from engine.model import Kind, Run, State, Task
from ui import text
from ui.timeline.bars import Bar, Row, RowIndex, RowKey, Strip, lane_key, task_key
from ui.timeline.density import DENSE_RUNS_PER_PIXEL, Cell, Column, DensityGrid, DensityLoader

LANES: tuple[Kind, ...] = (Kind.IMMEDIATE, Kind.DEFERRED, Kind.EXACT)
#: The lanes' titles (translated when the rows are built).
LANE_TITLES = {Kind.IMMEDIATE: QT_TRANSLATE_NOOP("Timeline", "Immediate"),
               Kind.DEFERRED: QT_TRANSLATE_NOOP("Timeline", "Deferred"),
               Kind.EXACT: QT_TRANSLATE_NOOP("Timeline", "Exact")}


class Timeline(QObject):
    """What the timeline shows, fed by the engine's signals and range reads."""

    changed = Signal()  # anything drawn changed: repaint
    rows_changed = Signal()  # rows were added, removed or opened

    def __init__(self, engine: Engine, parent: QObject | None = None, *, tasks: list[Task] | None = None) -> None:
        """``tasks``: the engine's tasks, when the caller read them already."""
        super().__init__(parent)
        self.engine = engine
        self.clock = engine.clock
        self._tasks: dict[str, Task] = {t.id: t for t in (engine.tasks() if tasks is None else tasks)}
        self._bars: dict[int, Bar] = {}
        self._rows: dict[RowKey, RowIndex] = {}
        self._loaded: tuple[int, int] | None = None
        self._markers: dict[RowKey, tuple[list[int], list[str]]] | None = None
        self._upcoming: list[tuple[int, str]] | None = None
        self.expanded: set[Kind] = set()
        #: The window's search and filters: tasks it rejects are hidden (see set_filter).
        self._filter: Callable[[Task], bool] | None = None
        self._hidden: set[str] = set()
        #: The view's range holds more runs than pixels: draw :attr:`density`, not bars.
        self.dense = False
        self.density = DensityLoader(engine.bucket_reads, self._kind_of, self)
        self.density.changed.connect(self.changed)
        self._view: tuple[int, int, float] | None = None
        #: (instant in µs, visible?) in time order; fed by the window (later the lifecycle).
        self.visibility: list[tuple[int, bool]] = []
        engine.task_added.connect(self._on_task_changed)
        engine.task_changed.connect(self._on_task_changed)
        engine.task_removed.connect(self._on_task_removed)
        engine.run_started.connect(self._on_run)
        engine.run_finished.connect(self._on_run)

    # ------------------------------------------------------------ time

    def now_us(self) -> int:
        """Now, from the engine's clock (a FakeClock in tests)."""
        return to_us(self.clock.now())

    def extent(self) -> tuple[int, int]:
        """From the first task's creation to the last due time or now: what Home fits.
        Every run falls inside it, so it needs no database read."""
        now = self.now_us()
        starts = [to_us(t.created_at) for t in self._tasks.values()]
        ends = [to_us(t.next_run_at) for t in self._tasks.values() if t.next_run_at and not t.state.finished]
        lo = min([*starts, now - 60_000_000])
        hi = max([*ends, now])
        return lo, hi

    # ------------------------------------------------------------ loading

    def ensure_loaded(self, start_us: int, end_us: int, px: float | None = None) -> None:
        """Read the runs of [start, end] that are not loaded yet (with a margin each side).
        With ``px`` (µs per pixel), a range holding more runs than pixels is read as
        per-pixel aggregates instead (see :attr:`dense`)."""
        if self._loaded is not None and self._loaded[0] <= start_us and end_us <= self._loaded[1]:
            self.dense = False
            return
        margin = max(end_us - start_us, 1_000_000) // 2
        want = (start_us - margin, end_us + margin)
        if px is not None and px > 0:
            self._view = (start_us, end_us, px)
            # What a read as runs would take in (the margins too), counted no further
            # than the pixels allow: bounded by the pixels, whatever is stored.
            cap = int(DENSE_RUNS_PER_PIXEL * (want[1] - want[0]) / px) + 1
            if self.engine.count_runs_started(want[0], want[1], cap) >= cap:
                self.dense = True
                self.density.want(start_us, end_us, int(px))
                return
        self.dense = False
        if self._loaded is None or self._loaded[1] < want[0] or want[1] < self._loaded[0]:
            # Nothing loaded, or far from here: read this range alone, never all between
            # (the bars read before stay; a finished run is never read twice).
            gaps = [want]
            self._loaded = want
        else:
            lo, hi = self._loaded
            gaps = []
            if want[0] < lo:
                gaps.append((want[0], lo))
            if want[1] > hi:
                gaps.append((hi, want[1]))
            self._loaded = (min(lo, want[0]), max(hi, want[1]))
        for a, b in gaps:
            self.add_runs(self.engine.runs_between(from_us(a), from_us(b)), notify=False)
        self.changed.emit()

    @property
    def loaded_range(self) -> tuple[int, int] | None:
        return self._loaded

    def add_runs(self, runs: Iterable[Run], *, notify: bool = True) -> None:
        """Add or update runs (range reads, signals, and tests that feed runs directly)."""
        for run in runs:
            bar = self._bars.get(run.id)
            if bar is not None:
                if bar.end is not None:
                    continue  # a finished run never changes
                bar.update(run)
            else:
                bar = Bar(run)
                self._bars[run.id] = bar
            task = self._tasks.get(run.task_id)
            kind = task.kind if task else Kind.IMMEDIATE
            self._rows.setdefault(task_key(run.task_id), RowIndex()).add(bar)
            if run.task_id not in self._hidden:
                self._rows.setdefault(lane_key(kind), RowIndex()).add(bar)
        if notify:
            self.changed.emit()

    def set_tasks(self, tasks: Iterable[Task]) -> None:
        """Replace the known tasks (tests drive the model directly with Task objects)."""
        self._tasks = {t.id: t for t in tasks}
        self._markers = self._upcoming = None
        self._apply_filter()
        self.rows_changed.emit()
        self.changed.emit()

    # ------------------------------------------------------------ signals

    def _on_task_changed(self, task: Task) -> None:
        new = task.id not in self._tasks
        self._tasks[task.id] = task
        self._markers = self._upcoming = None
        if self._filter is not None and (task.id in self._hidden) == self._filter(task):
            self._apply_filter()  # it moved in or out of the filter (a state filter)
            return
        if new and task.kind in self.expanded:
            self.rows_changed.emit()
        self.changed.emit()

    # ------------------------------------------------------------ filter

    def set_filter(self, predicate: Callable[[Task], bool] | None) -> None:
        """Hide the tasks ``predicate`` rejects: their rows, their markers, and their
        runs from the lanes (the lanes are rebuilt; a filter changes at typing speed,
        not at the engine's). None shows everything."""
        self._filter = predicate
        self._apply_filter()

    def _apply_filter(self) -> None:
        predicate = self._filter
        hidden = {t.id for t in self._tasks.values() if not predicate(t)} if predicate is not None else set()
        if hidden != self._hidden:
            self._hidden = hidden
            for kind in Kind:
                self._rows.pop(lane_key(kind), None)
            for bar in sorted(self._bars.values(), key=lambda b: b.start):
                if bar.task_id not in hidden:
                    self._rows.setdefault(lane_key(self._kind_of(bar.task_id)), RowIndex()).add(bar)
        self._markers = self._upcoming = None
        self.rows_changed.emit()
        self.changed.emit()

    def hidden_count(self, kind: Kind) -> int:
        """How many tasks of ``kind`` the filter hides."""
        return sum(1 for task_id in self._hidden if self._kind_of(task_id) is kind)

    def _on_task_removed(self, task_id: str) -> None:
        task = self._tasks.pop(task_id, None)
        self._hidden.discard(task_id)
        if self.density.grid is not None:  # its runs are in the buckets: read them again
            self.density.drop()
            if self.dense and self._view is not None:
                self.density.want(self._view[0], self._view[1], int(self._view[2]))
        gone = {run_id for run_id, bar in self._bars.items() if bar.task_id == task_id}
        for run_id in gone:
            del self._bars[run_id]
        self._rows.pop(task_key(task_id), None)
        if gone:
            for kind in Kind:
                lane = self._rows.get(lane_key(kind))
                if lane is not None:
                    lane.discard(gone)
        self._markers = self._upcoming = None
        if task is not None and task.kind in self.expanded:
            self.rows_changed.emit()
        self.changed.emit()

    def _on_run(self, run: Run) -> None:
        self.add_runs([run])
        bar = self._bars.get(run.id)
        if bar is not None:
            self.density.add_run(run, bar.start, bar.end)

    def density_cells(self, grid: DensityGrid, key: RowKey, b1: int, b2: int) -> list[tuple[int, Cell]]:
        """The aggregates to draw for a row: a lane under a filter adds up only the tasks
        the filter lets through (the lane's own aggregate counts every task of its kind)."""
        if key[0] != "lane" or not self._hidden:
            return grid.between(key, b1, b2)
        kind = Kind(key[1])
        keys = [k for k in grid.cells
                if k[0] == "task" and k[1] not in self._hidden and self._kind_of(k[1]) is kind]
        return grid.merged_between(keys, b1, b2)

    def density_columns(self, grid: DensityGrid, key: RowKey, b1: int, b2: int, h: int) -> list[Column]:
        """What the painter draws for a row: the grid's cached columns, or for a lane
        under a filter, the columns of the tasks it lets through (derived per frame)."""
        if key[0] != "lane" or not self._hidden:
            return grid.columns(key, b1, b2, h)
        return grid.columns_of(self.density_cells(grid, key, b1, b2), h)

    def _kind_of(self, task_id: str) -> Kind:
        task = self._tasks.get(task_id)
        return task.kind if task else Kind.IMMEDIATE

    # ------------------------------------------------------------ rows

    def task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def bar(self, run_id: int) -> Bar | None:
        return self._bars.get(run_id)

    def toggle(self, kind: Kind) -> None:
        self.expanded ^= {kind}
        self.rows_changed.emit()
        self.changed.emit()

    def rows(self) -> list[Row]:
        """The lanes, and in each open lane a row per shown task; a chain's children
        follow their (first shown) parent's row, whatever their own lane."""
        hidden = self._hidden
        shown = [t for t in self._tasks.values() if t.id not in hidden]
        children: dict[str, list[Task]] = {}
        for task in shown:
            parent = next((p for p in task.spec.after if p in self._tasks and p not in hidden
                           and self._tasks[p].kind in self.expanded), None)
            if parent is not None:
                children.setdefault(parent, []).append(task)
        under_parent = {c.id for kids in children.values() for c in kids}
        rows: list[Row] = []
        placed: set[str] = set()

        def place(task: Task, depth: int) -> None:
            placed.add(task.id)
            title = text.task_title(task)
            rows.append(Row(task_key(task.id), ("   " * (depth - 1) + "↳ " + title) if depth else title,
                            task.kind, task.id))
            for child in children.get(task.id, ()):
                if child.id not in placed:
                    place(child, depth + 1)

        for kind in LANES:
            count = self.hidden_count(kind) if hidden else 0
            title = self.tr(LANE_TITLES[kind])
            if count:
                title = self.tr("{lane} ({count} hidden)").format(lane=title, count=count)
            rows.append(Row(lane_key(kind), title, kind))
            if kind in self.expanded:
                for task in shown:
                    if task.kind is kind and task.id not in under_parent and task.id not in placed:
                        place(task, 0)
        return rows

    def edge(self, parent_id: str, child_id: str) -> tuple[int, int] | None:
        """A chain link as drawn: from the end of the parent's last run before the
        child's first run, to that first run's start (µs); None until both ran."""
        parent, child = self._rows.get(task_key(parent_id)), self._rows.get(task_key(child_id))
        if parent is None or child is None:
            return None
        starts = [*child.starts[:1], *(b.start for b in child.running.values())]
        if not starts:
            return None
        first = min(starts)
        # Walk back from the child's first start; a few steps, never a copy of the history.
        for i in range(bisect_right(parent.starts, first) - 1, max(-1, bisect_right(parent.starts, first) - 65), -1):
            bar = parent.bars[i]
            if bar.end is not None and bar.end <= first:
                return bar.end, first
        return None

    def bars(self, key: RowKey, start_us: int, end_us: int) -> tuple[list[Bar], list[Bar]]:
        """(finished bars that may overlap the range, in start order; running bars)."""
        index = self._rows.get(key)
        if index is None:
            return [], []
        return index.between(start_us, end_us), [b for b in index.running.values() if b.start <= end_us]

    def strip(self, key: RowKey, px: float) -> Strip | None:
        """The row's finished bars merged on a ``px``-µs pixel grid (see :class:`Strip`)."""
        index = self._rows.get(key)
        return index.strip(px) if index is not None else None

    def missed(self, key: RowKey, start_us: int, end_us: int) -> list[Bar]:
        index = self._rows.get(key)
        return [b for b in index.missed if start_us <= b.start <= end_us] if index is not None else []

    def running(self, key: RowKey, end_us: int) -> list[Bar]:
        index = self._rows.get(key)
        return [b for b in index.running.values() if b.start <= end_us] if index is not None else []

    def markers(self, key: RowKey, start_us: int, end_us: int) -> tuple[list[int], list[str]]:
        """Future due times (µs) in the range and their tasks: waiting and scheduled work."""
        if self._markers is None:
            self._markers = self._build_markers()
        starts, ids = self._markers.get(key, ([], []))
        lo, hi = bisect_left(starts, start_us), bisect_right(starts, end_us)
        return starts[lo:hi], ids[lo:hi]

    def late(self, key: RowKey, start_us: int, end_us: int) -> list[Bar]:
        """Runs that started late and whose wait (due -> start) overlaps the range."""
        index = self._rows.get(key)
        if index is None:
            return []
        lo = bisect_left(index.late_starts, start_us)
        hi = bisect_right(index.late_starts, end_us + index.max_wait)
        return [b for b in index.late[lo:hi] if b.queued_from is not None and b.queued_from <= end_us]

    def waiting(self, key: RowKey, now_us: int) -> tuple[list[int], list[str]]:
        """Due times at or before now of work not started yet (queued since then)."""
        return self.markers(key, -(2**62), now_us)

    def upcoming(self, after_us: int) -> list[tuple[int, str]]:
        """(due, task id) of waiting and scheduled work due after ``after_us``, soonest first."""
        if self._upcoming is None:
            self._upcoming = sorted(
                (to_us(t.next_run_at), t.id) for t in self._tasks.values()
                if t.next_run_at is not None and t.state in (State.ENQUEUED, State.SCHEDULED)
                and t.id not in self._hidden
            )
        items = self._upcoming
        return items[bisect_right(items, (after_us, "\uffff")):]

    def _build_markers(self) -> dict[RowKey, tuple[list[int], list[str]]]:
        pending: dict[RowKey, list[tuple[int, str]]] = {}
        for task in self._tasks.values():
            if task.next_run_at is None or task.state not in (State.ENQUEUED, State.SCHEDULED):
                continue
            if task.id in self._hidden:
                continue
            due = to_us(task.next_run_at)
            for key in (lane_key(task.kind), task_key(task.id)):
                pending.setdefault(key, []).append((due, task.id))
        result = {}
        for key, items in pending.items():
            items.sort()
            result[key] = ([d for d, _ in items], [i for _, i in items])
        return result

    # ------------------------------------------------------------ visibility

    def record_visibility(self, visible: bool, at_us: int | None = None) -> None:
        at = self.now_us() if at_us is None else at_us
        if self.visibility and self.visibility[-1][1] == visible:
            return
        self.visibility.append((at, visible))
        self.changed.emit()

    def visibility_segments(self, start_us: int, end_us: int) -> list[tuple[int, int, bool]]:
        """(from, to, visible) pieces of the history that overlap the range; the last runs to now."""
        segments = []
        now = self.now_us()
        for i, (at, visible) in enumerate(self.visibility):
            until = self.visibility[i + 1][0] if i + 1 < len(self.visibility) else now
            if until >= start_us and at <= end_us:
                segments.append((at, until, visible))
        return segments
