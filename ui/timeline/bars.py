"""The timeline's bars and the per-row indexes that hold them.

A :class:`Bar` is one run as drawn; a :class:`Row` is a lane (all tasks of a kind) or
one task inside an open lane, named by its :data:`RowKey`. Each row keeps a
:class:`RowIndex`: its finished bars sorted by start (a paint bisects, then slices),
the running ones, the missed alarms, the late starts, and a :class:`Strip`, the
finished bars merged on a pixel grid, which is what the painter draws.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from engine.clock import to_us
from engine.model import Kind, Run, StopReason

#: The narrowest bar drawn, in pixels: a 1-second failure in an hour's view can be seen and hovered.
MIN_BAR_PX = 3

#: A wait shorter than this (the dispatcher's own latency) is not drawn as queued time.
QUEUED_MIN_US = 1_000_000

#: A row is either a lane (all tasks of a kind) or one task inside an open lane.
RowKey = tuple[str, str]  # ("lane", kind value) | ("task", task id)


def lane_key(kind: Kind) -> RowKey:
    return ("lane", kind.value)


def task_key(task_id: str) -> RowKey:
    return ("task", task_id)


class Bar:
    """One run as drawn. Mutable: a running bar gets its end when the run finishes."""

    __slots__ = ("run_id", "task_id", "start", "end", "color", "missed", "run", "queued_from")

    def __init__(self, run: Run) -> None:
        self.run_id = run.id
        self.task_id = run.task_id
        self.update(run)

    def update(self, run: Run) -> None:
        self.run = run
        self.missed = run.stop_reason is StopReason.MISSED
        # A missed alarm is drawn at the instant it was due, not when it was noticed.
        start = run.due_at if self.missed and run.due_at else run.started_at
        self.start = to_us(start)
        self.end = to_us(run.ended_at) if run.ended_at is not None else None
        self.color = "missed" if self.missed else (run.outcome.value if run.outcome else "running")
        #: It started after it was due: the wait (due -> start) is drawn as queued time.
        due = to_us(run.due_at) if run.due_at is not None and not self.missed else None
        self.queued_from = due if due is not None and due <= self.start - QUEUED_MIN_US else None


@dataclass(frozen=True)
class Row:
    key: RowKey
    label: str
    kind: Kind
    task_id: str | None = None

    @property
    def is_lane(self) -> bool:
        return self.task_id is None


#: Which outcome shows when several share a pixel: failures must never hide behind successes.
PRIORITY = {"failed": 5, "timed_out": 4, "interrupted": 3, "cancelled": 2, "succeeded": 1, "running": 0}


class Strip:
    """One row's finished bars merged on a pixel grid (``px`` µs per pixel, anchored at the
    epoch, so panning by whole or partial pixels keeps it valid; only zoom rebuilds it).

    ``rects`` are ``[g1, g2, colour]`` in grid pixels, sorted by ``g1``, never overlapping:
    a bar hidden inside pixels already drawn is skipped (unless it is a failure among
    successes), so a paint draws at most one rectangle per pixel column per row, however
    many runs fall there.
    """

    __slots__ = ("px", "g1", "rects", "consumed", "max_len")

    def __init__(self, px: float) -> None:
        self.px = px
        self.g1: list[int] = []
        self.rects: list[list] = []  # type: ignore[type-arg]
        self.consumed = 0
        self.max_len = 0

    def extend(self, bars: list[Bar]) -> None:
        px = self.px
        rects, g1s = self.rects, self.g1
        cur = rects[-1] if rects else None
        max_len = self.max_len
        for bar in bars[self.consumed:]:
            if bar.missed:
                continue
            x1 = int(bar.start // px)
            x2 = int(bar.end // px)  # type: ignore[operator]
            if x2 < x1 + MIN_BAR_PX:
                x2 = x1 + MIN_BAR_PX  # a run of any length stays visible and hoverable
            color = bar.color
            if cur is not None and x1 <= cur[1] + 1:
                if color == cur[2]:  # touching or a pixel apart: one rectangle
                    if x2 > cur[1]:
                        cur[1] = x2
                    continue
            if cur is not None and x1 <= cur[1]:
                if color == cur[2]:
                    if x2 > cur[1]:
                        cur[1] = x2
                    continue
                if x2 <= cur[1]:  # hidden in pixels already drawn
                    if PRIORITY.get(color, 0) > PRIORITY.get(cur[2], 0) and cur[1] - x2 <= 2:
                        if x1 > cur[0]:
                            cur[1] = x1
                            cur = [x1, x2, color]
                            rects.append(cur)
                            g1s.append(x1)
                        else:
                            cur[2] = color
                    continue
                x1 = cur[1]
            if cur is not None and cur[1] - cur[0] > max_len:
                max_len = cur[1] - cur[0]
            cur = [x1, x2, color]
            rects.append(cur)
            g1s.append(x1)
        self.consumed = len(bars)
        self.max_len = max_len

    def visible(self, g_start: float, g_end: float) -> list[list]:  # type: ignore[type-arg]
        last_len = self.rects[-1][1] - self.rects[-1][0] if self.rects else 0
        lo = bisect_left(self.g1, g_start - max(self.max_len, last_len) - 1)
        hi = bisect_right(self.g1, g_end)
        return self.rects[lo:hi]


class RowIndex:
    """Finished bars sorted by start (parallel ``starts`` for bisect), the running ones,
    the missed alarms, and the pixel strip the painter draws from."""

    __slots__ = ("starts", "bars", "max_duration", "running", "missed", "late", "late_starts", "max_wait",
                 "_strip", "_dirty")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.bars: list[Bar] = []
        self.max_duration = 0
        self.running: dict[int, Bar] = {}
        self.missed: list[Bar] = []
        #: Runs that started after their due time, by start (few: only late starts).
        self.late: list[Bar] = []
        self.late_starts: list[int] = []
        self.max_wait = 0
        self._strip: Strip | None = None
        self._dirty = False

    def add(self, bar: Bar) -> None:
        if bar.queued_from is not None and bar.run_id not in self.running:  # first seen
            i = bisect_right(self.late_starts, bar.start)
            self.late.insert(i, bar)
            self.late_starts.insert(i, bar.start)
            self.max_wait = max(self.max_wait, bar.start - bar.queued_from)
        if bar.end is None:
            self.running[bar.run_id] = bar
            return
        self.running.pop(bar.run_id, None)
        # Runs mostly arrive in start order: appending is the common case, and the
        # strip then extends instead of being rebuilt.
        i = bisect_right(self.starts, bar.start)
        if i < len(self.starts):
            self._dirty = True
        self.starts.insert(i, bar.start)
        self.bars.insert(i, bar)
        self.max_duration = max(self.max_duration, bar.end - bar.start)
        if bar.missed:
            self.missed.insert(bisect_right([b.start for b in self.missed], bar.start), bar)

    def discard(self, run_ids: set[int]) -> None:
        """Drop these runs' bars (their task was deleted): rare, so a plain rebuild."""
        for run_id in run_ids:
            self.running.pop(run_id, None)
        kept = [b for b in self.bars if b.run_id not in run_ids]
        if len(kept) != len(self.bars):
            self.bars = kept
            self.starts = [b.start for b in kept]
            self.max_duration = max((b.end - b.start for b in kept if b.end is not None), default=0)
            self._strip = None
        self.missed = [b for b in self.missed if b.run_id not in run_ids]
        self.late = [b for b in self.late if b.run_id not in run_ids]
        self.late_starts = [b.start for b in self.late]

    def between(self, start: int, end: int) -> list[Bar]:
        lo = bisect_left(self.starts, start - self.max_duration)
        hi = bisect_right(self.starts, end)
        return self.bars[lo:hi]

    def strip(self, px: float) -> Strip:
        strip = self._strip
        if strip is None or strip.px != px or self._dirty:
            strip = self._strip = Strip(px)
            self._dirty = False
        if strip.consumed < len(self.bars):
            strip.extend(self.bars)
        return strip

