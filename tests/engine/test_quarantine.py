"""Rows Workdeck cannot read are quarantined, not fatal (issue 11, item 6)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FakeClock, to_us
from engine.engine import Engine
from engine.errors import DatabaseDamagedError
from engine.manifest.io import export_manifest
from engine.model import Kind, State, TaskSpec
from engine.serialize import task_json
from engine.store import Store
from engine.store.opening import open_for_reading

CONTRACT_KEYS = {"id", "name", "kind", "state", "command", "tags", "attempts", "created_at", "next_run_at", "runs"}


def shell(*argv: str, **spec: object) -> TaskSpec:
    return TaskSpec(worker="shell", args=argv, **spec)  # type: ignore[arg-type]


def damage(db: Path, sql: str, *params: object) -> None:
    """Change the database behind Workdeck's back, as sqlite3 or another program would."""
    conn = sqlite3.connect(db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


@pytest.fixture
def engine(qapp, db: Path, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(Store(db), clock)
    yield eng
    eng.stop()
    eng.store.close()


def test_unreadable_rows_are_listed_with_their_reason_and_the_rest_still_reads(engine: Engine, db: Path) -> None:
    bad_spec, bad_state, good = (engine.enqueue(shell("echo", str(i), kind=Kind.DEFERRED, tags=("t",))).id
                                 for i in range(3))
    damage(db, "UPDATE tasks SET spec = '{not json' WHERE id = ?", bad_spec)
    damage(db, "UPDATE tasks SET state = 'bogus' WHERE id = ?", bad_state)
    store = engine.store
    tasks = {t.id: t for t in store.tasks(with_runs=True)}
    assert tasks[good].state is State.ENQUEUED and tasks[good].unreadable is None
    assert tasks[bad_spec].state is State.UNREADABLE
    assert tasks[bad_spec].unreadable is not None and tasks[bad_spec].unreadable.startswith("its spec is not valid JSON")
    assert tasks[bad_state].unreadable == "unknown state 'bogus'"
    assert store.task(bad_spec).raw["spec"] == "{not json"  # type: ignore[index]
    assert {t.id for t in store.tasks(state=State.UNREADABLE)} == {bad_spec, bad_state}
    assert {t.id for t in store.tasks(tag="t")} == {bad_spec, bad_state, good}
    # counted by stored state, without decoding; a state it does not know counts as unreadable
    assert store.count_by_state() == {State.UNREADABLE: 1, State.ENQUEUED: 2}
    shown = task_json(store.task(bad_spec))
    assert CONTRACT_KEYS <= set(shown) and shown["state"] == "unreadable" and shown["kind"] == "deferred"
    assert shown["unreadable"] == tasks[bad_spec].unreadable and shown["stored"]["state"] == "enqueued"
    text = export_manifest(store.tasks(), engine.clock.now())
    assert f"[tasks.task-{good}]" in text and f"task-{bad_spec}" not in text.replace(f"task {bad_spec}", "")
    assert f'#   spec = "{{not json"' in text  # the row, kept whole, as a comment


def test_an_unreadable_run_is_left_out_of_the_history(qtbot, engine: Engine, db: Path) -> None:
    engine.start()
    with qtbot.waitSignal(engine.run_finished, timeout=10_000):
        task = engine.enqueue(shell("true"))
    with qtbot.waitSignal(engine.run_finished, timeout=10_000):
        other = engine.enqueue(shell("true"))
    damage(db, "UPDATE runs SET outcome = 'exploded' WHERE task_id = ?", task.id)
    assert engine.store.task(task.id).runs == ()
    assert [r.task_id for t in engine.store.tasks(with_runs=True) for r in t.runs] == [other.id]


def test_the_dispatcher_skips_unreadable_rows_and_runs_the_rest(qtbot, qapp, db: Path, clock: FakeClock) -> None:
    offline = Engine(Store(db), clock)
    bad = [offline.enqueue(shell("echo", "bad", kind=Kind.DEFERRED)).id for _ in range(5)]
    good = offline.enqueue(shell("echo", "good", kind=Kind.DEFERRED)).id
    for task_id in bad:
        damage(db, "UPDATE tasks SET spec = '[]' WHERE id = ?", task_id)
    offline.store.close()
    # One deferred slot and pages of one: the unreadable rows first in line must not
    # take the slot nor end the page early.
    engine = Engine(Store(db), clock, max_deferred=1)
    try:
        engine.start()
        qtbot.waitUntil(lambda: engine.store.task(good).state is State.SUCCEEDED, timeout=10_000)
        assert {engine.store.task(b).state for b in bad} == {State.UNREADABLE}
        assert set(engine.store.quarantine.rows) == {f"task {b}" for b in bad}
    finally:
        engine.stop()
        engine.store.close()


def test_the_alarm_scheduler_skips_an_unreadable_alarm(qtbot, qapp, db: Path, clock: FakeClock) -> None:
    offline = Engine(Store(db), clock)
    soon = clock.now() + timedelta(seconds=10)
    bad = offline.enqueue(shell("echo", "bad", kind=Kind.EXACT, run_at=soon)).id
    good = offline.enqueue(shell("echo", "good", kind=Kind.EXACT, run_at=soon + timedelta(seconds=5))).id
    damage(db, "UPDATE tasks SET spec = json_set(spec, '$.kind', 'sideways') WHERE id = ?", bad)
    offline.store.close()
    engine = Engine(Store(db), clock)
    try:
        engine.start()
        assert engine.alarms.armed_for == soon + timedelta(seconds=5)  # armed for the readable one
        clock.advance(15)
        qtbot.waitUntil(lambda: engine.store.task(good).state is State.SUCCEEDED, timeout=10_000)
        assert engine.store.task(bad).state is State.UNREADABLE
        assert engine.alarms.armed_for is None
    finally:
        engine.stop()
        engine.store.close()


def test_an_unreadable_task_can_be_cancelled_and_deleted(engine: Engine, db: Path, clock: FakeClock) -> None:
    parent = engine.enqueue(shell("true", kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1))).id
    child = engine.enqueue(shell("true", kind=Kind.DEFERRED, after=(parent,))).id
    damage(db, "UPDATE tasks SET created_at = 'yesterday' WHERE id = ?", parent)
    assert engine.store.task(parent).unreadable == "created_at is not a time ('yesterday')"
    cancelled = engine.cancel(parent)
    assert cancelled.state is State.UNREADABLE and cancelled.raw["state"] == "cancelled"  # type: ignore[index]
    assert engine.store.task(child).state is State.CANCELLED  # it waited for a parent that will never run
    engine.delete(parent)
    assert [t.id for t in engine.store.tasks()] == [child]


def test_a_missing_table_is_named_at_open(engine: Engine, db: Path) -> None:
    engine.enqueue(shell("true", kind=Kind.DEFERRED))
    engine.store.close()
    damage(db, "DROP TABLE runs")
    for opener in (Store, open_for_reading):
        with pytest.raises(DatabaseDamagedError, match=r"its table runs is missing .*restore it from a backup"):
            opener(db)
    engine.store = Store(":memory:")  # for the fixture's teardown


def test_a_time_that_cannot_be_read_is_reported_not_raised(engine: Engine, db: Path) -> None:
    task = engine.enqueue(shell("true", kind=Kind.DEFERRED)).id
    damage(db, "UPDATE tasks SET next_run_at = ? WHERE id = ?", 2**62, task)
    assert engine.store.task(task).unreadable is not None
    assert engine.store.next_due(State.ENQUEUED) is None
    assert engine.store.due(State.ENQUEUED, to_us(engine.clock.now()) + 10**12, kind=Kind.DEFERRED) == []


def test_a_spec_is_decoded_once_per_text_and_a_damaged_one_every_time(engine: Engine, db: Path) -> None:
    """Decoded specs are shared by their stored text (a backlog of one command, a periodic
    task read at every run): a changed spec is decoded anew, and a damaged one is never
    kept, so it stays unreadable however often it is read, and reads again once mended."""
    first, second, other = (engine.enqueue(shell("echo", arg, kind=Kind.DEFERRED)).id for arg in ("same", "same", "x"))
    store = engine.store
    assert store.task(first).spec is store.task(second).spec  # one decode for the same text
    assert store.task(other).spec is not store.task(first).spec and store.task(other).spec.args == ("echo", "x")
    good = store.conn.execute("SELECT spec FROM tasks WHERE id = ?", (first,)).fetchone()[0]
    damage(db, "UPDATE tasks SET spec = '{not json' WHERE id = ?", first)
    for _ in range(2):
        assert store.task(first).state is State.UNREADABLE
    damage(db, "UPDATE tasks SET spec = ? WHERE id = ?", good.replace('"same"', '"mended"'), first)
    assert store.task(first).spec.args == ("echo", "mended") and store.task(first).state is State.ENQUEUED
