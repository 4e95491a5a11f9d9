"""The deferred rules as plain functions: backoff arithmetic, periodic windows, cron
across DST, the retry budget per period. No event loop, no store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from engine import rules
from engine.errors import BadSpecError
from engine.model import Backoff, Kind, Outcome, RetryPolicy, Run, Schedule, State, StopReason, Task, TaskSpec

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _task(schedule: Schedule | None = None, retries: int = 0, **spec: object) -> Task:
    return Task(
        "t1",
        TaskSpec("fake", kind=Kind.DEFERRED, schedule=schedule, retry=RetryPolicy(max_retries=retries), **spec),
        State.RUNNING,
        T0,
    )


def _run(due: datetime, started: datetime | None = None, outcome: Outcome | None = None, attempt: int = 1) -> Run:
    return Run(attempt, "t1", attempt, started or due, due_at=due, outcome=outcome)


@pytest.mark.parametrize(
    ("backoff", "delay", "expected"),
    [
        (Backoff.EXPONENTIAL, 30.0, [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 18000, 18000]),
        (Backoff.LINEAR, 30.0, [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330, 360]),
        (Backoff.LINEAR, 3600.0, [3600, 7200, 10800, 14400, 18000, 18000, 18000, 18000, 18000, 18000, 18000, 18000]),
    ],
)
def test_backoff_arithmetic_and_the_five_hour_cap(backoff: Backoff, delay: float, expected: list[int]) -> None:
    policy = RetryPolicy(max_retries=50, backoff=backoff, delay=delay)
    assert [rules.backoff_delay(policy, n) for n in range(1, 13)] == expected


def test_the_default_is_30s_exponential_without_jitter() -> None:
    policy = RetryPolicy(max_retries=3)
    assert (policy.backoff, policy.delay, policy.jitter) == (Backoff.EXPONENTIAL, 30.0, 0.0)
    assert [rules.backoff_delay(policy, n) for n in (1, 2, 3)] == [30, 60, 120]
    assert rules.backoff_delay(policy, 10_000) == rules.MAX_BACKOFF == 5 * 3600


def test_jitter_only_shortens_and_stays_under_the_cap() -> None:
    policy = RetryPolicy(max_retries=50, delay=30, jitter=0.5)
    rng = random.Random(7)
    delays = [rules.backoff_delay(policy, 3, rng) for _ in range(200)]
    assert all(60 <= d <= 120 for d in delays)
    assert len(set(delays)) > 100  # really random
    assert all(rules.backoff_delay(policy, 40, rng) <= rules.MAX_BACKOFF for _ in range(50))


@pytest.mark.parametrize("bad", [{"max_retries": -1}, {"delay": -1}, {"jitter": 1.5}])
def test_bad_retry_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(BadSpecError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_after_run_retries_until_the_budget_is_spent_then_fails_and_cascades() -> None:
    task = _task(retries=2)
    first = rules.after_run(task, Outcome.FAILED, None, T0, failures=1)
    assert (first.state, first.next_run_at) == (State.ENQUEUED, T0 + timedelta(seconds=30))
    second = rules.after_run(task, Outcome.TIMED_OUT, StopReason.TIMED_OUT, T0, failures=2)
    assert second.next_run_at == T0 + timedelta(seconds=60)
    last = rules.after_run(task, Outcome.FAILED, None, T0, failures=3)
    assert (last.state, last.cascade) == (State.FAILED, StopReason.PARENT_FAILED)


def test_interruptions_never_spend_a_retry() -> None:
    task = _task(retries=0)
    decision = rules.after_run(task, Outcome.INTERRUPTED, StopReason.CONSTRAINT_LOST, T0, failures=0)
    assert (decision.state, decision.next_run_at) == (State.ENQUEUED, T0)
    assert rules.outcome_for(Outcome.CANCELLED, StopReason.CONSTRAINT_LOST) is Outcome.INTERRUPTED
    assert rules.outcome_for(Outcome.CANCELLED, StopReason.TIMED_OUT) is Outcome.TIMED_OUT
    assert rules.outcome_for(Outcome.CANCELLED, StopReason.REPLACED) is Outcome.CANCELLED
    runs = [_run(T0, outcome=Outcome.FAILED), _run(T0, outcome=Outcome.INTERRUPTED, attempt=2)]
    assert rules.failures_in_period(task, runs) == 1


def test_every_without_flex_runs_at_once_then_each_interval() -> None:
    spec = TaskSpec("fake", kind=Kind.DEFERRED, schedule=Schedule(every=60))
    assert rules.first_due(spec, "t", T0) == T0
    task = Task("t", spec, State.RUNNING, T0)
    nxt, skipped = rules.next_window(task, T0 + timedelta(seconds=5), _run(T0))
    assert (nxt, skipped) == (T0 + timedelta(seconds=60), None)


def test_every_with_flex_runs_in_the_last_part_of_each_period() -> None:
    spec = TaskSpec("fake", kind=Kind.DEFERRED, schedule=Schedule(every=3600, flex=600))
    first = rules.first_due(spec, "t", T0)
    assert first == T0 + timedelta(minutes=50)  # WorkManager: the first run waits for its flex window
    task = Task("t", spec, State.RUNNING, T0)
    # A run inside the window (at 09:55) belongs to the 10:00 period; the next window opens at 10:50.
    nxt, _ = rules.next_window(task, T0 + timedelta(minutes=56), _run(T0 + timedelta(minutes=55)))
    assert nxt == T0 + timedelta(minutes=110)
    # A retry that became due after the window closed (10:03) still counts for the 10:00 period.
    assert rules.window_of(task, T0 + timedelta(minutes=63)) == T0 + timedelta(hours=1)


def test_an_initial_delay_anchors_the_periods() -> None:
    spec = TaskSpec("fake", kind=Kind.DEFERRED, schedule=Schedule(every=600), run_at=T0 + timedelta(minutes=7))
    assert rules.first_due(spec, "t", T0) == T0 + timedelta(minutes=7)


def test_a_run_longer_than_its_period_skips_the_overlapping_windows() -> None:
    task = _task(Schedule(every=60))
    ended = T0 + timedelta(seconds=200)  # started at T0 in the window [T0, T0+60]
    nxt, skipped = rules.next_window(task, ended, _run(T0))
    # Windows opened at +60, +120 while it ran (skipped); the +180 window is open now: run at once.
    assert nxt == T0 + timedelta(seconds=180)
    assert skipped is not None
    assert (skipped.count, skipped.first, skipped.last) == (2, T0 + timedelta(seconds=60), T0 + timedelta(seconds=120))
    assert "skipped 2 periods" in skipped.describe(1)


def test_downtime_gives_one_catch_up_not_one_run_per_missed_period() -> None:
    task = _task(Schedule(every=600))
    due = T0 + timedelta(minutes=10)
    late = T0 + timedelta(hours=3, minutes=1)
    # The catch-up run started 3 h late and took 10 s: the periods missed while no
    # engine ran are not run one by one, nor called overlaps: they are coalesced into
    # the catch-up (recorded), which is credited to the window it was due in; the next
    # is the one after the window it started in.
    accounting = rules.account_windows(task, late + timedelta(seconds=10), _run(due, started=late))
    assert accounting.next_due == T0 + timedelta(hours=3, minutes=10)
    assert accounting.skipped is None
    assert rules.run_window(task, _run(due, started=late)) == T0 + timedelta(minutes=20)
    coalesced = accounting.coalesced
    assert coalesced is not None
    # Windows opening 09:20 .. 12:00 (the one the catch-up started in): 17 of them.
    assert (coalesced.count, coalesced.first, coalesced.last) == (
        17, T0 + timedelta(minutes=20), T0 + timedelta(hours=3))
    assert rules.recorded_windows(coalesced.describe(2)) == (coalesced.first, coalesced.last)


def test_cron_in_the_local_zone_across_the_spring_dst_change() -> None:
    berlin = "Europe/Berlin"
    spec = TaskSpec("fake", kind=Kind.DEFERRED, schedule=Schedule(cron="30 2 * * *", tz=berlin))
    # 2026-03-29 is the spring change in Berlin: 02:30 does not exist that night.
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    first = rules.first_due(spec, "t", before)
    assert first == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, the first instant after the gap
    task = Task("t", spec, State.RUNNING, before)
    nxt, _ = rules.next_window(task, first + timedelta(seconds=5), _run(first))
    assert nxt == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST again the next night
    daily = TaskSpec("fake", kind=Kind.DEFERRED, schedule=Schedule(cron="0 8 * * *", tz=berlin))
    d1 = rules.first_due(daily, "t", datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert d1 == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST (UTC+2); the day before it was 07:00 UTC


def test_the_retry_budget_is_per_period_for_periodic_work() -> None:
    task = _task(Schedule(every=60), retries=1)
    runs = [
        _run(T0, outcome=Outcome.FAILED),
        _run(T0 + timedelta(seconds=31), outcome=Outcome.FAILED, attempt=2),  # its retry: budget spent
        _run(T0 + timedelta(seconds=60), outcome=Outcome.FAILED, attempt=3),  # the next period: fresh budget
    ]
    assert rules.failures_in_period(task, runs[:2]) == 2
    assert rules.failures_in_period(task, runs) == 1
    spent = rules.after_run(task, Outcome.FAILED, None, T0 + timedelta(seconds=32), 2, runs[1])
    assert spent.state is State.ENQUEUED and spent.next_run_at == T0 + timedelta(seconds=60)
    assert spent.detail == "failed; waits for its next period"
