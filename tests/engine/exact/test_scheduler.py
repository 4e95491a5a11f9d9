"""The alarm scheduler on the fake clock: arming, firing, clock jumps, suspend, restart.

No sleeps: the fake clock fires its timers in deadline order at each deadline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine import exact
from engine.clock import FakeClock
from engine.model import Kind, MissedPolicy, Outcome, Schedule, State, StopReason, TaskSpec, UniquePolicy

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the fake clock's start


def command(at: datetime | None = None, **changes: object) -> TaskSpec:
    return TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=at).replace(**changes)


def test_one_shot_fires_at_its_instant_with_fired_at_recorded(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    due = T0 + timedelta(hours=2, milliseconds=250)
    task = engine.enqueue(command(due))
    assert task.state is State.SCHEDULED and task.next_run_at == due
    assert engine.alarms.armed_for == due
    clock.advance_to(due - timedelta(milliseconds=1))
    assert engine.task(task.id).state is State.SCHEDULED  # never early
    clock.advance(1.0)
    done = engine.task(task.id)
    assert done.state is State.SUCCEEDED
    (run,) = done.runs
    assert run.due_at == due and run.fired_at == due and run.detail is None


def test_a_long_wait_is_armed_in_bounded_steps(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    engine.enqueue(command(T0 + timedelta(days=3)))
    wait = clock.next_deadline()
    assert wait is not None and 0 < wait <= exact.MAX_STEP


def test_one_timer_for_the_earliest_rearmed_on_every_change(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    late = engine.enqueue(command(T0 + timedelta(minutes=30)))
    early = engine.enqueue(command(T0 + timedelta(minutes=10)))
    assert engine.alarms.armed_for == early.next_run_at
    engine.cancel(early.id)
    assert engine.alarms.armed_for == late.next_run_at
    engine.cancel(late.id)
    assert engine.alarms.armed_for is None and clock.next_deadline() is None


def test_a_new_alarm_arms_the_timer_whether_or_not_it_has_a_unique_name(make_engine, clock: FakeClock) -> None:
    """Enqueue tells the scheduler of a new alarm itself (it no longer listens to
    task_added): on both of enqueue's paths, plain and unique work, the earlier alarm
    takes the timer, and a new task that is no alarm leaves it as it was."""
    engine, _ = make_engine()
    late = engine.enqueue(command(T0 + timedelta(minutes=30)))
    assert engine.alarms.armed_for == late.next_run_at
    named = engine.enqueue(command(T0 + timedelta(minutes=20), name="standup"))
    assert named.state is State.SCHEDULED and engine.alarms.armed_for == named.next_run_at
    replaced = engine.enqueue(command(T0 + timedelta(minutes=10), name="standup", policy=UniquePolicy.REPLACE))
    assert engine.task(named.id).state is State.CANCELLED
    assert engine.alarms.armed_for == replaced.next_run_at
    engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, run_at=T0 + timedelta(minutes=5)))
    assert engine.alarms.armed_for == replaced.next_run_at
    clock.advance_to(replaced.next_run_at)
    assert engine.task(replaced.id).state is State.SUCCEEDED


def test_an_unstarted_engine_stores_alarms_but_arms_nothing(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine(start=False)
    engine.enqueue(command(T0 + timedelta(minutes=1)))
    assert clock.next_deadline() is None


def test_clock_set_back_an_hour_never_fires_early(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    due = T0 + timedelta(minutes=30)
    task = engine.enqueue(command(due))
    clock.advance(10 * 60)
    clock.jump(-3600)  # wall reads 08:10; the alarm is now 80 minutes away
    clock.advance(40 * 60)  # 30 minutes of monotonic time: past the old deadline
    assert engine.task(task.id).state is State.SCHEDULED
    assert clock.now() < due
    clock.advance_to(due)
    run = engine.task(task.id).runs[0]
    assert run.fired_at == due
    assert any(j == pytest.approx(-3600, abs=1) for j in engine.alarms.jumps)


def test_clock_set_forward_an_hour_loses_no_alarm(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    due = T0 + timedelta(minutes=30)
    task = engine.enqueue(command(due))
    clock.advance(10 * 60)
    clock.jump(3600)  # wall reads 10:10: the alarm's time has passed
    clock.advance(exact.MAX_STEP)  # the next bounded step notices
    done = engine.task(task.id)
    assert done.state is State.SUCCEEDED
    (run,) = done.runs
    assert run.due_at == due and run.fired_at is not None
    late = run.fired_at - due
    assert timedelta(minutes=40) <= late <= timedelta(minutes=41)
    assert run.detail == f"fired {int(late.total_seconds() // 60)}m late"


def test_clock_set_back_after_a_repeat_fired_does_not_fire_it_twice(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(command(schedule=Schedule(cron="30 9 * * *", tz="UTC")))
    clock.advance_to(T0 + timedelta(minutes=30))
    assert len(engine.task(task.id).runs) == 1
    clock.jump(-3600)  # 08:30 again
    clock.advance(2 * 3600)
    runs = engine.task(task.id).runs
    assert len(runs) == 1
    assert engine.task(task.id).next_run_at == T0.replace(day=6, minute=30)


def test_clock_set_back_while_a_repeat_runs_does_not_fire_it_twice(make_engine, clock: FakeClock) -> None:
    engine, runner = make_engine(auto=False)
    task = engine.enqueue(command(schedule=Schedule(cron="30 9 * * *", tz="UTC")))
    clock.advance_to(T0 + timedelta(minutes=30))
    assert engine.task(task.id).state is State.RUNNING
    clock.jump(-3600)
    runner.finish_all()  # the run ends at 08:30 by the wall clock
    assert engine.task(task.id).next_run_at == T0.replace(day=6, minute=30)


def test_suspend_of_two_hours_gives_one_catch_up(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(command(schedule=Schedule(every=600, tz="UTC")))  # 09:10, 09:20, ...
    clock.advance(60)
    clock.suspend(2 * 3600)  # wall 11:01; monotonic timers did not move
    clock.advance(exact.MAX_STEP)
    runs = engine.task(task.id).runs
    missed, catch_up = runs
    assert missed.outcome is Outcome.CANCELLED and missed.stop_reason is StopReason.MISSED
    assert missed.due_at == T0 + timedelta(minutes=10)
    assert "11 missed occurrences" in (missed.detail or "") and "coalesced" in (missed.detail or "")
    assert catch_up.outcome is Outcome.SUCCEEDED and catch_up.due_at == T0 + timedelta(hours=2)
    assert engine.task(task.id).next_run_at == T0 + timedelta(hours=2, minutes=10)
    assert any(j == pytest.approx(7200, abs=1) for j in engine.alarms.jumps)


def test_restart_after_alarms_passed_applies_each_policy(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    due = T0 + timedelta(minutes=5)
    once = engine.enqueue(command(due))
    skip = engine.enqueue(command(due, missed=MissedPolicy.SKIP))
    stale = engine.enqueue(command(due, grace=60.0))
    engine.stop()
    clock.advance(30 * 60)  # nothing runs: the owner is gone
    assert {engine.task(t.id).state for t in (once, skip, stale)} == {State.SCHEDULED}

    engine2, _ = make_engine()
    clock.run_due()
    ran = engine2.task(once.id)
    assert ran.state is State.SUCCEEDED
    assert ran.runs[0].due_at == due and "fired 25m late" in (ran.runs[0].detail or "")
    for task_id, why in ((skip.id, "missed policy skip"), (stale.id, "grace")):
        t = engine2.task(task_id)
        assert t.state is State.CANCELLED
        (run,) = t.runs
        assert run.outcome is Outcome.CANCELLED and run.stop_reason is StopReason.MISSED
        assert why in (run.detail or "") and run.due_at == due


def test_fire_all_runs_every_missed_occurrence_in_order(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(command(schedule=Schedule(every=600, tz="UTC"), missed=MissedPolicy.FIRE_ALL))
    clock.advance(60)
    clock.suspend(3600)  # 09:10 ... 10:00 missed: six occurrences
    clock.advance(exact.MAX_STEP)
    runs = engine.task(task.id).runs
    assert [r.due_at for r in runs] == [T0 + timedelta(minutes=10 * k) for k in range(1, 7)]
    assert all(r.outcome is Outcome.SUCCEEDED for r in runs)
    assert engine.task(task.id).next_run_at == T0 + timedelta(minutes=70)


def test_skip_on_a_repeat_records_the_miss_and_waits_for_the_next(make_engine, clock: FakeClock) -> None:
    engine, runner = make_engine()
    task = engine.enqueue(command(schedule=Schedule(every=600, tz="UTC"), missed=MissedPolicy.SKIP))
    clock.suspend(25 * 60)
    clock.advance(exact.MAX_STEP)
    t = engine.task(task.id)
    (run,) = t.runs
    assert run.stop_reason is StopReason.MISSED and "2 occurrences" in (run.detail or "")
    assert t.state is State.SCHEDULED and t.next_run_at == T0 + timedelta(minutes=30)
    assert runner.submitted == []


def test_a_slightly_late_fire_is_not_missed(make_engine, clock: FakeClock) -> None:
    """Under load an alarm may be seconds late: it fires (even with policy skip)."""
    engine, _ = make_engine()
    due = T0 + timedelta(minutes=5)
    task = engine.enqueue(command(due, missed=MissedPolicy.SKIP))
    clock.advance(4 * 60)
    engine.alarms._timer.stop()  # the event loop is blocked: the timer cannot come
    clock.advance(90)
    engine.alarms._on_timer()  # ... until 30 s after the alarm's instant
    clock.run_due()  # the (fake) run ends
    t = engine.task(task.id)
    assert t.state is State.SUCCEEDED and t.runs[0].stop_reason is None
    assert t.runs[0].detail == "fired 30s late"


def test_a_short_suspend_makes_an_alarm_missed(make_engine, clock: FakeClock) -> None:
    """Missed means 'fell due while nothing could fire it', however short the gap."""
    engine, _ = make_engine()
    due = T0 + timedelta(minutes=5)
    task = engine.enqueue(command(due, missed=MissedPolicy.SKIP))
    clock.advance(4 * 60 + 50)
    clock.suspend(20)  # asleep from 09:04:50 to 09:05:10
    clock.advance(exact.MAX_STEP)
    (run,) = engine.task(task.id).runs
    assert run.stop_reason is StopReason.MISSED


def test_a_run_interrupted_by_a_stop_runs_again_at_restart_even_with_skip(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine(auto=False)
    task = engine.enqueue(command(T0 + timedelta(minutes=5), missed=MissedPolicy.SKIP))
    clock.advance(5 * 60)
    assert engine.task(task.id).state is State.RUNNING
    engine.stop()  # the run is interrupted; at-least-once says it runs again
    clock.advance(10 * 60)
    engine2, runner2 = make_engine(auto=False)
    assert engine2.task(task.id).state is State.RUNNING
    runner2.finish_all()
    runs = engine2.task(task.id).runs
    assert [r.outcome for r in runs] == [Outcome.INTERRUPTED, Outcome.SUCCEEDED]


def test_repeat_rule_that_ends_finishes_the_task(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(
        command(T0 + timedelta(minutes=1), schedule=Schedule(rrule="FREQ=MINUTELY;COUNT=3", tz="UTC"))
    )
    clock.advance(10 * 60)
    t = engine.task(task.id)
    assert [r.due_at for r in t.runs] == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    assert t.state is State.SUCCEEDED


def test_failed_repeat_without_retries_waits_for_its_next_occurrence(make_engine, clock: FakeClock) -> None:
    from engine.workers import WorkResult

    engine, runner = make_engine()
    task = engine.enqueue(command(schedule=Schedule(every=600, tz="UTC")))
    runner.results[task.id] = WorkResult(Outcome.FAILED, exit_code=1)
    clock.advance(10 * 60)
    t = engine.task(task.id)
    assert t.state is State.SCHEDULED and t.next_run_at == T0 + timedelta(minutes=20)
    assert t.runs[0].outcome is Outcome.FAILED


def test_broken_alarm_is_recorded_and_does_not_block_the_others(make_engine, clock: FakeClock, monkeypatch) -> None:
    engine, _ = make_engine()
    bad = engine.enqueue(command(T0 + timedelta(minutes=1)))
    good = engine.enqueue(command(T0 + timedelta(minutes=1)))
    real_start_run = engine.start_run

    def start_run(task, **kw):
        if task.id == bad.id:
            raise RuntimeError("worker vanished")
        return real_start_run(task, **kw)

    monkeypatch.setattr(engine, "start_run", start_run)
    errors: list[str] = []
    engine.error.connect(errors.append)
    clock.advance(120)
    assert engine.task(good.id).state is State.SUCCEEDED
    assert engine.task(bad.id).state is State.CANCELLED
    assert errors and "worker vanished" in errors[0]


def test_resume_signal_rechecks_at_once(make_engine, clock: FakeClock) -> None:
    engine, _ = make_engine()
    task = engine.enqueue(command(T0 + timedelta(minutes=30)))
    clock.suspend(3600)
    engine.alarms.wake()  # what logind's PrepareForSleep(false) calls
    clock.run_due()
    assert engine.task(task.id).state is State.SUCCEEDED


def test_logind_resume_signal_wakes_the_scheduler(qapp) -> None:
    from engine.clockwatch import _SleepWatcher

    woken: list[None] = []
    watcher = _SleepWatcher(None, lambda: woken.append(None))  # type: ignore[arg-type]
    watcher.on_prepare_for_sleep(True)  # going to sleep: nothing to do yet
    assert woken == []
    watcher.on_prepare_for_sleep(False)  # resumed
    assert woken == [None]


@pytest.mark.parametrize("ahead", [1.0, 30.0, 300.0, 3600.0, 3 * 86400.0])
def test_the_last_armed_wait_before_an_alarm_is_short_at_any_distance(make_engine, clock: FakeClock, ahead: float) -> None:
    """Lateness grows with the armed wait (issue 14): however far ahead an alarm is set,
    the wait that ends at it is at most NEAR, and it still fires exactly on time."""
    engine, _ = make_engine()
    due = T0 + timedelta(seconds=ahead)
    task = engine.enqueue(command(due))
    waits = []
    while engine.task(task.id).state is State.SCHEDULED:
        wait = clock.next_deadline()
        assert wait is not None and 0 <= wait <= exact.MAX_STEP
        waits.append(wait)
        clock.advance(wait)
    assert waits[-1] <= exact.NEAR + 1e-9 and abs(sum(waits) - ahead) < 1e-6
    (run,) = engine.task(task.id).runs
    assert run.fired_at == due


def test_arm_delay_stops_short_then_arms_the_rest_spin_early() -> None:
    assert exact.arm_delay(3600.0, 0.002) == exact.MAX_STEP
    assert exact.arm_delay(30.0, 0.002) == 30.0 - exact.FINAL_APPROACH
    assert exact.arm_delay(exact.FINAL_APPROACH, 0.002) == pytest.approx(exact.FINAL_APPROACH - exact.NEAR)
    assert exact.arm_delay(exact.NEAR, 0.002) == pytest.approx(exact.NEAR - 0.002)
    assert exact.arm_delay(0.001, 0.002) == 0.0
    # each stage waits at most ~20 times the margin it leaves (lateness is ~0.1% of a wait)
    assert exact.MAX_STEP <= 60 * exact.FINAL_APPROACH and exact.FINAL_APPROACH <= 20 * exact.NEAR
