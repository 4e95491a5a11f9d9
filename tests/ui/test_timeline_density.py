"""The timeline's density picture: a frame draws the grid's merged columns (derived
once per change of a piece), and the aggregates are read off the UI thread."""

from __future__ import annotations

import threading

from engine.model import Kind, Outcome
from engine.store.reads import OUTCOME_BY_SEVERITY, RunReads
from tests.history_data import BUSY_ID, add_busy_task
from ui.timeline import Timeline, TimelineView, task_key
from ui.timeline.density import MARK_HEIGHT, PIECE, DensityGrid

S = 1_000_000
FAILED = OUTCOME_BY_SEVERITY.index("failed")
KEY = task_key("t")


def _band(grid: DensityGrid, first: int, count: int) -> None:
    """``count`` neighbouring buckets of 300 runs, 3 failed each: a 1-second task at a
    week's zoom."""
    for b in range(first, first + count):
        grid.add(KEY, b, 300, 3, FAILED, (b + 1) * grid.bucket_us - 1)


def test_a_band_of_buckets_is_one_column_per_piece() -> None:
    grid = DensityGrid(600 * S, 0)
    _band(grid, 10_000, 1_000)
    columns = grid.columns(KEY, 10_000, 10_999, 20)
    pieces = {b // PIECE for b in range(10_000, 11_000)}
    assert len(columns) == len(pieces)
    first, end, base, top, worst = columns[0]
    assert (first, base, top, worst) == (10_000, "succeeded", 2 + MARK_HEIGHT, "failed")  # its colour under its edge
    assert columns[-1][1] == 11_000 * grid.bucket_us  # the band's end
    # A gap wider than a bucket, or a bucket drawn otherwise, starts a new column.
    grid.add(KEY, 11_200, 5, 5, FAILED, 11_201 * grid.bucket_us)
    assert grid.columns(KEY, 11_200, 11_200, 20)[-1] == (11_200, 11_201 * grid.bucket_us, "failed", 0, "failed")


def test_a_change_rederives_only_its_piece(monkeypatch) -> None:
    grid = DensityGrid(600 * S, 0)
    _band(grid, 0, 4 * PIECE)
    merged: list[int] = []
    merge = DensityGrid._merge
    monkeypatch.setattr(DensityGrid, "_merge", lambda self, row, lo, hi, h: merged.append(lo) or merge(self, row, lo, hi, h))
    grid.columns(KEY, 0, 4 * PIECE - 1, 20)
    assert merged == [0, PIECE, 2 * PIECE, 3 * PIECE]
    merged.clear()
    grid.columns(KEY, 0, 4 * PIECE - 1, 20)
    assert merged == []  # an unchanged frame derives nothing
    grid.add(KEY, PIECE + 7, 1, 1, FAILED, (PIECE + 8) * grid.bucket_us)
    grid.columns(KEY, 0, 4 * PIECE - 1, 20)
    assert merged == [PIECE]


def test_a_dense_frame_draws_columns_and_reads_nothing_on_the_ui_thread(qtbot, engine, clock, monkeypatch) -> None:
    """A day of a 1-second task at a day's zoom: the aggregates are read on another
    thread; once they landed, a repaint derives nothing and draws a handful of columns."""
    add_busy_task(engine.store, clock.now(), 86_400, kind=Kind.DEFERRED)
    read_on: set[int] = set()
    read = RunReads.run_buckets

    def recorded(self, *args, **kwargs):
        read_on.add(threading.get_ident())
        return read(self, *args, **kwargs)

    monkeypatch.setattr(RunReads, "run_buckets", recorded)
    timeline = Timeline(engine)
    timeline.expanded.add(Kind.DEFERRED)
    view = TimelineView(timeline)
    view.resize(1000, 260)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    now = timeline.now_us()
    view.set_range(now - 86_400 * S, 86_400 * S, follow=False)
    assert timeline.dense
    qtbot.waitUntil(timeline.density.done, timeout=10_000)
    assert read_on and threading.get_ident() not in read_on
    view.repaint()
    merged: list[int] = []
    merge = DensityGrid._merge
    monkeypatch.setattr(DensityGrid, "_merge", lambda self, row, lo, hi, h: merged.append(lo) or merge(self, row, lo, hi, h))
    grid = timeline.density.grid
    assert grid is not None
    view.repaint()
    assert merged == []
    columns = [c for _h, piece in grid._pieces[task_key(BUSY_ID)].values() for c in piece]
    buckets = len(grid.cells[task_key(BUSY_ID)])
    assert buckets > 500 and len(columns) <= 2 * (buckets // PIECE + 2)  # a few per piece, not one per bucket


def test_a_run_that_ends_repaints_its_bucket(qtbot, engine, runner, clock) -> None:
    add_busy_task(engine.store, clock.now(), 20_000)
    timeline = Timeline(engine)
    now = timeline.now_us()
    timeline.ensure_loaded(now - 20_000 * S, now + 60 * S, 20 * S)
    qtbot.waitUntil(timeline.density.done, timeout=10_000)
    grid = timeline.density.grid
    assert grid is not None
    bucket = now // grid.bucket_us
    before = grid.columns(task_key(BUSY_ID), bucket, bucket, 20)
    assert engine.start_run(engine.task(BUSY_ID, with_runs=False))
    runner.finish(BUSY_ID, Outcome.TIMED_OUT)
    after = grid.columns(task_key(BUSY_ID), bucket, bucket, 20)
    assert after != before and after[-1][4] in ("timed_out", "failed")
