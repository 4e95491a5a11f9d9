"""Per-task run counters, kept on the task's row as each run ends.

``show``, ``list`` and the window read them instead of counting runs, so they cost one
row however long the history, and they stay true after old runs are pruned. The
store calls :func:`count_run_end` in the transaction that ends a run; the schema's
migration calls :func:`add_columns` and :func:`backfill` once.

Columns on ``tasks`` (read into :class:`engine.model.RunTotals`):
``runs_total``, ``runs_succeeded``, ``runs_failed`` (failed or timed out),
``last_outcome``, ``last_ended_at`` (microseconds), ``last_failure_run`` (a run id).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from engine.clock import from_us
from engine.model import NO_RUNS, Outcome, RunTotals

log = logging.getLogger(__name__)

COLUMNS = "runs_total, runs_succeeded, runs_failed, last_outcome, last_ended_at, last_failure_run"
_FAILURES = ("failed", "timed_out")
#: Runs counted per statement while back-filling: each range is a short sequential read.
BACKFILL_RANGE = 250_000

#: The counting of one ended run (:outcome, :ended_at, :run_id), as SET clauses: its own
#: UPDATE (:func:`count_run_end`) or part of the end's move of the task
#: (engine.store.tasks.TaskRecords.move: one statement fewer a run).
COUNT_SET = (
    "runs_total = runs_total + 1, runs_succeeded = runs_succeeded + (:outcome = 'succeeded'), "
    "runs_failed = runs_failed + (:outcome IN ('failed', 'timed_out')), last_outcome = :outcome, "
    "last_ended_at = :ended_at, "
    "last_failure_run = CASE WHEN :outcome IN ('failed', 'timed_out') THEN :run_id ELSE last_failure_run END"
)
_COUNT = "UPDATE tasks SET " + COUNT_SET + " "
_RETURNING = " RETURNING " + COLUMNS
#: UPDATE ... RETURNING came in SQLite 3.35 (2021): a Python 3.11 built on an older
#: system library (Ubuntu 20.04's 3.31) reads the row back instead.
HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


def count_run_end(conn: sqlite3.Connection, run_id: int, outcome: Outcome, ended_at: int,
                  task_id: str | None = None) -> RunTotals:
    """Count one run that just ended. Inside the transaction that ended it. Returns the
    task's counters with it counted (from the same statement: no second read)."""
    returning = _RETURNING if HAS_RETURNING else ""
    params = {"outcome": outcome.value, "ended_at": ended_at, "run_id": run_id, "task_id": task_id}
    if task_id is not None:
        rows = conn.execute(_COUNT + "WHERE id = :task_id" + returning, params)
    else:
        rows = conn.execute(_COUNT + "WHERE id = (SELECT task_id FROM runs WHERE id = :run_id)" + returning, params)
    if not HAS_RETURNING:
        return read_totals(conn, task_id) if task_id is not None else _totals_of_run(conn, run_id)
    counted = rows.fetchall()  # all: a statement left open would hold up the COMMIT
    return totals_from_row(counted[0]) if counted else NO_RUNS


def _totals_of_run(conn: sqlite3.Connection, run_id: int) -> RunTotals:
    row = conn.execute(f"SELECT {COLUMNS} FROM tasks WHERE id = (SELECT task_id FROM runs WHERE id = ?)",
                       (run_id,)).fetchone()
    return totals_from_row(row) if row is not None else NO_RUNS


def totals_from_row(values: Sequence[Any]) -> RunTotals:
    total, succeeded, failed, last_outcome, last_ended_at, last_failure = values
    if not total and last_failure is None:
        return NO_RUNS
    return RunTotals(
        total=total, succeeded=succeeded, failed=failed,
        last_outcome=Outcome(last_outcome) if last_outcome else None,
        last_ended_at=from_us(last_ended_at) if last_ended_at is not None else None,
        last_failure_run=last_failure,
    )


def read_totals(conn: sqlite3.Connection, task_id: str) -> RunTotals:
    """A task's counters as stored now (one row); none for a task that is gone."""
    row = conn.execute(f"SELECT {COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return totals_from_row(row) if row is not None else NO_RUNS


def totals_json(totals: RunTotals) -> dict[str, Any]:
    from engine.clock import iso

    return {
        "runs": totals.total,
        "succeeded": totals.succeeded,
        "failed": totals.failed,
        "last_outcome": totals.last_outcome.value if totals.last_outcome is not None else None,
        "last_ended_at": iso(totals.last_ended_at),
    }


def add_columns(conn: sqlite3.Connection) -> None:
    for column, decl in (
        ("runs_total", "INTEGER NOT NULL DEFAULT 0"),
        ("runs_succeeded", "INTEGER NOT NULL DEFAULT 0"),
        ("runs_failed", "INTEGER NOT NULL DEFAULT 0"),
        ("last_outcome", "TEXT"),
        ("last_ended_at", "INTEGER"),
        ("last_failure_run", "INTEGER"),
    ):
        conn.execute(f"ALTER TABLE tasks ADD COLUMN {column} {decl}")


def backfill(conn: sqlite3.Connection, *, step: int = BACKFILL_RANGE) -> None:
    """Count every ended run of an existing database once: one sequential pass over
    ``runs`` in rowid ranges (bounded statements, progress in the log), then one
    update per task that has runs."""
    top = conn.execute("SELECT MAX(id) FROM runs").fetchone()[0] or 0
    if not top:
        return
    log.info("counting the runs of every task (%d run ids) for the per-task counters", top)
    started = time.monotonic()
    # task_id -> [total, succeeded, failed, last failure id, last ended id]
    counts: dict[str, list[int]] = {}
    for low in range(0, top, step):
        rows = conn.execute(
            "SELECT task_id, COUNT(*), SUM(outcome = 'succeeded'), SUM(outcome IN ('failed', 'timed_out')), "
            "MAX(CASE WHEN outcome IN ('failed', 'timed_out') THEN id END), MAX(id) "
            "FROM runs WHERE id > ? AND id <= ? AND ended_at IS NOT NULL GROUP BY task_id",
            (low, low + step),
        )
        for task_id, total, succeeded, failed, last_failure, last in rows:
            seen = counts.get(task_id)
            if seen is None:
                counts[task_id] = [total, succeeded, failed, last_failure or 0, last]
            else:
                seen[0] += total
                seen[1] += succeeded
                seen[2] += failed
                seen[3] = max(seen[3], last_failure or 0)
                seen[4] = max(seen[4], last)
        log.info("counted runs: %d%% (%d of %d run ids, %.1f s)", min(100, (low + step) * 100 // top),
                 min(low + step, top), top, time.monotonic() - started)
    for task_id, (total, succeeded, failed, last_failure, last) in counts.items():
        outcome, ended_at = conn.execute("SELECT outcome, ended_at FROM runs WHERE id = ?", (last,)).fetchone()
        conn.execute(
            "UPDATE tasks SET runs_total = ?, runs_succeeded = ?, runs_failed = ?, last_outcome = ?, "
            "last_ended_at = ?, last_failure_run = ? WHERE id = ?",
            (total, succeeded, failed, outcome, ended_at, last_failure or None, task_id),
        )
    log.info("per-task counters ready for %d tasks in %.1f s", len(counts), time.monotonic() - started)
