"""Deleting exact work: an armed alarm never fires and the next one is armed; a task's
open reminders go with it and the missed list says so."""

from __future__ import annotations

from datetime import timedelta

from engine.clock import FakeClock
from engine.model import Kind, TaskSpec


def remind(message: str, at) -> TaskSpec:  # type: ignore[no-untyped-def]
    return TaskSpec("reminder", (message,), kind=Kind.EXACT, run_at=at)


def test_a_deleted_alarm_never_fires_and_the_next_one_is_armed(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown: list = []
    engine.reminder.connect(shown.append)
    first = engine.enqueue(remind("first", clock.now() + timedelta(minutes=5)))
    second = engine.enqueue(remind("second", clock.now() + timedelta(minutes=10)))
    assert engine.alarms.armed_for == first.next_run_at
    engine.delete(first.id)
    assert engine.alarms.armed_for == second.next_run_at
    clock.advance(10 * 60)
    assert [r.task_id for r in shown] == [second.id]
    engine.delete(second.id)  # fired, its reminder still open: both go
    assert engine.alarms.armed_for is None


def test_open_reminders_go_with_their_task(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(remind("stand up", clock.now() + timedelta(minutes=1)))
    clock.advance(60)
    assert [r.task_id for r in engine.missed_reminders()] == [task.id]
    changes: list[None] = []
    engine.reminders_changed.connect(lambda: changes.append(None))
    engine.delete(task.id)
    assert engine.missed_reminders() == [] and changes == [None]
