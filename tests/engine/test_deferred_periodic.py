"""Periodic deferred work on the engine: --every with and without flex, --cron in
Europe/Berlin across the spring DST change, overlap skipping, one catch-up after
downtime (a new engine on the same database), and the retry budget per period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import rules
from engine.clock import FakeClock
from engine.model import Outcome, RetryPolicy, Schedule, State, StopReason
from tests.deferred_helpers import Deck, make_deck


@pytest.fixture
def deck(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Deck]:
    d = make_deck(tmp_path / "w.db", clock)
    yield d
    d.close()


def _starts(deck: Deck, task_id: str) -> list[datetime]:
    return [r.started_at for r in deck.task(task_id).runs if r.outcome is not Outcome.CANCELLED]


def test_every_runs_once_per_interval_and_stays_enqueued_between_runs(deck: Deck) -> None:
    t0 = deck.clock.now()
    task = deck.add("seconds=2", schedule=Schedule(every=60))
    deck.step(60 * 3 + 5)
    assert _starts(deck, task.id) == [t0 + timedelta(seconds=s) for s in (0, 60, 120, 180)]
    assert deck.state(task.id) is State.ENQUEUED
    assert deck.task(task.id).next_run_at == t0 + timedelta(seconds=240)


def test_the_minimum_interval_of_one_second_works(deck: Deck) -> None:
    t0 = deck.clock.now()
    task = deck.add("seconds=0.25", schedule=Schedule(every=1))
    deck.step(4.5)
    assert _starts(deck, task.id) == [t0 + timedelta(seconds=s) for s in range(5)]


def test_every_with_flex_runs_in_the_flex_window_of_each_period(deck: Deck) -> None:
    t0 = deck.clock.now()
    task = deck.add("seconds=1", schedule=Schedule(every=3600, flex=900))
    assert deck.task(task.id).next_run_at == t0 + timedelta(minutes=45)
    deck.step(3 * 3600)
    assert _starts(deck, task.id) == [t0 + timedelta(minutes=m) for m in (45, 105, 165)]


def test_flex_lets_a_constraint_wait_inside_the_window_without_losing_the_period(deck: Deck) -> None:
    from engine.model import Constraint

    t0 = deck.clock.now()
    deck.flip(Constraint.NETWORK, False)
    task = deck.add("seconds=1", schedule=Schedule(every=3600, flex=900), constraints=("network",))
    deck.step(50 * 60)
    assert _starts(deck, task.id) == []
    deck.flip(Constraint.NETWORK, True)  # at 09:50, inside the 09:45-10:00 window
    deck.step(3600)
    assert _starts(deck, task.id) == [t0 + timedelta(minutes=50), t0 + timedelta(minutes=105)]


def test_cron_in_berlin_across_the_spring_dst_change(tmp_path: Path, qapp: object) -> None:
    clock = FakeClock(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    deck = make_deck(tmp_path / "c.db", clock)
    task = deck.add("seconds=1", schedule=Schedule(cron="0 8 * * *", tz="Europe/Berlin"))
    assert deck.task(task.id).next_run_at == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)  # 08:00 CET
    deck.step(3 * 86400)
    assert _starts(deck, task.id) == [
        datetime(2026, 3, 28, 7, 0, tzinfo=UTC),  # 08:00 CET (UTC+1)
        datetime(2026, 3, 29, 6, 0, tzinfo=UTC),  # 08:00 CEST (UTC+2): the same wall time
        datetime(2026, 3, 30, 6, 0, tzinfo=UTC),
    ]
    deck.close()


def test_a_run_that_outlasts_its_period_skips_the_overlaps_and_records_them(deck: Deck) -> None:
    t0 = deck.clock.now()
    task = deck.add("seconds=150", schedule=Schedule(every=60))
    deck.step(150)
    runs = deck.task(task.id).runs
    skipped = [r for r in runs if r.stop_reason is StopReason.OVERLAP]
    assert len(skipped) == 1
    assert (skipped[0].outcome, skipped[0].due_at) == (Outcome.CANCELLED, t0 + timedelta(seconds=60))
    assert skipped[0].detail.startswith("skipped 1 period")  # the +60 window opened and closed while it ran
    # The +120 window is still open at +150: the next run starts at once, not at +180.
    assert deck.state(task.id) is State.RUNNING
    assert _starts(deck, task.id) == [t0, t0 + timedelta(seconds=150)]


def test_one_catch_up_run_after_three_hours_of_downtime(tmp_path: Path, clock: FakeClock, qapp: object) -> None:
    path = tmp_path / "down.db"
    t0 = clock.now()
    deck = make_deck(path, clock)
    task = deck.add("seconds=1", schedule=Schedule(every=600))
    deck.step(601)  # runs at 09:00 and 09:10
    deck.close()  # the owner quits
    clock.advance(3 * 3600)  # nothing runs for 3 h: 18 periods pass
    again = make_deck(path, clock)  # a new engine on the same database
    again.step(1)
    runs = again.task(task.id).runs
    assert _starts(again, task.id) == [t0, t0 + timedelta(minutes=10), t0 + timedelta(hours=3, seconds=601)]
    catch_up = [r for r in runs if r.outcome is not Outcome.CANCELLED][-1]
    assert catch_up.due_at == t0 + timedelta(minutes=20)  # the overdue period, run once
    assert not [r for r in runs if r.stop_reason is StopReason.OVERLAP]  # downtime is not overlap
    # The periods that passed meanwhile are recorded as coalesced into the catch-up:
    # from 09:30 to the 12:10 one it started in.
    (coalesced,) = [r for r in runs if r.stop_reason is StopReason.COALESCED]
    assert rules.recorded_windows(coalesced.detail) == (t0 + timedelta(minutes=30), t0 + timedelta(hours=3, minutes=10))
    # The catch-up served the current period (12:10-12:20): the next is 12:20, not at once.
    assert again.task(task.id).next_run_at == t0 + timedelta(hours=3, minutes=20)
    again.step(600)
    assert len(_starts(again, task.id)) == 4
    again.close()


def test_periodic_failures_retry_within_the_period_then_wait_for_the_next(deck: Deck) -> None:
    t0 = deck.clock.now()
    task = deck.add("fail", "seconds=1", schedule=Schedule(every=600), retry=RetryPolicy(max_retries=1, delay=10))
    deck.step(1)  # attempt 1 fails: retry in 10 s
    assert deck.task(task.id).next_run_at == t0 + timedelta(seconds=11)
    assert deck.engine.why(task.id).startswith("backing off until")
    deck.step(11)  # the retry fails: the budget is spent; the next period
    assert deck.state(task.id) is State.ENQUEUED
    assert deck.task(task.id).next_run_at == t0 + timedelta(minutes=10)
    assert deck.engine.why(task.id).startswith("waiting for its next period")
    deck.step(600 - 12 + 1)  # the 09:10 run fails; a new period, a fresh budget: retried again
    assert deck.task(task.id).next_run_at == t0 + timedelta(minutes=10, seconds=11)
