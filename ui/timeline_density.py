"""Per-pixel aggregates for the timeline when a range holds more runs than pixels.

A 1-second task holds 604,800 runs in a week's view, three hundred per pixel column:
reading them as bars costs seconds and draws a barcode. :class:`DensityLoader` reads
instead, in SQL, per task and per pixel-wide bucket, how many runs started there, the
how many did not succeed, the worst outcome and the latest end (``Engine.run_buckets``),
and the painter draws each bucket as a column: successes in their colour, and on top,
as tall as their share but never under two pixels, the rest in the worst outcome's
colour, with the dark top edge a failed bar has (not by colour alone). A 1-second task
at a week's zoom is a band, its failures a line along it. A lane under the window's
search or filters adds up only the tasks they let through (:meth:`DensityGrid.merged_between`).

Buckets are anchored at the epoch, so a pan reuses every bucket already read and
reads only the new edge; a zoom starts a new grid and paints the previous one, scaled,
until the new one covers the view. Reads run in slices on the event loop, each sized to
take a few milliseconds (at most so many runs, adapted to what the last slice took), so no pan,
zoom or tick waits on the database: the view paints what is there and repaints as
slices land.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from engine.model import Kind, Run
from engine.store_reads import OUTCOME_BY_SEVERITY, Bucket

#: A range is drawn from aggregates when it holds at least this many runs per pixel column.
DENSE_RUNS_PER_PIXEL = 2
#: What one slice of reading may take on the event loop (a frame is 16 ms).
SLICE_TARGET_MS = 6.0

RowKey = tuple[str, str]
#: [runs, runs that did not succeed, worst outcome (index in OUTCOME_BY_SEVERITY), latest end in µs]
Cell = list[int]


class DensityGrid:
    """Buckets of ``bucket_us`` per row, read for buckets [lo, hi)."""

    __slots__ = ("bucket_us", "lo", "hi", "want_lo", "want_hi", "cells", "_sorted")

    def __init__(self, bucket_us: int, first: int) -> None:
        self.bucket_us = bucket_us
        self.lo = self.hi = self.want_lo = self.want_hi = first
        self.cells: dict[RowKey, dict[int, Cell]] = {}
        self._sorted: dict[RowKey, list[int]] = {}

    def covers(self, b1: int, b2: int) -> bool:
        return self.lo <= b1 and b2 <= self.hi

    def add(self, key: RowKey, bucket: int, count: int, bad: int, severity: int, end_us: int) -> None:
        row = self.cells.setdefault(key, {})
        cell = row.get(bucket)
        if cell is None:
            row[bucket] = [count, bad, severity, end_us]
            self._sorted.pop(key, None)
        else:
            cell[0] += count
            cell[1] += bad
            cell[2] = max(cell[2], severity)
            cell[3] = max(cell[3], end_us)

    def merged_between(self, keys: list[RowKey], b1: int, b2: int) -> list[tuple[int, Cell]]:
        """The buckets in [b1, b2] of several rows added together, in order: a lane made of
        only the tasks a filter lets through (its own aggregate holds them all)."""
        merged: dict[int, Cell] = {}
        for key in keys:
            for bucket, (count, bad, severity, end_us) in self.between(key, b1, b2):
                cell = merged.get(bucket)
                if cell is None:
                    merged[bucket] = [count, bad, severity, end_us]
                else:
                    cell[0] += count
                    cell[1] += bad
                    cell[2] = max(cell[2], severity)
                    cell[3] = max(cell[3], end_us)
        return sorted(merged.items())

    def between(self, key: RowKey, b1: int, b2: int) -> list[tuple[int, Cell]]:
        """The row's buckets in [b1, b2], in order."""
        row = self.cells.get(key)
        if not row:
            return []
        order = self._sorted.get(key)
        if order is None:
            order = self._sorted[key] = sorted(row)
        lo, hi = bisect_left(order, b1), bisect_right(order, b2)
        return [(b, row[b]) for b in order[lo:hi]]


class DensityLoader(QObject):
    """Keeps a :class:`DensityGrid` for the view's pixel width, read in slices."""

    changed = Signal()

    def __init__(self, read_buckets: Callable[..., tuple[list[Bucket], int]],
                 kind_of: Callable[[str], Kind], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read = read_buckets
        self._kind_of = kind_of
        self.grid: DensityGrid | None = None
        self.stale: DensityGrid | None = None  # the previous zoom's, painted until the new one covers
        self.slice_runs = 5_000  # grows or shrinks to SLICE_TARGET_MS from the first slice on
        self.slice_ms: list[float] = []  # what each slice took (the benchmark reads it)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.read_slice)

    def want(self, start_us: int, end_us: int, bucket_us: int) -> None:
        """The view shows [start, end] at ``bucket_us`` per pixel: read its buckets (and
        half a view each side, for pans), nearest the view first."""
        bucket_us = max(1, int(bucket_us))
        b1, b2 = start_us // bucket_us, end_us // bucket_us + 1
        margin = (b2 - b1) // 2
        grid = self.grid
        if grid is None or grid.bucket_us != bucket_us or grid.hi < b1 - margin or grid.lo > b2 + margin:
            if grid is not None and grid.hi > grid.lo:
                self.stale = grid
            grid = self.grid = DensityGrid(bucket_us, b1)
        grid.want_lo = min(grid.want_lo, b1 - margin)
        grid.want_hi = max(grid.want_hi, b2 + margin)
        if not self.done() and not self._timer.isActive():
            self._timer.start()

    def done(self) -> bool:
        grid = self.grid
        return grid is None or (grid.lo <= grid.want_lo and grid.hi >= grid.want_hi)

    def read_slice(self) -> None:
        """Read the next slice of buckets: rightwards from the view's start first (the view,
        then the right margin), then leftwards (the left margin)."""
        grid = self.grid
        if grid is None or self.done():
            return
        began = time.perf_counter()
        bucket_us = grid.bucket_us
        forward = grid.hi < grid.want_hi
        first, last = (grid.hi, grid.want_hi) if forward else (grid.want_lo, grid.lo)
        buckets, complete_us = self._read(first * bucket_us, last * bucket_us, bucket_us,
                                          limit=self.slice_runs, backwards=not forward)
        if forward:
            grid.hi = max(grid.hi + 1, complete_us // bucket_us)
        else:
            grid.lo = min(grid.lo - 1, complete_us // bucket_us)
        runs = 0
        for task_id, bucket, count, bad, severity, end_us in buckets:
            runs += count
            grid.add(("task", task_id), bucket, count, bad, severity, end_us)
            grid.add(("lane", self._kind_of(task_id).value), bucket, count, bad, severity, end_us)
        took = (time.perf_counter() - began) * 1000
        self.slice_ms.append(took)
        if runs >= self.slice_runs // 2:  # a full slice: size the next to take SLICE_TARGET_MS
            scale = min(2.0, max(0.5, SLICE_TARGET_MS / max(took, 0.05)))
            self.slice_runs = int(min(200_000, max(1_000, self.slice_runs * scale)))
        if self.done():
            self.stale = None
        else:
            self._timer.start()
        self.changed.emit()

    def add_run(self, run: Run, start_us: int, end_us: int | None) -> None:
        """A run the engine just reported, into its bucket if that bucket was read already
        (a bucket read later will contain it)."""
        grid = self.grid
        if grid is None:
            return
        bucket = start_us // grid.bucket_us
        if not grid.lo <= bucket < grid.hi:
            return
        outcome = run.outcome.value if run.outcome is not None else "running"
        severity = OUTCOME_BY_SEVERITY.index(outcome) if outcome in OUTCOME_BY_SEVERITY else 0
        end = end_us if end_us is not None else start_us
        # A run is counted when it starts; its end only adds how it ended.
        count = 1 if run.ended_at is None else 0
        bad = 1 if run.outcome is not None and run.outcome.value != "succeeded" else 0
        grid.add(("task", run.task_id), bucket, count, bad, severity, end)
        grid.add(("lane", self._kind_of(run.task_id).value), bucket, count, bad, severity, end)

    def drop(self) -> None:
        """Forget every bucket (a task was deleted: its runs are gone)."""
        self._timer.stop()
        self.grid = self.stale = None

    def grids_for(self, start_us: int, end_us: int) -> list[DensityGrid]:
        """The grids to paint for [start, end], the previous zoom's underneath while the
        current one is still being read."""
        grids = []
        if self.stale is not None:
            grids.append(self.stale)
        if self.grid is not None:
            grids.append(self.grid)
        return grids
