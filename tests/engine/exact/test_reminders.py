"""Reminders: shown, missed, snooze, dismiss, remind-before, and the missed list across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import exact
from engine.clock import FakeClock
from engine.errors import BadSpecError, BadTimeError, NoSuchTaskError
from engine.model import Kind, MissedPolicy, Outcome, ReminderStatus, Schedule, State, StopReason, TaskSpec

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def remind(message: str, at: datetime | None, **changes: object) -> TaskSpec:
    return TaskSpec("reminder", (message,), kind=Kind.EXACT, run_at=at).replace(**changes)


def collect(engine) -> list:
    shown: list = []
    engine.reminder.connect(shown.append)
    return shown


def test_a_reminder_fires_is_emitted_and_listed_until_dismissed(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    task = engine.enqueue(remind("stand up", T0 + timedelta(minutes=5)))
    clock.advance(5 * 60)
    (reminder,) = shown
    assert reminder.message == "stand up" and reminder.task_id == task.id
    assert reminder.due_at == reminder.fired_at == T0 + timedelta(minutes=5)
    assert reminder.status is ReminderStatus.SHOWN and reminder.id is not None
    assert engine.task(task.id).state is State.SUCCEEDED
    assert [r.id for r in engine.missed_reminders()] == [reminder.id]
    changes: list[None] = []
    engine.reminders_changed.connect(lambda: changes.append(None))
    assert engine.dismiss(task.id) == 1
    assert engine.missed_reminders() == [] and changes
    assert engine.dismiss(task.id) == 0
    with pytest.raises(NoSuchTaskError):
        engine.dismiss("nope")


@pytest.mark.parametrize("minutes", [5, 10, 30])
def test_snooze_fires_the_same_reminder_task_again(make_engine, clock: FakeClock, minutes: int) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    task = engine.enqueue(remind("tea", T0 + timedelta(minutes=1), tags=("kitchen",)))
    clock.advance(60)
    assert engine.task(task.id).state is State.SUCCEEDED
    snoozed = engine.snooze(task.id, minutes * 60)
    # The same task, back to scheduled at the snoozed instant, its first run kept.
    assert snoozed.id == task.id and snoozed.state is State.SCHEDULED
    assert snoozed.next_run_at == T0 + timedelta(minutes=1 + minutes) == engine.alarms.armed_for
    assert snoozed.spec == engine.task(task.id).spec and [r.outcome for r in engine.task(task.id).runs] == [
        Outcome.SUCCEEDED]
    assert [t.id for t in engine.tasks()] == [task.id]  # no second row
    assert engine.missed_reminders() == []  # the snooze acknowledged the shown one
    clock.advance(minutes * 60 - 1)
    assert len(shown) == 1
    clock.advance(1)
    assert [r.task_id for r in shown] == [task.id, task.id]
    assert shown[1].due_at == T0 + timedelta(minutes=1 + minutes) == shown[1].fired_at
    assert [r.task_id for r in engine.missed_reminders()] == [task.id]
    again = engine.task(task.id)
    assert again.state is State.SUCCEEDED and [r.due_at for r in again.runs] == [
        T0 + timedelta(minutes=1), T0 + timedelta(minutes=1 + minutes)]
    # And again: a reminder can be snoozed as often as it is shown.
    assert engine.snooze(task.id, 60).id == task.id


def test_snooze_until_a_chosen_time(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(remind("call", T0 + timedelta(minutes=1)))
    clock.advance(60)
    later = T0 + timedelta(hours=3)
    snoozed = engine.snooze(task.id, until=later)
    assert snoozed.id == task.id and snoozed.next_run_at == later and engine.alarms.armed_for == later


def test_a_missed_reminder_snoozed_comes_back_from_cancelled(make_engine, clock: FakeClock) -> None:
    first, _ = make_engine()
    task = first.enqueue(remind("bins", T0 + timedelta(minutes=1), missed=MissedPolicy.SKIP))
    first.stop()
    clock.advance(3600)  # nothing could fire it
    engine, _ = make_engine()
    shown = collect(engine)
    assert engine.task(task.id).state is State.CANCELLED
    (missed,) = engine.missed_reminders()
    assert missed.status is ReminderStatus.MISSED
    snoozed = engine.snooze(task.id, 300)
    assert (snoozed.id, snoozed.state) == (task.id, State.SCHEDULED) and engine.missed_reminders() == []
    clock.advance(300)
    assert [r.status for r in shown] == [ReminderStatus.SHOWN]
    assert shown[-1].due_at == T0 + timedelta(minutes=65) and engine.task(task.id).state is State.SUCCEEDED


def test_snooze_of_a_repeating_reminder_is_an_extra_occurrence(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    series = engine.enqueue(remind("water", None, schedule=Schedule(every=3600, tz="UTC")))
    clock.advance(3600)
    snoozed = engine.snooze(series.id, 600)
    assert (snoozed.id, snoozed.state, snoozed.next_run_at) == (series.id, State.SCHEDULED, T0 + timedelta(minutes=70))
    clock.advance(600)
    # The rule resumes after the extra occurrence.
    assert engine.task(series.id).next_run_at == T0 + timedelta(hours=2)
    clock.advance(3000)
    assert [r.fired_at - T0 for r in shown] == [timedelta(hours=1), timedelta(minutes=70), timedelta(hours=2)]
    assert {r.task_id for r in shown} == {series.id} and len(engine.tasks()) == 1


def test_a_snooze_past_the_next_occurrence_folds_it_in(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    series = engine.enqueue(remind("water", None, schedule=Schedule(every=3600, tz="UTC")))
    clock.advance(3600)
    engine.snooze(series.id, 90 * 60)
    clock.advance(90 * 60)
    assert engine.task(series.id).next_run_at == T0 + timedelta(hours=3)
    assert [r.fired_at - T0 for r in shown] == [timedelta(hours=1), timedelta(minutes=150)]


def test_snooze_refuses_bad_requests(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    cmd = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=T0 + timedelta(minutes=1)))
    pending = engine.enqueue(remind("later", T0 + timedelta(hours=1)))
    with pytest.raises(BadSpecError, match="not a reminder"):
        engine.snooze(cmd.id, 300)
    with pytest.raises(BadSpecError, match="no reminder showing"):
        engine.snooze(pending.id, 300)
    with pytest.raises(BadTimeError, match="positive"):
        engine.snooze(pending.id, 0)
    with pytest.raises(BadTimeError, match="passed"):
        engine.snooze(pending.id, until=T0 - timedelta(minutes=1))
    with pytest.raises(BadSpecError, match="one of the two"):
        engine.snooze(pending.id)
    assert len(engine.tasks()) == 2


def test_remind_before_fires_early_by_that_much(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    meeting = T0 + timedelta(hours=1)
    task = engine.enqueue(remind("meeting", meeting, remind_before=15 * 60))
    assert task.next_run_at == meeting - timedelta(minutes=15)
    clock.advance(45 * 60)
    (reminder,) = shown
    assert reminder.fired_at == meeting - timedelta(minutes=15)
    assert reminder.detail == "in 15m, at 2026-01-05T10:00:00+00:00"
    # Snoozed, it still speaks of the meeting, not of an event 15 minutes after the snooze.
    engine.snooze(task.id, 10 * 60)
    clock.advance(10 * 60)
    assert shown[-1].detail == "in 5m, at 2026-01-05T10:00:00+00:00"
    engine.snooze(task.id, 10 * 60)
    clock.advance(10 * 60)
    assert shown[-1].detail == "at 2026-01-05T10:00:00+00:00, 5m ago"


def test_remind_before_on_a_command_is_refused(make_engine) -> None:
    engine, _ = make_engine()
    with pytest.raises(BadSpecError, match="remind-before is for reminders"):
        engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=T0 + timedelta(hours=1), remind_before=60))


def test_missed_beyond_grace_is_listed_as_missed(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(remind("pills", T0 + timedelta(minutes=10)))
    engine.stop()
    clock.advance(3 * 3600)  # the app was not running
    engine2, _ = make_engine()
    # the restarted engine emitted during start(); read the list like a tray starting up would
    (missed,) = engine2.missed_reminders()
    assert missed.missed and missed.fired_at is None and missed.task_id == task.id
    assert missed.due_at == T0 + timedelta(minutes=10)
    assert "2h50m late, past the 1h grace period" in (missed.detail or "")
    t = engine2.task(task.id)
    assert t.state is State.CANCELLED
    assert t.runs[0].outcome is Outcome.CANCELLED and t.runs[0].stop_reason is StopReason.MISSED
    engine2.dismiss(task.id)
    assert engine2.missed_reminders() == []


def test_missed_within_grace_fires_late_and_says_so(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(remind("pills", T0 + timedelta(minutes=10)))
    engine.stop()
    clock.advance(40 * 60)
    engine2, _ = make_engine()
    shown = collect(engine2)
    clock.run_due()
    (reminder,) = engine2.missed_reminders()
    assert reminder.status is ReminderStatus.SHOWN and reminder.detail == "30m late"
    assert engine2.task(task.id).runs[0].detail == "fired 30m late"
    assert [r.detail for r in shown] == ["30m late"]


def test_skip_policy_reminder_is_missed_even_when_barely_late(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    shown = collect(engine)
    task = engine.enqueue(remind("x", T0 + timedelta(minutes=10), missed=MissedPolicy.SKIP))
    clock.suspend(15 * 60)
    clock.advance(exact.MAX_STEP)
    (reminder,) = shown
    assert reminder.missed and reminder.task_id == task.id


def test_unacknowledged_reminders_survive_a_restart(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    engine.enqueue(remind("a", T0 + timedelta(minutes=1)))
    engine.enqueue(remind("b", T0 + timedelta(minutes=2)))
    clock.advance(180)
    engine.stop()
    engine2, _ = make_engine()
    assert [r.message for r in engine2.missed_reminders()] == ["a", "b"]
