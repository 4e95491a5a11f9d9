"""The due index (schema 10, engine.schema.migrate_9_to_10): ``tasks_kind_due`` holds
the tasks that wait for their time, serves every due query, and leaves running and
finished tasks out, so a run's claim and end write fewer pages (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock, to_us
from engine.model import Kind, State, Task, TaskSpec
from engine.schema import SCHEMA_VERSION, migrate_9_to_10
from engine.store import Store
from tests.old_schema import database_at, version_before

#: The version the due index's migration starts from.
BEFORE = version_before(migrate_9_to_10)
#: Tasks per state: five wait for their time (enqueued, scheduled), seven do not.
STATES = {State.ENQUEUED: 3, State.SCHEDULED: 2, State.RUNNING: 1, State.BLOCKED: 1,
          State.SUCCEEDED: 3, State.FAILED: 1, State.CANCELLED: 1}
WAITING = 5


def _task(clock: FakeClock, state: State, i: int) -> Task:
    kind = Kind.EXACT if state is State.SCHEDULED else Kind.DEFERRED
    waits = state in (State.ENQUEUED, State.SCHEDULED)
    return Task(id=f"{state.value}-{i}", spec=TaskSpec(worker="shell", args=("true",), kind=kind), state=state,
                created_at=clock.now(), next_run_at=clock.now() if waits else None)


def _fill(store: Store, clock: FakeClock) -> None:
    with store.transaction():
        for state, n in STATES.items():
            for i in range(n):
                store.insert_task(_task(clock, state, i))


def _index_entries(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT sum(ncell) FROM dbstat WHERE name = 'tasks_kind_due'").fetchone()
    except sqlite3.OperationalError:
        pytest.skip("this SQLite was built without the dbstat table, which counts an index's entries")
    return int(row[0] or 0)


def test_the_due_index_holds_the_waiting_tasks_alone(store: Store, clock: FakeClock) -> None:
    _fill(store, clock)
    assert _index_entries(store.conn) == WAITING
    task = store.task("enqueued-0", with_runs=False)
    with store.transaction():  # a run's claim: the task leaves the index...
        stamp = store.set_state(task, State.RUNNING, clock.now_us(), next_run_at=None, attempts=1)
    assert _index_entries(store.conn) == WAITING - 1
    running = store.task("enqueued-0", with_runs=False)
    with store.transaction():  # ...and its end does not bring it back
        store.move(running, State.SUCCEEDED, clock.now_us(), stamp=stamp)
    assert store.task("enqueued-0", with_runs=False).state is State.SUCCEEDED
    assert _index_entries(store.conn) == WAITING - 1
    assert [t.id for t in store.due(State.ENQUEUED, clock.now_us(), kind=Kind.DEFERRED)] == ["enqueued-1", "enqueued-2"]


class _Recording:
    """The store's connection, recording each statement with its parameters."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.statements.append((sql, params))
        return self.conn.execute(sql, params)


def test_every_due_query_is_served_by_the_index_and_names_its_state(store: Store, clock: FakeClock) -> None:
    """A due query that bound its state as a parameter would be prepared again at every
    run (SQLite re-plans a statement when a bound value decides whether a partial index
    applies): 15.8 us against 4.6 for the literal, measured; and one that did not name
    a waiting state would scan every task ever run."""
    _fill(store, clock)
    conn = store.conn
    recording = _Recording(conn)
    store.conn = recording  # type: ignore[assignment]
    try:
        now = clock.now_us()
        assert [k for k, _ in store.due_page(State.ENQUEUED, now, Kind.DEFERRED, limit=2)]
        store.next_due_after(State.ENQUEUED, now - 1, (Kind.IMMEDIATE, Kind.DEFERRED))
        assert store.next_due(State.SCHEDULED, kinds=(Kind.EXACT,)) is not None
        assert len(store.due(State.SCHEDULED, now, kind=Kind.EXACT)) == 2
        store.waiting_out_a_delay()
    finally:
        store.conn = conn
    assert len(recording.statements) == 6  # next_due_after asks once per kind
    for sql, params in recording.statements:
        plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "INDEX tasks_kind_due" in plan and "SCAN" not in plan, (sql, plan)
        assert "state = ?" not in sql and "state IN" not in sql, sql


def test_a_due_query_for_a_state_the_index_does_not_hold_is_refused(store: Store, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="enqueued or scheduled tasks, not running"):
        store.due(State.RUNNING, clock.now_us(), kind=Kind.DEFERRED)


def test_a_database_of_the_previous_version_gets_the_due_index(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old.db"
    conn = database_at(path, BEFORE)
    for state, n in STATES.items():
        for i in range(n):
            waits = state in (State.ENQUEUED, State.SCHEDULED)
            conn.execute(
                "INSERT INTO tasks (id, kind, worker, state, created_at, updated_at, attempts, next_run_at, spec) "
                "VALUES (?, ?, 'shell', ?, ?, ?, 0, ?, ?)",
                (f"{state.value}-{i}", "exact" if state is State.SCHEDULED else "deferred", state.value,
                 to_us(clock.now()), to_us(clock.now()), to_us(clock.now()) + i if waits else None,
                 '{"worker": "shell", "args": ["true"], "kind": "deferred"}'),
            )
    assert _index_entries(conn) == sum(STATES.values())  # before: every task, whatever its state
    conn.close()
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert _index_entries(store.conn) == WAITING
        due = store.due(State.ENQUEUED, clock.now_us() + 10, kind=Kind.DEFERRED)
        assert [t.id for t in due] == ["enqueued-0", "enqueued-1", "enqueued-2"]
    finally:
        store.close()
