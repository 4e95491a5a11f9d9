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
until the new one covers the view. Reads run in slices on a pool thread with a
connection of their own (:mod:`engine.history.bucket_reads`), each sized to take about
SLICE_TARGET_MS there, so no pan, zoom or tick waits on the database, however cold its
pages: the view paints what is there and repaints as slices land.

Painting walks columns, not buckets: a row's buckets are merged, once per change, into
the columns the painter draws (neighbours drawn alike become one), kept per piece of
PIECE buckets, so a frame costs a few rectangles per row and a landed slice or a new
run re-derives only the pieces it touched. (A frame that walked every bucket in Python
cost 15-18 ms at a week's zoom, the whole frame budget.)

A run that starts or ends while the slice covering its bucket is being read may be
missing from that bucket (the read's snapshot predates it) until the bucket is read
again at the next zoom.
"""

from __future__ import annotations

import time
from typing import Any
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Signal

from engine.history.bucket_reads import BucketReads, BucketRequest, BucketResult
from engine.model import Kind, Run
from engine.store.reads import OUTCOME_BY_SEVERITY
from ui.timeline.bars import RowKey

#: A range is drawn from aggregates when it holds at least this many runs per pixel column.
DENSE_RUNS_PER_PIXEL = 2
#: What one slice of reading should take on its thread: long enough that a week's
#: view is a few slices, short enough that a new zoom's first slice starts soon.
SLICE_TARGET_MS = 20.0
#: Buckets per cached piece of a row's picture (see DensityGrid.columns).
PIECE = 256
#: Failed and timed-out bars (and columns) carry a dark top edge this high: they differ
#: in grayscale too (ui.timeline.paint draws it).
MARK_HEIGHT = 3
MARKED_OUTCOMES = ("failed", "timed_out")

#: [runs, runs that did not succeed, worst outcome (index in OUTCOME_BY_SEVERITY), latest end in µs]
Cell = list[int]
#: What the painter draws for a run of neighbouring buckets drawn alike: (first bucket,
#: end in µs, base outcome, height of the top part in px, top outcome).
Column = tuple[int, int, str, int, str]


class DensityGrid:
    """Buckets of ``bucket_us`` per row, read for buckets [lo, hi)."""

    __slots__ = ("bucket_us", "lo", "hi", "want_lo", "want_hi", "cells", "_sorted", "_pieces")

    def __init__(self, bucket_us: int, first: int) -> None:
        self.bucket_us = bucket_us
        self.lo = self.hi = self.want_lo = self.want_hi = first
        self.cells: dict[RowKey, dict[int, Cell]] = {}
        self._sorted: dict[RowKey, list[int]] = {}
        #: Per row, per piece (bucket // PIECE): (row height, its columns).
        self._pieces: dict[RowKey, dict[int, tuple[int, list[Column]]]] = {}

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
        pieces = self._pieces.get(key)
        if pieces:
            pieces.pop(bucket // PIECE, None)

    def columns(self, key: RowKey, b1: int, b2: int, h: int) -> list[Column]:
        """What to draw for the row's buckets in [b1, b2] (and the rest of the pieces
        holding them) in a row ``h`` pixels high, derived once per change of a piece."""
        row = self.cells.get(key)
        if not row:
            return []
        pieces = self._pieces.setdefault(key, {})
        out: list[Column] = []
        for piece in range(b1 // PIECE, b2 // PIECE + 1):
            cached = pieces.get(piece)
            if cached is None or cached[0] != h:
                cached = pieces[piece] = (h, self._merge(row, piece * PIECE, (piece + 1) * PIECE, h))
            out.extend(cached[1])
        return out

    def _merge(self, row: dict[int, Cell], lo: int, hi: int, h: int) -> list[Column]:
        order = range(lo, hi) if len(row) > PIECE else sorted(b for b in row if lo <= b < hi)
        return self.columns_of(((b, row[b]) for b in order if b in row), h)

    def columns_of(self, cells: Iterable[tuple[int, Cell]], h: int) -> list[Column]:
        """Per bucket (in order): the successes in their colour and on top, by their share
        but at least 2 px (a failure's colour stays visible under its dark edge), the
        rest in the worst outcome's colour; neighbours drawn alike (less than a bucket
        apart) merge into one column."""
        bucket_us = self.bucket_us
        out: list[Column] = []
        current: list[Any] = []  # the column being merged, as a list
        for bucket, (count, bad, severity, last_end) in cells:
            worst = OUTCOME_BY_SEVERITY[severity]
            if 0 < bad < count:
                least = 2 + (MARK_HEIGHT if worst in MARKED_OUTCOMES else 0)
                base, top = "succeeded", min(h, max(least, round(h * bad / count)))
            else:  # all alike: all succeeded (or running), or none did
                base, top = worst, 0
            end = max(last_end, (bucket + 1) * bucket_us)
            if current and bucket * bucket_us <= current[1] + bucket_us and current[2:] == [base, top, worst]:
                current[1] = max(current[1], end)
                continue
            if current:
                out.append((current[0], current[1], current[2], current[3], current[4]))
            current = [bucket, end, base, top, worst]
        if current:
            out.append((current[0], current[1], current[2], current[3], current[4]))
        return out

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
    """Keeps a :class:`DensityGrid` for the view's pixel width, read in slices off the
    UI thread (:class:`engine.history.bucket_reads.BucketReads`)."""

    changed = Signal()

    def __init__(self, make_reads: Callable[[QObject], BucketReads],
                 kind_of: Callable[[str], Kind], parent: QObject | None = None) -> None:
        """``make_reads(parent)``: the engine's reader of per-pixel aggregates."""
        super().__init__(parent)
        self._reads = make_reads(self)
        self._reads.landed.connect(self._on_landed)
        self._kind_of = kind_of
        self.grid: DensityGrid | None = None
        self.stale: DensityGrid | None = None  # the previous zoom's, painted until the new one covers
        self.slice_runs = 20_000  # grows or shrinks to SLICE_TARGET_MS from the first slice on
        self.slice_ms: list[float] = []  # UI-thread time to take in each slice (the benchmark reads it)
        self.read_ms: list[float] = []  # each slice's read, on its thread
        self._asked: BucketRequest | None = None  # the latest slice asked for, not landed yet

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
        self._ask()

    def done(self) -> bool:
        grid = self.grid
        return grid is None or (grid.lo <= grid.want_lo and grid.hi >= grid.want_hi)

    def _ask(self) -> None:
        """Ask for the grid's next slice: rightwards from the view's start first (the
        view, then the right margin), then leftwards (the left margin). A slice of this
        grid already asked for asks for the next when it lands."""
        grid = self.grid
        if grid is None or self.done():
            self._reads.cancel_waiting()
            return
        if self._asked is not None and self._asked.token is grid:
            return
        forward = grid.hi < grid.want_hi
        first, last = (grid.hi, grid.want_hi) if forward else (grid.want_lo, grid.lo)
        bucket_us = grid.bucket_us
        self._asked = BucketRequest(first * bucket_us, last * bucket_us, bucket_us, self.slice_runs,
                                    not forward, grid)
        self._reads.read(self._asked)

    def _on_landed(self, result: BucketResult) -> None:
        began = time.perf_counter()
        request = result.request
        if request is self._asked:
            self._asked = None
        grid = request.token
        if result.error is not None:
            return  # read again on the next want, not in a loop
        bucket_us = grid.bucket_us
        # Taken in only where it continues the grid: a slice of an older grid, or one
        # read twice, would count its runs twice.
        if grid is not self.grid or (request.start_us != grid.hi * bucket_us if not request.backwards
                                     else request.end_us != grid.lo * bucket_us):
            self._ask()
            return
        if request.backwards:
            grid.lo = min(grid.lo - 1, result.complete_us // bucket_us)
        else:
            grid.hi = max(grid.hi + 1, result.complete_us // bucket_us)
        runs = 0
        kind_of = self._kind_of
        for task_id, bucket, count, bad, severity, end_us in result.buckets:
            runs += count
            grid.add(("task", task_id), bucket, count, bad, severity, end_us)
            grid.add(("lane", kind_of(task_id).value), bucket, count, bad, severity, end_us)
        self.read_ms.append(result.read_ms)
        if runs >= self.slice_runs // 2:  # a full slice: size the next to take SLICE_TARGET_MS
            scale = min(2.0, max(0.5, SLICE_TARGET_MS / max(result.read_ms, 0.05)))
            self.slice_runs = int(min(500_000, max(2_000, self.slice_runs * scale)))
        if self.done():
            self.stale = None
        else:
            self._ask()
        self.slice_ms.append((time.perf_counter() - began) * 1000)
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
        self._reads.cancel_waiting()
        self._asked = None  # a slice in flight lands for a grid that is gone
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
