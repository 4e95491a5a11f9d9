"""A long history in the window: selecting a task with 200,000 runs reads a page, a new
run is one row, scrolling pages in the rest; the timeline draws a dense task as a band
from per-pixel aggregates; the table is built and sorted without a key per row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt

import engine.store as store_module
from engine.clock import to_us
from engine.engine import RUN_HISTORY_SLACK
from engine.model import Kind, Outcome, Run, State, TaskSpec
from engine.store.reads import OUTCOME_BY_SEVERITY
from tests.history_data import BUSY_ID, FAIL_EVERY, add_busy_task, add_finished_tasks
from tests.ui.helpers import click_row
from ui import style
from ui.main_window import MainWindow
from ui.run_history import PAGE, RunHistoryModel
from ui.task_table import NAME, TASK_ID_ROLE, TaskTableModel
from ui.timeline import Timeline, TimelineView, task_key
from ui.timeline.density import MARK_HEIGHT
from ui.timeline.paint import failure_marks

S = 1_000_000
BUSY_RUNS = 200_000
#: SQLite virtual-machine steps are counted in units of this many.
VM_UNIT = 1000


@dataclass
class Reads:
    runs_decoded: int = 0
    vm_units: int = 0


@contextmanager
def counting_reads(engine, monkeypatch) -> Iterator[Reads]:
    """Every run the store decodes (all run reads go through engine.store.run_from_row)
    and the work SQLite does, in thousands of VM steps: a read of 200,000 runs, even one
    that decodes none (a COUNT), costs millions of steps."""
    reads = Reads()
    decode = store_module.run_from_row

    def counted(row):
        reads.runs_decoded += 1
        return decode(row)

    def step() -> int:
        reads.vm_units += 1
        return 0

    monkeypatch.setattr(store_module, "run_from_row", counted)
    engine.store.conn.set_progress_handler(step, VM_UNIT)
    try:
        yield reads
    finally:
        engine.store.conn.set_progress_handler(None, VM_UNIT)
        monkeypatch.setattr(store_module, "run_from_row", decode)


@pytest.fixture
def busy_window(qtbot, engine, clock):
    add_busy_task(engine.store, clock.now(), BUSY_RUNS)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _settle() -> None:
    """Deliver what is posted (layout requests, fetchMore) until nothing is left."""
    from PySide6.QtWidgets import QApplication

    for _ in range(5):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_selecting_a_task_with_200000_runs_reads_one_page(qtbot, busy_window, engine, monkeypatch) -> None:
    with counting_reads(engine, monkeypatch) as reads:
        click_row(qtbot, busy_window, BUSY_ID)
        _settle()  # the views lay out and fetch what they want (posted events, no timers)
    # One page for the pane, the tail an explanation of "why it waits" reads: never the history.
    assert reads.runs_decoded <= 2 * PAGE, reads
    assert reads.vm_units < 200, reads  # 200,000 VM steps; reading the history is over 2,000,000
    history = busy_window.details.history
    assert history.rowCount() == PAGE
    runs = history.runs()
    assert runs[0].attempt == BUSY_RUNS and [r.id for r in runs] == sorted((r.id for r in runs), reverse=True)


def test_a_new_run_of_it_is_one_row_not_a_reload(qtbot, busy_window, engine, runner, clock, monkeypatch) -> None:
    click_row(qtbot, busy_window, BUSY_ID)
    history = busy_window.details.history
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    history.modelReset.connect(lambda: resets.append(1))
    history.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    with counting_reads(engine, monkeypatch) as reads:
        assert engine.start_run(engine.task(BUSY_ID, with_runs=False))
        clock.advance(1)
        runner.finish(BUSY_ID, Outcome.FAILED, exit_code=3)
        qtbot.waitUntil(lambda: busy_window.model.last_outcome(BUSY_ID) is Outcome.FAILED, timeout=2_000)
        # the table's batch and the status line, each on its coalescing timer
        qtbot.waitUntil(lambda: not busy_window.model._flush_timer.isActive()
                        and not busy_window._status_timer.isActive(), timeout=2_000)
        _settle()
    # The engine reads the tail of the history to decide the next run, and the pane's
    # "why it waits" reads it again (RUN_HISTORY_SLACK each): never the history.
    assert reads.runs_decoded <= 2 * RUN_HISTORY_SLACK + 10, reads
    assert reads.vm_units < 200, reads
    assert resets == [] and inserted == [(0, 0)]
    assert history.index(0, 4).data() == "failed" and history.index(0, 6).data() == "3"
    assert history.index(0, 0).data() == str(BUSY_RUNS + 1) and history.rowCount() == PAGE + 1


def test_scrolling_to_the_end_pages_in_older_runs(qtbot, busy_window, engine) -> None:
    click_row(qtbot, busy_window, BUSY_ID)
    details = busy_window.details
    details.tabs.setCurrentWidget(details.runs)
    history = details.history
    _settle()
    # Shown: a page more at most (Qt asks once while it lays the view out), then
    # nothing until the user scrolls.
    seen = history.rowCount()
    assert seen <= 2 * PAGE
    _settle()
    assert history.rowCount() == seen
    for _ in range(3):
        details.runs.scrollToBottom()
        qtbot.waitUntil(lambda: history.rowCount() > seen, timeout=2_000)
        seen = history.rowCount()
    runs = history.runs()
    assert len(runs) == seen and seen % PAGE == 0 and seen <= 10 * PAGE
    assert [r.attempt for r in runs] == list(range(BUSY_RUNS, BUSY_RUNS - len(runs), -1))  # no gap, no repeat


def test_the_run_history_model_pages_and_follows_runs(qtmodeltester, engine, runner, clock) -> None:
    add_busy_task(engine.store, clock.now(), PAGE * 2 + 5, task_id="some")
    model = RunHistoryModel(engine.runs_page, clock.now)
    model.set_task("some")
    assert model.rowCount() == PAGE and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE and model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)  # it fetches the rest, as a view scrolled to the end would
    assert model.rowCount() == 2 * PAGE + 5 and not model.canFetchMore(QModelIndex())
    newest = model.runs()[0]
    started = Run(newest.id + 1, "some", newest.attempt + 1, clock.now())
    model.add_or_update(started)
    model.add_or_update(Run(started.id, "some", started.attempt, clock.now(), ended_at=clock.now(),
                            outcome=Outcome.SUCCEEDED))
    model.add_or_update(Run(started.id + 1, "another task", 1, clock.now()))
    assert model.rowCount() == 2 * PAGE + 6
    assert model.index(0, 4).data() == "succeeded" and model.index(1, 0).data() == str(newest.attempt)
    qtmodeltester.check(model)
    model.set_task(None)
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


def test_a_dense_task_is_a_band_in_its_outcome_colour(qtbot, engine, clock, monkeypatch) -> None:
    """A 1-second task over a day at a day's zoom: 86,400 runs, about a hundred per pixel.
    The lane is drawn from per-pixel aggregates: successes in their colour across the
    whole day, the failures (one run in FAIL_EVERY) as a line on top."""
    add_busy_task(engine.store, clock.now(), 86_400, kind=Kind.DEFERRED)
    timeline = Timeline(engine)
    timeline.expanded.add(Kind.DEFERRED)
    view = TimelineView(timeline)
    view.resize(1000, 260)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)  # the last ten minutes, as runs: about 600 of them
    with counting_reads(engine, monkeypatch) as reads:
        now = timeline.now_us()
        view.set_range(now - 86_400 * S, 86_400 * S, follow=False)
        assert timeline.dense
        qtbot.waitUntil(timeline.density.done, timeout=10_000)
    assert reads.runs_decoded == 0, reads  # not one run read as a bar
    image = view.grab().toImage()
    colors = style.outcome_colors(view.palette())
    rect = view.row_rect(task_key(BUSY_ID))
    pad = 3
    x_first, x_last = round(view.x_for(now - 86_400 * S)) + 2, round(view.x_for(now)) - 2

    def share(y: int, outcome: str, palette: dict | None = None) -> float:
        wanted = (palette or colors)[outcome]
        hits = sum(1 for x in range(x_first, x_last) if _close(image.pixelColor(x, y), wanted))
        return hits / (x_last - x_first)

    bottom, top = rect.bottom() - pad - 1, rect.top() + pad
    assert share(bottom, "succeeded") > 0.98  # a band across the whole range, not a barcode
    assert share(top, "failed") < 0.02  # not by colour alone: the dark edge of a failed bar on top
    marks = failure_marks(colors)
    assert share(top, "failed", marks) > 0.98
    assert share(top + MARK_HEIGHT, "failed") > 0.98  # every pixel holds a failure: a line along the top
    assert share(rect.top() + rect.height() // 2, "succeeded") > 0.98
    # Hovering says what the pixel holds.
    tip = view.hover_text(view.row_rect(task_key(BUSY_ID)).center())
    assert tip is not None and "runs here" in tip and "failed" in tip.lower()


def test_a_run_that_ends_joins_its_bucket(qtbot, engine, runner, clock) -> None:
    add_busy_task(engine.store, clock.now(), 20_000)
    timeline = Timeline(engine)
    now = timeline.now_us()
    timeline.ensure_loaded(now - 20_000 * S, now + 60 * S, 20 * S)
    assert timeline.dense
    qtbot.waitUntil(timeline.density.done, timeout=10_000)
    grid = timeline.density.grid
    assert grid is not None
    bucket = now // grid.bucket_us
    before = list(grid.cells[task_key(BUSY_ID)].get(bucket, [0, 0, 0, 0]))
    assert engine.start_run(engine.task(BUSY_ID, with_runs=False))
    runner.finish(BUSY_ID, Outcome.TIMED_OUT)
    count, bad, severity, _end = grid.cells[task_key(BUSY_ID)][bucket]
    assert (count, bad) == (before[0] + 1, before[1] + 1)
    assert OUTCOME_BY_SEVERITY[severity] in ("timed_out", "failed")


def test_the_window_decodes_and_sorts_nothing_more_than_it_shows(qtbot, engine, clock, monkeypatch) -> None:
    """10,000 tasks: no sort key is computed at start (creation order), each spec is
    decoded once, and a click on a header sorts in the model, rows and selection kept."""
    add_finished_tasks(engine.store, clock.now(), 2_000)
    decoded: list[str] = []
    task_from_row = store_module.Store._task_from_row

    def counted(self, row, runs):
        decoded.append(row[0])
        return task_from_row(self, row, runs)

    keys: list[int] = []
    compute = TaskTableModel._compute_sort_key
    monkeypatch.setattr(store_module.Store, "_task_from_row", counted)
    monkeypatch.setattr(TaskTableModel, "_compute_sort_key", lambda self, t, c: keys.append(c) or compute(self, t, c))
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert len(decoded) == len(set(decoded)) == 2_000
    assert keys == []
    win.select_task("done00000007")
    win.table.horizontalHeader().setSortIndicator(NAME, Qt.SortOrder.DescendingOrder)
    names = [win.proxy.index(r, NAME).data() for r in range(win.proxy.rowCount())]
    assert names == sorted(names, reverse=True)
    assert len(keys) == 2_000  # one key per row, kept for the next sort
    assert win.details.task_id == "done00000007"
    current = win.table.selectionModel().currentIndex()
    assert current.data(TASK_ID_ROLE) == "done00000007"
    win.table.horizontalHeader().setSortIndicator(NAME, Qt.SortOrder.AscendingOrder)
    assert len(keys) == 2_000
    assert [win.proxy.index(r, NAME).data() for r in range(3)] == sorted(names)[:3]


def _close(a, b, tol: int = 8) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


def test_state_of_the_busy_task_is_untouched(engine, clock) -> None:
    """The data the tests above use is what the engine would have written."""
    task = add_busy_task(engine.store, clock.now(), 300)
    stored = engine.store.task(task.id)  # every run (Engine.task carries the newest 100)
    assert stored.state is State.ENQUEUED and len(stored.runs) == 300
    failures = [r for r in stored.runs if r.outcome is Outcome.FAILED]
    assert len(failures) == 300 // FAIL_EVERY
    assert to_us(stored.runs[-1].ended_at) <= to_us(clock.now())
    assert isinstance(stored.spec, TaskSpec)


def test_a_far_jump_reads_the_new_range_not_all_between(qtbot, engine, clock, monkeypatch) -> None:
    """Runs from a day ago; the timeline looks at last week, then at now: the runs of the
    day between are never read (they are neither in view nor in a margin)."""
    add_busy_task(engine.store, clock.now() - timedelta(days=1), 3_000, every_s=10)
    timeline = Timeline(engine)
    now = timeline.now_us()
    with counting_reads(engine, monkeypatch) as reads:
        timeline.ensure_loaded(now - 8 * 86400 * S, now - 7 * 86400 * S, 1000 * S)
        timeline.ensure_loaded(now - 600 * S, now, S)
    assert not timeline.dense
    assert reads.runs_decoded == 0, reads
    # Where the runs are, at a zoom that shows them one by one, they are read as runs.
    with counting_reads(engine, monkeypatch) as reads:
        timeline.ensure_loaded(now - 86400 * S - 3600 * S, now - 86400 * S, 3 * S)
    assert not timeline.dense and 0 < reads.runs_decoded <= 3_000
