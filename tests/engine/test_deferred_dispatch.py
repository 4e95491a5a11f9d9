"""The dispatcher on the fake clock: due times, retries, timeouts, constraints (and
losing one mid-run), slots, immediate first, pause, cancel, no polling, and why()."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine import deferred
from engine.clock import FakeClock, to_us
from engine.errors import NoSuchTaskError
from engine.model import Constraint, Kind, Outcome, RetryPolicy, State, StopReason
from tests.deferred_helpers import Deck, make_deck


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")  # why() prints local wall times


@pytest.fixture
def deck(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Deck]:
    d = make_deck(tmp_path / "w.db", clock)
    yield d
    d.close()


def test_defer_runs_at_once_and_in_runs_after_its_delay(deck: Deck) -> None:
    now = deck.clock.now()
    at_once = deck.add()
    later = deck.add(run_at=now + timedelta(seconds=90))
    assert deck.state(at_once.id) is State.RUNNING
    assert deck.state(later.id) is State.ENQUEUED
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(seconds=90))
    deck.step(89.999)
    assert deck.state(later.id) is State.ENQUEUED
    deck.step(0.001)
    assert deck.state(later.id) is State.RUNNING
    deck.step(1)
    run = deck.task(later.id).runs[-1]
    assert (run.outcome, run.due_at, run.started_at) == (Outcome.SUCCEEDED, later.next_run_at, later.next_run_at)


def test_retries_back_off_exponentially_then_the_task_fails(deck: Deck) -> None:
    task = deck.add("fail", retry=RetryPolicy(max_retries=2, delay=10))
    deck.step(1)  # attempt 1 fails at +1 s: retry at +11
    assert deck.task(task.id).next_run_at == deck.clock.now() + timedelta(seconds=10)
    deck.step(10 + 1)  # attempt 2 fails at +12: retry at +32
    assert deck.task(task.id).next_run_at == deck.clock.now() + timedelta(seconds=20)
    deck.step(20 + 1)
    final = deck.task(task.id)
    assert final.state is State.FAILED
    assert [r.outcome for r in final.runs] == [Outcome.FAILED] * 3
    assert [r.detail for r in final.runs[:2]] == ["retry 1 of 2 after 10s", "retry 2 of 2 after 20s"]
    assert final.attempts == 3


def test_a_retry_that_succeeds_ends_the_task(deck: Deck) -> None:
    task = deck.add("fail_first=1", retry=RetryPolicy(max_retries=5, delay=30))
    deck.step(1 + 30 + 1)
    final = deck.task(task.id)
    assert final.state is State.SUCCEEDED
    assert final.output == {"attempt": 2}


def test_a_timeout_stops_the_run_and_counts_as_a_failure(deck: Deck) -> None:
    task = deck.add("seconds=100", timeout=5, retry=RetryPolicy(max_retries=1, delay=1))
    deck.step(5)
    assert deck.task(task.id).runs[-1].outcome is Outcome.TIMED_OUT
    assert deck.task(task.id).runs[-1].stop_reason is StopReason.TIMED_OUT
    assert deck.state(task.id) is State.ENQUEUED  # its one retry
    deck.step(1 + 5)
    final = deck.task(task.id)
    assert final.state is State.FAILED
    assert [r.stop_reason for r in final.runs] == [StopReason.TIMED_OUT, StopReason.TIMED_OUT]


def test_constraints_hold_a_task_until_the_source_says_they_are_met(deck: Deck) -> None:
    deck.flip(Constraint.NETWORK, False, "waiting for network (offline)")
    task = deck.add(constraints=("network", "ac-power"))
    assert deck.state(task.id) is State.ENQUEUED
    assert deck.engine.why(task.id) == "waiting for network (offline)"
    assert Constraint.NETWORK in deck.engine.conditions.watched
    assert deck.engine.dispatcher.armed_for is None  # nothing to wake for but the source
    deck.flip(Constraint.NETWORK, True)
    assert deck.state(task.id) is State.RUNNING


def test_a_constraint_lost_mid_run_stops_it_and_it_runs_again_without_spending_a_retry(deck: Deck) -> None:
    task = deck.add("seconds=60", constraints=("ac-power",), retry=RetryPolicy(max_retries=0))
    deck.step(10)
    deck.flip(Constraint.AC_POWER, False, "waiting for AC power (on battery, 80%)")
    deck.step(0)
    stopped = deck.task(task.id)
    assert stopped.state is State.ENQUEUED
    assert (stopped.runs[-1].outcome, stopped.runs[-1].stop_reason) == (Outcome.INTERRUPTED, StopReason.CONSTRAINT_LOST)
    assert deck.engine.why(task.id) == "waiting for AC power (on battery, 80%)"
    deck.step(3600)
    assert deck.state(task.id) is State.ENQUEUED  # no polling rescue: only the source wakes it
    deck.flip(Constraint.AC_POWER, True)
    assert deck.state(task.id) is State.RUNNING
    deck.step(60)
    final = deck.task(task.id)
    assert final.state is State.SUCCEEDED  # with max_retries=0: the loss was not a failure
    assert [r.outcome for r in final.runs] == [Outcome.INTERRUPTED, Outcome.SUCCEEDED]


def test_background_constraint_follows_the_engine_setter(tmp_path: Path, clock: FakeClock, qapp: object) -> None:
    from engine.conditions import Conditions, StaticSource
    from engine.engine import Engine
    from engine.store import Store
    from tests.deferred_helpers import FakeRunner, dspec

    store = Store(tmp_path / "b.db")
    # No background source given: the engine's own setter drives it, unmet at first.
    engine = Engine(store, clock, runner=FakeRunner(clock), conditions=Conditions([StaticSource(Constraint.NETWORK)]))
    engine.start()
    task = engine.enqueue(dspec(constraints=("background",)))
    assert engine.why(task.id) == "waiting for the app to be in the background"
    engine.set_background(True)
    assert store.task(task.id).state is State.RUNNING
    engine.stop()
    store.close()


def test_at_start_due_work_that_needs_no_condition_starts_before_the_sources_do(
        tmp_path: Path, clock: FakeClock, qapp: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: the sources connect to the system when they start (the network's Qt
    backend, the session bus), which a first run that needs no condition does not wait
    for; nor for the clock watch's platform listeners. A task that needs a condition is
    started once its source has."""
    deck = make_deck(tmp_path / "s.db", clock, start=False)
    try:
        plain = deck.add("hold")
        needy = deck.add("hold", constraints=("network",))
        seen: list[tuple[str, list[str], bool]] = []
        conditions = deck.engine.dispatcher.conditions
        start_sources = conditions.start
        monkeypatch.setattr(conditions, "start", lambda: (
            seen.append(("sources", list(deck.runner.started), deck.engine.clockwatch.running)), start_sources()))
        submit = deck.runner.submit
        monkeypatch.setattr(deck.runner, "submit", lambda worker, ctx, priority=0: (
            seen.append(("submit", [ctx.task_id], deck.engine.clockwatch.running)), submit(worker, ctx, priority))[1])
        deck.engine.start()
        assert seen == [("submit", [plain.id], False), ("sources", [plain.id], False), ("submit", [needy.id], False)]
        assert deck.engine.clockwatch.running
        assert Constraint.NETWORK in conditions.watched  # the full pass watches what the running task needs
    finally:
        deck.close()


def test_at_start_no_task_overtakes_one_due_before_it_that_needs_a_condition(
        tmp_path: Path, clock: FakeClock, qapp: object) -> None:
    """The pass before the sources start stops at the first due task that needs a
    condition: with one slot, the earlier task that needs the network (which holds) runs
    first, not the later one that needs nothing."""
    deck = make_deck(tmp_path / "o.db", clock, max_deferred=1, start=False)
    try:
        needy = deck.add("hold", constraints=("network",))
        deck.step(1)
        plain = deck.add("hold")
        deck.engine.start()
        assert deck.runner.started == [needy.id]
        assert deck.state(plain.id) is State.ENQUEUED
        deck.runner.finish(needy.id)
        assert deck.runner.started == [needy.id, plain.id]
    finally:
        deck.close()


def test_at_most_n_deferred_at_once_and_immediate_work_goes_first(deck: Deck) -> None:
    deferred = [deck.add("seconds=10") for _ in range(4)]
    assert [deck.state(t.id) for t in deferred] == [State.RUNNING] * 2 + [State.ENQUEUED] * 2
    assert deck.engine.why(deferred[2].id) == "waiting for a free slot (2 of 2 deferred runs busy)"
    immediate = deck.add("seconds=10", kind=Kind.IMMEDIATE)
    assert deck.state(immediate.id) is State.RUNNING  # not bound by the deferred slots
    assert deck.runner.priorities[immediate.id] > deck.runner.priorities[deferred[0].id]
    deck.step(10)  # two finish: the next two start in due order
    assert [deck.state(t.id) for t in deferred] == [State.SUCCEEDED] * 2 + [State.RUNNING] * 2
    assert deck.runner.started.index(deferred[2].id) < deck.runner.started.index(deferred[3].id)


def test_a_run_ending_looks_at_the_queue_only_when_a_slot_is_awaited(deck: Deck, monkeypatch) -> None:
    """A completion with nothing waiting for its slot needs no pass over the queue (a
    pass per completion was a tenth of the main thread's time per task at 200 runs a
    second); one that frees a slot due work waits for starts that work."""
    pages: list[Kind] = []
    due_page = deck.store.due_page
    monkeypatch.setattr(deck.store, "due_page", lambda state, now, kind, **kw: pages.append(kind) or due_page(
        state, now, kind, **kw))
    alone = deck.add("seconds=10")
    assert deck.state(alone.id) is State.RUNNING
    pages.clear()
    deck.step(10)
    assert deck.state(alone.id) is State.SUCCEEDED
    assert pages == []
    waiting = [deck.add("seconds=10") for _ in range(3)]  # two slots: the third waits
    assert deck.state(waiting[2].id) is State.ENQUEUED
    pages.clear()
    deck.step(10)
    assert deck.state(waiting[2].id) is State.RUNNING
    assert Kind.DEFERRED in pages
    pages.clear()
    deck.step(10)  # the last one ends; the pass that started it found nothing more
    assert deck.state(waiting[2].id) is State.SUCCEEDED
    assert pages == []


def test_a_freed_slot_looks_at_deferred_work_only_and_arms_for_the_ended_task(deck: Deck, monkeypatch) -> None:
    """A backlog draining: each completion starts the next deferred task without a pass
    over immediate work or a query for the next due time; a retry of the task that
    ended still gets the timer, and runs when its delay is up."""
    pages: list[Kind] = []
    due_page = deck.store.due_page
    monkeypatch.setattr(deck.store, "due_page", lambda state, now, kind, **kw: pages.append(kind) or due_page(
        state, now, kind, **kw))
    after = deck.store.next_due_after
    lookups: list[int] = []
    monkeypatch.setattr(deck.store, "next_due_after", lambda *a, **kw: lookups.append(1) or after(*a, **kw))
    retried = deck.add("seconds=10", "fail_first=1", retry=RetryPolicy(max_retries=1, delay=300))
    backlog = [deck.add("seconds=10") for _ in range(3)]
    assert deck.state(backlog[1].id) is State.ENQUEUED
    pages.clear()
    lookups.clear()
    deck.step(10)  # two end, one of them to retry in 300 s: two of the backlog start
    assert [deck.state(t.id) for t in backlog] == [State.SUCCEEDED, State.RUNNING, State.RUNNING]
    assert deck.state(retried.id) is State.ENQUEUED
    assert Kind.IMMEDIATE not in pages and lookups == []
    assert deck.engine.dispatcher.armed_for == to_us(deck.task(retried.id).next_run_at)
    deck.step(10)
    deck.step(289.999)
    assert deck.state(retried.id) is State.ENQUEUED
    deck.step(0.001)  # 300 s after it failed
    assert deck.state(retried.id) is State.RUNNING
    deck.step(10)
    assert deck.state(retried.id) is State.SUCCEEDED


def test_a_freed_slot_is_claimed_in_the_transaction_that_ends_the_run(deck: Deck) -> None:
    """Group commit: a run's end, the claim of the next run that waited for its slot and
    the process groups other runs began are one transaction (a commit costs ~100 us, a
    tenth of the engine's time per run while a backlog drains). Listeners still hear the end before the next start, and the
    next run's work is submitted only once its claim is committed."""
    running = [deck.add("seconds=10") for _ in range(2)]
    waiting = deck.add("seconds=10")
    commits: list[State] = []
    deck.store.after_commit = lambda: commits.append(deck.state(waiting.id))
    heard: list[tuple[str, str]] = []
    deck.engine.run_finished.connect(lambda run: heard.append(("finished", run.task_id)))
    deck.engine.run_started.connect(lambda run: heard.append(("started", run.task_id)))
    submitted = len(deck.runner.started)
    other_run = deck.task(running[1].id).runs[-1].id
    deck.engine._on_job_group(running[1].id, 4242, "4242 started")  # the other run's process group began
    deck.runner.finish(running[0].id)
    assert commits == [State.RUNNING]  # one commit, the claim in it
    assert deck.store.run_groups([other_run]) == {other_run: (4242, "4242 started")}  # named in it too
    assert heard == [("finished", running[0].id), ("started", waiting.id)]
    assert deck.runner.started[submitted:] == [waiting.id]
    assert deck.state(running[0].id) is State.SUCCEEDED
    run = deck.task(waiting.id).runs[-1]
    assert (run.attempt, run.ended_at) == (1, None)
    deck.step(10)
    assert deck.state(waiting.id) is State.SUCCEEDED


def test_a_dispatcher_failure_at_a_runs_end_undoes_only_the_claims(deck: Deck, monkeypatch, qtbot) -> None:
    """The claims ride in the end's transaction, but the end must not hang on them: if
    looking for the next run fails, the end commits without the claims and the error
    still reaches the caller, as when the end was a transaction of its own."""
    running = [deck.add("seconds=10") for _ in range(2)]
    waiting = deck.add("seconds=10")
    run_ended = deck.engine.dispatcher.run_ended

    def claim_then_fail(task, *, released):  # type: ignore[no-untyped-def]
        run_ended(task, released=released)
        raise RuntimeError("a bug in the dispatcher")

    monkeypatch.setattr(deck.engine.dispatcher, "run_ended", claim_then_fail)
    with qtbot.captureExceptions() as raised:  # the end is recorded from the runner's signal
        deck.runner.finish(running[0].id)
    assert [str(error) for _, error, _ in raised] == ["a bug in the dispatcher"]
    assert deck.state(running[0].id) is State.SUCCEEDED
    assert deck.task(running[0].id).runs[-1].outcome is Outcome.SUCCEEDED
    assert deck.state(waiting.id) is State.ENQUEUED and deck.task(waiting.id).runs == ()
    assert not deck.engine.is_running(waiting.id) and waiting.id not in deck.runner.jobs
    monkeypatch.setattr(deck.engine.dispatcher, "run_ended", run_ended)
    deck.engine.dispatcher.wake()
    assert deck.state(waiting.id) is State.RUNNING


def test_pause_holds_new_deferred_runs_and_resume_releases_them(deck: Deck) -> None:
    deck.engine.pause_deferred()
    task = deck.add()
    assert deck.state(task.id) is State.ENQUEUED
    assert deck.engine.why(task.id) == "deferred work is paused"
    immediate = deck.add(kind=Kind.IMMEDIATE)
    assert deck.state(immediate.id) is State.RUNNING  # pause is for deferred work
    deck.engine.resume_deferred()
    assert deck.state(task.id) is State.RUNNING


def test_cancel_by_id_tag_and_name_stops_running_ones(deck: Deck) -> None:
    running = deck.add("hold", tags=("nightly",))
    waiting = deck.add(tags=("nightly",), run_at=deck.clock.now() + timedelta(hours=1))
    named = deck.add(name="sync", run_at=deck.clock.now() + timedelta(hours=1))
    other = deck.add(run_at=deck.clock.now() + timedelta(hours=1))
    deck.engine.cancel_matching(tag="nightly")
    deck.step(0)
    assert deck.state(running.id) is State.CANCELLED
    assert deck.task(running.id).runs[-1].stop_reason is StopReason.CANCELLED_BY_USER
    assert deck.state(waiting.id) is State.CANCELLED
    deck.engine.cancel_matching(name="sync")
    assert deck.state(named.id) is State.CANCELLED
    deck.engine.cancel(other.id)
    assert deck.state(other.id) is State.CANCELLED
    assert deck.engine.dispatcher.armed_for is None  # nothing left to wake for
    with pytest.raises(NoSuchTaskError):
        deck.engine.cancel_matching(tag="nightly")


def test_one_timer_for_the_earliest_task_rearmed_on_enqueue_and_cancel(deck: Deck) -> None:
    now = deck.clock.now()
    late = deck.add(run_at=now + timedelta(hours=2))
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(hours=2))
    early = deck.add(run_at=now + timedelta(minutes=5))
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(minutes=5))
    deck.engine.cancel(early.id)
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(hours=2))
    # The timer sleeps at most MAX_SLEEP (monotonic timers stop in suspend), then re-arms.
    assert deck.clock.next_deadline() == pytest.approx(deferred.MAX_SLEEP)
    deck.step(600)
    assert deck.engine.dispatcher.armed_for == to_us(late.next_run_at)


def test_why_explains_backoff_block_and_finish(deck: Deck) -> None:
    failing = deck.add("fail", retry=RetryPolicy(max_retries=3, delay=30))
    child = deck.add(after=(failing.id,))
    assert deck.engine.why(child.id) == f"blocked by task {failing.id} (running)"
    deck.step(1)
    assert deck.engine.why(failing.id) == "backing off until 09:00:31 after attempt 1 failed"
    assert deck.engine.why(child.id) == f"blocked by task {failing.id} (enqueued)"
    deck.engine.cancel(failing.id)
    assert deck.engine.why(child.id) == f"cancelled (parent_cancelled: parent {failing.id} was cancelled)"


def test_a_stopped_engine_records_running_runs_as_interrupted_and_the_next_start_reruns_them(
    tmp_path: Path, clock: FakeClock, qapp: object
) -> None:
    deck = make_deck(tmp_path / "s.db", clock)
    task = deck.add("seconds=30", retry=RetryPolicy(max_retries=0))
    deck.engine.stop()
    assert deck.task(task.id).runs[-1].stop_reason is StopReason.SHUTDOWN
    deck.store.close()
    again = make_deck(tmp_path / "s.db", clock)
    assert again.state(task.id) is State.RUNNING
    again.step(30)
    assert [r.outcome for r in again.task(task.id).runs] == [Outcome.INTERRUPTED, Outcome.SUCCEEDED]
    again.close()
