"""Schema 11 (engine.schema.migrate_10_to_11): ``runs_open`` is gone, and the runs a
crash left open are found through ``runs_long``, which holds every open run too; each
run's claim and end write one index fewer (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.clock import FakeClock
from engine.model import Kind, Outcome, State, Task, TaskSpec
from engine.schema import SCHEMA_VERSION, migrate_10_to_11
from engine.store import Store
from tests.old_schema import database_at, version_before

BEFORE = version_before(migrate_10_to_11)
HOUR_US = 3_600_000_000


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA index_list(runs)")}


def _plan(conn: sqlite3.Connection, sql: str) -> str:
    return " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))


def test_a_version_10_database_loses_runs_open_and_keeps_its_open_runs(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    conn = database_at(path, BEFORE)
    assert "runs_open" in _indexes(conn)
    t0 = 1_800_000_000_000_000
    runs = [  # (task, start, end): ended, open, open for hours, ended after two hours
        ("a", t0, t0 + 1_000), ("b", t0 + 10, None), ("c", t0 - 3 * HOUR_US, None), ("d", t0 - 3 * HOUR_US, t0),
    ]
    conn.executemany("INSERT INTO runs (task_id, attempt, started_at, ended_at) VALUES (?, 1, ?, ?)", runs)
    conn.close()
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert "runs_open" not in _indexes(store.conn)
        assert [(r.task_id, r.ended_at) for r in store.open_runs()] == [("b", None), ("c", None)]
    finally:
        store.close()


def test_open_runs_are_read_through_runs_long_its_only_index_of_open_runs(store: Store, clock: FakeClock) -> None:
    """runs_long is the one index a run enters when it is claimed and leaves when it
    ends, and the open runs are read through it (no walk over the history)."""
    partial = [row[0] for row in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql LIKE '%ended_at IS NULL%'")]
    assert partial == ["runs_long"]
    task = Task(id="t", spec=TaskSpec("shell", ("true",), kind=Kind.DEFERRED), state=State.RUNNING,
                created_at=clock.now())
    with store.transaction():
        store.insert_task(task)
        run_id = store.start_run(task.id, 1, clock.now_us())
    assert [r.id for r in store.open_runs()] == [run_id]
    traced: list[str] = []
    store.conn.set_trace_callback(traced.append)
    try:
        store.open_runs()
    finally:
        store.conn.set_trace_callback(None)
    (query,) = traced
    assert "USING INDEX runs_long" in _plan(store.conn, query)  # a walk of the open and long runs alone
    with store.transaction():
        store.close_run(run_id, clock.now_us() + 5, Outcome.SUCCEEDED, exit_code=0)
    assert store.open_runs() == []
