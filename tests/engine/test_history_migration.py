"""Today's schema (before the history migration) upgrades in place, counters included."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from engine.history import prune
from engine.history.policy import RetentionPolicy, load_policy
from engine.model import Outcome
from engine.schema import SCHEMA_VERSION, migrate_5_to_6
from engine.store import Store
from tests.old_schema import database_at, version_before

#: The version the history migration starts from (the lead may renumber it).
BEFORE = version_before(migrate_5_to_6)


def old_database(path: Path, runs_per_task: dict[str, list[str | None]]) -> None:
    """A database as the previous schema wrote it: main's migrations, rows by raw SQL."""
    conn = database_at(path, BEFORE)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    run_id = 0
    for n, (task_id, outcomes) in enumerate(runs_per_task.items()):
        conn.execute(
            "INSERT INTO tasks (id, kind, worker, state, created_at, updated_at, attempts, spec) "
            "VALUES (?, 'deferred', 'shell', 'enqueued', ?, ?, 0, ?)",
            (task_id, n, n, json.dumps({"worker": "shell", "args": ["true"], "kind": "deferred"})),
        )
        for outcome in outcomes:
            run_id += 1
            conn.execute(
                "INSERT INTO runs (id, task_id, attempt, started_at, ended_at, outcome) VALUES (?, ?, 1, ?, ?, ?)",
                (run_id, task_id, run_id * 10, None if outcome is None else run_id * 10 + 5, outcome),
            )
            conn.execute("INSERT INTO output (run_id, text) VALUES (?, 'out')", (run_id,))
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    conn.close()


def test_an_old_database_upgrades_in_place_with_its_counters(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "old.db"
    many = ["succeeded", "failed", "succeeded", "timed_out", "interrupted", "succeeded"] * 1000
    old_database(path, {"a": many, "b": ["failed", "succeeded", None], "c": []})
    with caplog.at_level(logging.INFO, logger="engine.history.counters"):
        store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    a, b, c = (store.task(t, with_runs=False).totals for t in "abc")
    assert (a.total, a.succeeded, a.failed, a.last_outcome) == (6000, 3000, 2000, Outcome.SUCCEEDED)
    assert a.last_failure_run == 5998  # the newest timed-out run
    assert (b.total, b.succeeded, b.failed, b.last_outcome, b.last_failure_run) == (2, 1, 1, Outcome.SUCCEEDED, 6001)
    assert (c.total, c.last_outcome) == (0, None)
    assert load_policy(store.conn) == RetentionPolicy()  # the settings table, at the defaults
    assert any("counted runs: 100%" in r.getMessage() for r in caplog.records)  # progress in the log
    assert len(store.runs("a")) == 6000  # nothing lost
    store.close()


def test_the_counters_are_counted_in_bounded_ranges(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from engine.history import counters

    path = tmp_path / "old.db"
    old_database(path, {"a": ["succeeded"] * 50, "b": ["failed"] * 30, "a2": ["succeeded", "failed"] * 10})
    conn = sqlite3.connect(path, isolation_level=None)
    counters.add_columns(conn)
    with caplog.at_level(logging.INFO, logger="engine.history.counters"):
        counters.backfill(conn, step=7)  # ranges smaller than one task's runs: sums across them
    rows = conn.execute("SELECT id, runs_total, runs_succeeded, runs_failed FROM tasks ORDER BY id").fetchall()
    assert rows == [("a", 50, 50, 0), ("a2", 20, 10, 10), ("b", 30, 0, 30)]
    assert sum("counted runs" in r.getMessage() for r in caplog.records) == 15  # 100 run ids / 7
    conn.close()


def test_an_old_file_switches_to_incremental_vacuum_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_database(path, {"a": ["succeeded"] * 2000})
    store = Store(path)
    assert prune.auto_vacuum_mode(store.conn) == 0  # the migration cannot VACUUM inside its transaction
    said: list[str] = []
    assert prune.switch_to_incremental_vacuum(store.conn, store.path, said.append)
    assert prune.auto_vacuum_mode(store.conn) == 2
    assert not prune.switch_to_incremental_vacuum(store.conn, store.path, said.append)  # once
    assert said[0].startswith(f"switching {path} to incremental vacuum") and "done in" in said[-1]
    assert len(store.runs("a")) == 2000
    store.close()
