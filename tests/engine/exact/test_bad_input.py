"""Bad exact input: one clear line, the right error class (exit 2), nothing written."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from engine import schema
from engine.errors import BadInputError, BadSpecError, BadTimeError
from engine.model import Kind, Reminder, ReminderStatus, Schedule, State, TaskSpec
from engine.store import Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def exact_spec(**changes: object) -> TaskSpec:
    return TaskSpec("shell", ("true",), kind=Kind.EXACT).replace(**changes)


@pytest.mark.parametrize(
    ("spec", "error", "text"),
    [
        (lambda: exact_spec(run_at=T0 - timedelta(seconds=1)), BadTimeError, "has passed"),
        (lambda: exact_spec(schedule=Schedule(cron="61 * * * *")), BadTimeError, "invalid cron expression"),
        (lambda: exact_spec(schedule=Schedule(cron="every day")), BadTimeError, "invalid cron expression"),
        (lambda: exact_spec(schedule=Schedule(rrule="FREQ=SOMETIMES")), BadTimeError, "invalid RRULE"),
        (lambda: exact_spec(schedule=Schedule(cron="0 8 * * *", tz="Mars/Olympus")), BadTimeError, "unknown time zone"),
        (lambda: exact_spec(run_at=T0 + timedelta(hours=1), schedule=Schedule(every=0)), BadSpecError, "positive"),
        (lambda: exact_spec(), BadSpecError, "needs a time"),
        (lambda: exact_spec(schedule=Schedule(rrule="FREQ=DAILY;UNTIL=20250101T000000")), BadTimeError, "no occurrence"),
        (lambda: exact_spec(run_at=T0 + timedelta(hours=1), grace=-1), BadSpecError, "grace"),
    ],
    ids=["past", "cron-range", "cron-words", "rrule", "zone", "zero-interval", "no-time", "rule-ended", "grace"],
)
def test_bad_exact_input_is_one_line_and_writes_nothing(make_engine, spec, error, text: str) -> None:
    engine, _ = make_engine()
    with pytest.raises(error) as caught:
        engine.enqueue(spec())
    message = str(caught.value)
    assert text in message and "\n" not in message
    assert isinstance(caught.value, BadInputError) and caught.value.exit_status == 2
    assert engine.tasks() == []


def test_a_past_time_fires_now_when_asked(make_engine, clock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(exact_spec(run_at=T0 - timedelta(minutes=5), fire_if_past=True))
    assert task.next_run_at == T0
    clock.run_due()
    assert engine.task(task.id).state is State.SUCCEEDED


def test_fire_now_without_a_time(make_engine, clock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(exact_spec(fire_if_past=True))
    assert task.spec.run_at == T0 and task.next_run_at == T0


def test_rule_zone_and_anchor_are_stored_with_the_rule(make_engine, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    engine, _ = make_engine()
    task = engine.enqueue(exact_spec(schedule=Schedule(cron="0 8 * * 1-5")))
    stored = engine.task(task.id).spec
    assert stored.schedule is not None and stored.schedule.tz == "Europe/Berlin"
    assert stored.run_at == T0
    assert task.next_run_at == datetime(2026, 1, 6, 7, 0, tzinfo=UTC)  # Tuesday 08:00 CET


def test_schema_2_database_migrates_to_the_reminders_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    schema.create_v1(db)
    schema.migrate_1_to_2(db)
    conn.execute(
        "INSERT INTO tasks (id, kind, worker, state, created_at, attempts, spec) VALUES ('t1', 'exact', 'reminder', "
        "'scheduled', 0, 0, ?)",
        (json.dumps(TaskSpec("reminder", ("hi",)).to_json()),),
    )
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 2")
    conn.close()

    store = Store(path)
    try:
        assert store.schema_version == schema.SCHEMA_VERSION  # through 3 (kind index), 4 (reminders), 5
        assert "tasks_kind_due" in {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert store.has_task("t1")
        with store.transaction():
            row = store.add_reminder(Reminder("t1", "hi", T0, None, status=ReminderStatus.MISSED), 1)
        (kept,) = store.open_reminders()
        assert kept.id == row and kept.missed and kept.due_at == T0
        with store.transaction():
            assert store.acknowledge_reminders("t1", ReminderStatus.DISMISSED, 2) == 1
        assert store.open_reminders() == []
    finally:
        store.close()
