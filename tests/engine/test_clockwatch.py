"""Clock changes and resumes on the fake clock: one ClockWatch notices, every scheduler
wakes at once; ``--in`` is elapsed time, ``--at`` and periodic windows follow the wall
clock. No sleeps: the fake clock announces its jumps as the kernel's timerfd does, or
(``announce=False``) does not, as under libfaketime, and then the measurement notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine import clockwatch, deferred, exact
from engine.clock import FakeClock
from engine.clockwatch import ClockWatch
from engine.model import Kind, Outcome, RetryPolicy, Schedule, TaskSpec
from tests.deferred_helpers import Deck, make_deck


@pytest.fixture
def deck(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Deck]:
    d = make_deck(tmp_path / "w.db", clock)
    yield d
    d.close()


def _starts(deck: Deck, task_id: str) -> list[float]:
    """Start instants of real runs, in seconds after the fake clock's start (wall)."""
    t0 = FakeClock().now()
    return [(r.started_at - t0).total_seconds() for r in deck.task(task_id).runs if r.outcome is not Outcome.CANCELLED]


def _in(seconds: float, clock: FakeClock, **fields: object) -> TaskSpec:
    """What ``add --in`` makes: a wall instant computed from now, and the delay itself."""
    spec = TaskSpec("fake", ("seconds=1",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(seconds=seconds),
                    initial_delay=seconds)
    return spec.replace(**fields)


# ---------------------------------------------------------------- the watch itself


def test_the_watch_tells_a_step_from_a_suspend(clock: FakeClock, qapp: object) -> None:
    watch = ClockWatch(clock)
    seen: list[clockwatch.ClockChange] = []
    watch.changed.connect(seen.append)
    watch.start()
    clock.advance(5)
    assert seen == []  # time passing is no change
    clock.jump(-3600)
    clock.suspend(600)
    assert [(c.step, c.slept, c.source) for c in seen] == [(-3600, 0, "clock"), (0, 600, "clock")]
    clock.jump(0.2)
    assert seen[-1].step == 0 and seen[-1].slept == 0  # announced, below the tolerance: a wake only
    watch.stop()
    clock.jump(100)
    assert len(seen) == 3 and clock.next_deadline() is None  # stopped: nothing armed, nothing heard


def test_an_unannounced_step_is_measured_within_the_check_cadence(clock: FakeClock, qapp: object) -> None:
    watch = ClockWatch(clock, check_every=clockwatch.CHECK_SECONDS)
    seen: list[clockwatch.ClockChange] = []
    watch.changed.connect(seen.append)
    watch.start()
    clock.advance(10)
    clock.jump(3600, announce=False)  # libfaketime: nobody tells the process
    clock.advance(clockwatch.CHECK_SECONDS)
    assert [(c.step, c.source) for c in seen] == [(3600, "check")]
    watch.stop()
    assert clock.next_deadline() is None


# ---------------------------------------------------------------- every scheduler wakes


def test_a_forward_step_starts_due_deferred_work_at_once(deck: Deck) -> None:
    task = deck.add("seconds=1", schedule=Schedule(every=600))
    deck.step(2)
    assert _starts(deck, task.id) == [0]
    # The next window opens at +600 s of wall time; the dispatcher sleeps on monotonic time.
    deck.clock.jump(3600)
    deck.step(0)
    assert _starts(deck, task.id) == [0, 3602]  # at once, not after a sleep of up to MAX_SLEEP


def test_an_alarm_that_notices_a_step_wakes_the_dispatcher_too(deck: Deck) -> None:
    """No announcement and no measurement cadence: the alarm's own timer step notices the
    step, and the ClockWatch wakes the dispatcher from it (main slept up to 600 s)."""
    clock = deck.clock
    task = deck.add("seconds=1", schedule=Schedule(every=600))
    alarm = deck.engine.enqueue(TaskSpec("fake", ("seconds=1",), kind=Kind.EXACT, run_at=clock.now() + timedelta(seconds=30)))
    deck.step(2)
    clock.jump(3600, announce=False)
    deck.step(26)
    assert _starts(deck, task.id) == [0]  # nothing noticed yet: no scheduler woke
    # The alarm's timer wakes FINAL_APPROACH (1 s) before it, for its last short wait
    # (issue 14): that step notices the clock's step, finds the alarm overdue on the
    # wall clock and fires it, and the ClockWatch wakes the dispatcher from it.
    assert exact.FINAL_APPROACH == 1.0
    deck.step(1)
    assert _starts(deck, alarm.id) == [3629]
    assert _starts(deck, task.id) == [0, 3629]
    assert deferred.MAX_SLEEP > 30  # the dispatcher's own timer did not do it


def test_a_resume_starts_work_that_fell_due_during_the_suspend(deck: Deck) -> None:
    task = deck.add("seconds=1", run_at=deck.clock.now() + timedelta(minutes=20))
    reminder = deck.engine.enqueue(
        TaskSpec("fake", ("seconds=1",), kind=Kind.EXACT, run_at=deck.clock.now() + timedelta(minutes=30)))
    deck.step(60)
    deck.clock.suspend(3600)
    deck.step(0)
    assert _starts(deck, task.id) == [3660]
    assert _starts(deck, reminder.id) == [3660]


# ---------------------------------------------------------------- --in is elapsed time


@pytest.mark.parametrize("step", [3600, -3600])
def test_in_keeps_its_remaining_delay_across_a_step(deck: Deck, step: float) -> None:
    task = deck.engine.enqueue(_in(1200, deck.clock))
    deck.step(300)
    deck.clock.jump(step)
    deck.step(0)
    assert _starts(deck, task.id) == []
    deck.step(899)
    assert _starts(deck, task.id) == []
    deck.step(1)
    assert _starts(deck, task.id) == [1200 + step]  # 20 minutes of elapsed time after it was added
    (run,) = deck.task(task.id).runs
    assert run.due_at == run.started_at


def test_in_counts_a_suspend_as_elapsed_time(deck: Deck) -> None:
    task = deck.engine.enqueue(_in(1200, deck.clock))
    deck.step(300)
    deck.clock.suspend(3600)
    deck.step(0)
    assert _starts(deck, task.id) == [3900]  # the delay passed during the suspend: at once


@pytest.mark.parametrize("step", [3600, -3600])
def test_a_reminder_in_ten_minutes_is_elapsed_time(deck: Deck, step: float) -> None:
    now = deck.clock.now()
    alarm = deck.engine.enqueue(
        TaskSpec("fake", ("seconds=1",), kind=Kind.EXACT, run_at=now + timedelta(minutes=10), initial_delay=600))
    deck.step(60)
    deck.clock.jump(step)
    deck.step(539)
    assert _starts(deck, alarm.id) == []
    deck.step(1)
    assert _starts(deck, alarm.id) == [600 + step]
    (run,) = deck.task(alarm.id).runs
    assert run.detail is None  # on time by elapsed time: neither late nor missed


@pytest.mark.parametrize("step", [3600, -3600])
def test_at_and_periodic_windows_follow_the_wall_clock(deck: Deck, step: float) -> None:
    now = deck.clock.now()
    at = deck.add("seconds=1", run_at=now + timedelta(minutes=20))  # a wall-clock instant
    every = deck.add("seconds=1", schedule=Schedule(every=1800))
    deck.step(300)
    deck.clock.jump(step)
    deck.step(0)
    if step > 0:
        assert _starts(deck, at.id) == [3900]  # its instant passed with the step
        assert _starts(deck, every.id) == [0, 3900]  # as did the next window
    else:
        deck.step(3600 + 1200 - 300 - 1)
        assert _starts(deck, at.id) == []
        deck.step(1)
        assert _starts(deck, at.id) == [1200]  # at its wall instant, an hour of elapsed time later
        assert _starts(deck, every.id) == [0]
        deck.step(600)
        assert _starts(deck, every.id) == [0, 1800]  # the next window, by the wall clock


def test_only_tasks_still_waiting_out_their_delay_are_rebased(deck: Deck) -> None:
    clock = deck.clock
    delayed = deck.engine.enqueue(_in(1200, clock))
    at = deck.add("seconds=1", run_at=clock.now() + timedelta(minutes=20))
    series = deck.engine.enqueue(_in(1200, clock, schedule=Schedule(every=600)))  # --in places a series
    ran = deck.engine.enqueue(_in(1, clock, args=("fail",), retry=RetryPolicy(max_retries=1, delay=600)))
    deck.step(2)  # ``ran`` failed once: its backoff is not its initial delay
    assert deck.task(ran.id).attempts == 1
    before = {t: deck.task(t).next_run_at for t in (delayed.id, at.id, series.id, ran.id)}
    moved = clockwatch.rebase_delays(deck.store, -3600, clock.now_us())
    assert moved == [delayed.id]
    assert deck.task(delayed.id).next_run_at == before[delayed.id] - timedelta(hours=1)  # type: ignore[operator]
    assert all(deck.task(t).next_run_at == before[t] for t in (at.id, series.id, ran.id))


def test_an_alarm_step_that_notices_a_step_rebases_before_it_fires(deck: Deck) -> None:
    """No announcement: the alarm scheduler's own timer step is the first to see the wall
    clock an hour ahead; its elapsed-delay alarm must not fire then, but 10 minutes in."""
    alarm = deck.engine.enqueue(TaskSpec("fake", ("seconds=1",), kind=Kind.EXACT,
                                         run_at=deck.clock.now() + timedelta(minutes=10), initial_delay=600))
    deck.step(5)
    deck.clock.jump(3600, announce=False)
    deck.step(120)  # past the alarm's first timer step (at most exact.MAX_STEP)
    assert _starts(deck, alarm.id) == []
    assert [c.step for c in deck.engine.clockwatch.changes] == [3600]
    deck.step(474)
    assert _starts(deck, alarm.id) == []
    deck.step(1)
    assert _starts(deck, alarm.id) == [4200]
