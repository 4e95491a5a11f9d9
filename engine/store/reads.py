"""The store's reads that are bounded by what a view shows, not by what is stored.

A periodic task records a run every period for years (``--every 1s``: 31.5 million a
year), so every read here costs what the window draws: one page of a task's runs
(keyset pagination on the runs_task index), one indexed range of the timeline, or
per-pixel aggregates computed in SQL when a range holds more runs than pixels.
:class:`RunReads` is mixed into :class:`engine.store.Store`; it uses the store's
connection and its one decoder of a run row (engine.store.runs).
"""

from __future__ import annotations

import sqlite3

from engine.model import Outcome, Run
from engine.store.runs import RUN_COLUMNS

#: Runs that lasted longer than this (or are still open) are found through the small
#: runs_long index; every other run overlapping a range started at most this long
#: before it (schema.migrate_5_to_6 names the same number).
LONG_RUN_US = 3_600_000_000

#: Outcomes from least to most severe: when runs share a pixel, the worst one shows
#: (failures never hide behind successes). "running" is a run with no outcome yet.
OUTCOME_BY_SEVERITY: tuple[str, ...] = ("running", "succeeded", "cancelled", "interrupted", "timed_out", "failed")

_SEVERITY_SQL = (
    "CASE outcome " + " ".join(f"WHEN '{o}' THEN {i}" for i, o in enumerate(OUTCOME_BY_SEVERITY) if i) + " ELSE 0 END"
)

#: (task id, bucket, runs in it, runs in it that did not succeed (nor still run), worst
#: outcome's index in OUTCOME_BY_SEVERITY, latest end in µs).
Bucket = tuple[str, int, int, int, int, int]


class RunReads:
    """Bounded reads of runs. Needs ``self.conn``, the store's connection."""

    conn: sqlite3.Connection

    def runs_page(self, task_id: str, *, before_id: int | None = None, limit: int = 100) -> list[Run]:
        """Up to ``limit`` of the task's runs, newest first, older than run ``before_id``
        if given: the details pane's fetch-on-scroll. One seek in runs_task per page,
        whatever the length of the history."""
        from engine.store import run_from_row  # at call time: see engine.store.runs

        if before_id is None:
            rows = self.conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT ?", (task_id, limit)
            )
        else:
            rows = self.conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs WHERE task_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (task_id, before_id, limit),
            )
        return [run_from_row(r) for r in rows]

    def last_outcomes(self) -> dict[str, Outcome]:
        """Each task's latest outcome (the task table's column): one seek per task at the
        end of its runs in runs_task, not a read of its history."""
        rows = self.conn.execute(
            "SELECT id, (SELECT outcome FROM runs WHERE runs.task_id = tasks.id AND outcome IS NOT NULL "
            "ORDER BY runs.id DESC LIMIT 1) FROM tasks"
        )
        return {task_id: Outcome(outcome) for task_id, outcome in rows if outcome}

    def runs_between(self, start_us: int, end_us: int) -> list[Run]:
        """Runs that overlap [start, end] (open runs count as going on), by start: the
        timeline's range read. Two index ranges: runs that started in the range or at
        most LONG_RUN_US before it (runs_started), and the few long or open runs that
        started earlier (runs_long)."""
        from engine.store import run_from_row  # at call time: see engine.store.runs

        long_or_open = f"(ended_at IS NULL OR ended_at - started_at > {LONG_RUN_US})"
        rows = self.conn.execute(
            f"SELECT {RUN_COLUMNS} FROM runs INDEXED BY runs_started WHERE started_at BETWEEN ? AND ? "
            "AND (ended_at IS NULL OR ended_at >= ?) "
            f"UNION ALL SELECT {RUN_COLUMNS} FROM runs INDEXED BY runs_long WHERE {long_or_open} "
            "AND started_at < ? AND (ended_at IS NULL OR ended_at >= ?) ORDER BY started_at, id",
            (start_us - LONG_RUN_US, end_us, start_us, start_us - LONG_RUN_US, start_us),
        )
        return [run_from_row(r) for r in rows]

    def count_runs_started(self, start_us: int, end_us: int, cap: int) -> int:
        """How many runs started in [start, end], counting no further than ``cap``: tells
        a range that fits in pixels from one that must be aggregated, in bounded time."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM runs INDEXED BY runs_started WHERE started_at BETWEEN ? AND ? LIMIT ?)",
            (start_us, end_us, cap),
        ).fetchone()
        return int(row[0])

    def run_buckets(
        self, start_us: int, end_us: int, bucket_us: int, *, limit: int | None = None, backwards: bool = False
    ) -> tuple[list[Bucket], int]:
        """Per task, the runs that started in [start, end) grouped in buckets of
        ``bucket_us`` (bucket n covers [n * bucket_us, (n + 1) * bucket_us), anchored at
        the epoch, so a pan reuses them): how many, how many did not succeed, the worst
        outcome, the latest end. Reads index pages of runs_started only.

        ``limit`` bounds the runs one call aggregates (from ``start`` on, or from ``end``
        back if ``backwards``), so a caller can read a dense range in slices of bounded
        cost. Returns the buckets and the instant up to which (backwards: from which)
        they are complete, where the next slice starts: ``end`` (``start``) when the
        limit was not reached."""
        bucket_us = max(1, int(bucket_us))
        rows = self._bucket_rows(start_us, end_us, bucket_us, limit, backwards)
        if limit is None or sum(r[2] for r in rows) < limit:
            return rows, start_us if backwards else end_us
        # The limit cut the last bucket reached: leave it to the next slice, unless it
        # is the only one (more runs in one pixel than the limit): then read it whole.
        edge = min(r[1] for r in rows) if backwards else max(r[1] for r in rows)
        if backwards and (edge + 1) * bucket_us >= end_us:
            rows = self._bucket_rows(edge * bucket_us, end_us, bucket_us, None, True)
            return rows, max(start_us, edge * bucket_us)
        if not backwards and edge * bucket_us <= start_us:
            rows = self._bucket_rows(start_us, (edge + 1) * bucket_us, bucket_us, None, False)
            return rows, min(end_us, (edge + 1) * bucket_us)
        complete = [r for r in rows if r[1] != edge]
        return complete, (edge + 1) * bucket_us if backwards else edge * bucket_us

    def _bucket_rows(
        self, start_us: int, end_us: int, bucket_us: int, limit: int | None, backwards: bool
    ) -> list[Bucket]:
        order = "DESC" if backwards else "ASC"
        rows = self.conn.execute(
            f"SELECT task_id, started_at / ?1 AS b, COUNT(*), SUM(outcome IS NOT NULL AND outcome != 'succeeded'), "
            f"MAX({_SEVERITY_SQL}), MAX(COALESCE(ended_at, started_at)) FROM ("
            "SELECT task_id, started_at, ended_at, outcome FROM runs INDEXED BY runs_started "
            f"WHERE started_at >= ?2 AND started_at < ?3 ORDER BY started_at {order} LIMIT ?4"
            ") GROUP BY task_id, b",
            (bucket_us, start_us, end_us, -1 if limit is None else limit),
        )
        return [(t, int(b), int(n), int(bad), int(s), int(e)) for t, b, n, bad, s, e in rows]
