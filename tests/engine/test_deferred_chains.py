"""Chains (fan-in, output merge, failure and cancel propagation), every unique-work
policy, and bad input that must write nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.errors import BadSpecError, BadTimeError
from engine.model import Kind, Outcome, RetryPolicy, Schedule, State, StopReason, UniquePolicy
from tests.deferred_helpers import Deck, dspec, make_deck


@pytest.fixture
def deck(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Deck]:
    d = make_deck(tmp_path / "w.db", clock, max_deferred=8)
    yield d
    d.close()


def test_fan_in_waits_for_every_parent_and_merges_their_output(deck: Deck) -> None:
    a = deck.add("seconds=1", "out=who:a", "out=a:1")
    b = deck.add("seconds=5", "out=who:b", "out=b:2")
    child = deck.add("hold", after=(a.id, b.id), input={"own": "x", "who": "mine"})
    assert deck.state(child.id) is State.BLOCKED
    deck.step(1)
    assert deck.state(a.id) is State.SUCCEEDED
    assert deck.state(child.id) is State.BLOCKED  # b still runs
    deck.step(4)
    assert deck.state(child.id) is State.RUNNING
    ctx = deck.runner.jobs[child.id].ctx
    # Parents in --after order (a later parent wins a shared key), the task's own input last.
    assert ctx.input == {"who": "mine", "a": "1", "b": "2", "attempt": 1, "own": "x"}
    deck.runner.finish(child.id)


def test_a_failed_parent_cancels_all_descendants_with_the_reason(deck: Deck) -> None:
    root = deck.add("fail", retry=RetryPolicy(max_retries=1, delay=5))
    mid = deck.add(after=(root.id,))
    other = deck.add("seconds=1")
    leaf = deck.add(after=(mid.id, other.id))
    deck.step(1)
    assert deck.state(mid.id) is State.BLOCKED  # retries are not failure yet
    deck.step(5 + 1)
    assert deck.state(root.id) is State.FAILED
    for task in (mid, leaf):
        final = deck.task(task.id)
        assert final.state is State.CANCELLED
        assert final.runs[-1].stop_reason is StopReason.PARENT_FAILED
    assert deck.task(mid.id).runs[-1].detail == f"parent {root.id} failed"
    assert deck.task(leaf.id).runs[-1].detail == f"parent {mid.id} failed"
    assert deck.state(other.id) is State.SUCCEEDED  # not a descendant
    late = deck.add(after=(root.id,))  # chained after an already failed task: cancelled at birth
    assert deck.state(late.id) is State.CANCELLED
    assert deck.task(late.id).runs[-1].stop_reason is StopReason.PARENT_FAILED


def test_cancelling_a_parent_cancels_its_chain(deck: Deck) -> None:
    root = deck.add("hold")
    child = deck.add(after=(root.id,))
    grandchild = deck.add(after=(child.id,))
    deck.engine.cancel(root.id)
    deck.step(0)
    assert [deck.state(t.id) for t in (root, child, grandchild)] == [State.CANCELLED] * 3
    assert deck.task(grandchild.id).runs[-1].stop_reason is StopReason.PARENT_CANCELLED


def test_keep_returns_the_existing_unfinished_task(deck: Deck) -> None:
    first = deck.add("hold", name="backup")
    again = deck.add(name="backup", policy=UniquePolicy.KEEP)
    assert again.id == first.id
    assert len(deck.engine.tasks(name="backup")) == 1
    deck.runner.finish(first.id)
    fresh = deck.add("hold", name="backup", policy=UniquePolicy.KEEP)  # the old one finished
    assert fresh.id != first.id
    deck.runner.finish(fresh.id)


def test_replace_cancels_a_running_one_and_its_chain(deck: Deck) -> None:
    old = deck.add("hold", name="backup")
    old_child = deck.add(after=(old.id,))
    new = deck.add(name="backup", policy=UniquePolicy.REPLACE)
    deck.step(0)
    assert deck.state(old.id) is State.CANCELLED
    assert deck.task(old.id).runs[-1].stop_reason is StopReason.REPLACED
    assert deck.state(old_child.id) is State.CANCELLED
    assert deck.state(new.id) is State.RUNNING
    pending = deck.add(name="later", run_at=deck.clock.now() + timedelta(hours=1))
    deck.add(name="later", policy=UniquePolicy.REPLACE, run_at=deck.clock.now() + timedelta(hours=2))
    assert deck.state(pending.id) is State.CANCELLED


def test_append_chains_after_the_leaves_of_the_named_work(deck: Deck) -> None:
    first = deck.add("hold", "out=step:1", name="etl")
    second = deck.add(name="etl", policy=UniquePolicy.APPEND)
    third = deck.add(name="etl", policy=UniquePolicy.APPEND)
    assert deck.task(second.id).spec.after == (first.id,)
    assert deck.task(third.id).spec.after == (second.id,)  # after the leaf, not the root
    deck.runner.finish(first.id, output={"step": 1})
    assert deck.state(second.id) is State.RUNNING
    deck.step(1)
    assert deck.state(third.id) is State.RUNNING


def test_append_after_failed_work_is_cancelled_append_or_replace_starts_fresh(deck: Deck) -> None:
    failed = deck.add("fail", name="etl")
    deck.step(1)
    assert deck.state(failed.id) is State.FAILED
    appended = deck.add(name="etl", policy=UniquePolicy.APPEND)
    assert deck.state(appended.id) is State.CANCELLED
    assert deck.task(appended.id).runs[-1].stop_reason is StopReason.PARENT_FAILED
    fresh = deck.add(name="etl", policy=UniquePolicy.APPEND_OR_REPLACE)
    assert deck.task(fresh.id).spec.after == ()
    assert deck.state(fresh.id) is State.RUNNING


def test_append_or_replace_appends_while_the_work_is_unfinished(deck: Deck) -> None:
    first = deck.add("hold", name="etl")
    second = deck.add(name="etl", policy=UniquePolicy.APPEND_OR_REPLACE)
    assert deck.task(second.id).spec.after == (first.id,)
    deck.runner.finish(first.id)


def test_update_changes_the_spec_in_place_keeping_identity(deck: Deck) -> None:
    now = deck.clock.now()
    periodic = deck.add("hold", name="sync", schedule=Schedule(every=3600))
    deck.runner.finish(periodic.id)  # first period done: next at +1 h
    assert deck.task(periodic.id).next_run_at == now + timedelta(hours=1)
    updated = deck.add(name="sync", policy=UniquePolicy.UPDATE, schedule=Schedule(every=600), tags=("t",))
    assert updated.id == periodic.id
    task = deck.task(periodic.id)
    assert task.spec.schedule == Schedule(every=600)
    assert task.spec.tags == ("t",)
    assert task.attempts == 1  # history kept
    assert task.next_run_at == now + timedelta(minutes=10)  # the new rhythm from the last run
    with pytest.raises(BadSpecError, match="cannot turn task .* into immediate"):
        deck.engine.enqueue(dspec(name="sync", policy=UniquePolicy.UPDATE, kind=Kind.IMMEDIATE))


def test_update_of_a_running_task_applies_from_its_next_run(deck: Deck) -> None:
    running = deck.add("hold", name="sync", schedule=Schedule(every=60))
    deck.add("seconds=3", name="sync", policy=UniquePolicy.UPDATE, schedule=Schedule(every=60))
    assert deck.state(running.id) is State.RUNNING
    assert deck.runner.jobs[running.id].ctx.args == ("hold",)
    deck.runner.finish(running.id)
    deck.step(60)
    assert deck.runner.jobs[running.id].ctx.args == ("seconds=3",)
    deck.step(3)


def test_a_new_rhythm_given_while_running_decides_the_next_period(deck: Deck) -> None:
    """The run's end reads the task as another writer left it, not as it was at the start."""
    start = deck.clock.now()
    running = deck.add("hold", name="sync", schedule=Schedule(every=60))
    deck.add("hold", name="sync", policy=UniquePolicy.UPDATE, schedule=Schedule(every=600))
    deck.clock.advance(5)
    deck.runner.finish(running.id)
    task = deck.task(running.id)
    assert task.state is State.ENQUEUED
    assert task.next_run_at == start + timedelta(seconds=600)


def test_update_that_would_make_a_cycle_is_refused_and_writes_nothing(deck: Deck) -> None:
    a = deck.add("hold", name="a")
    b = deck.add(after=(a.id,), name="b")
    before = deck.task(a.id)
    with pytest.raises(BadSpecError, match=f"--after {b.id}: that would make a cycle"):
        deck.engine.enqueue(dspec("hold", name="a", policy=UniquePolicy.UPDATE, after=(b.id,)))
    assert deck.task(a.id).spec == before.spec
    assert deck.store.parents(a.id) == []
    with pytest.raises(BadSpecError, match="cannot wait for itself"):
        deck.engine.enqueue(dspec(name="b", policy=UniquePolicy.UPDATE, after=(b.id,)))
    deck.runner.finish(a.id)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: dspec(constraints=("wifi",)), BadSpecError, "unknown constraint 'wifi'"),
        (lambda: dspec(schedule=Schedule(cron="61 * * * *")), BadTimeError, "invalid cron expression"),
        (lambda: dspec(after=("nosuchtask",)), BadSpecError, "--after nosuchtask: no such task"),
        (lambda: dspec(retry=RetryPolicy(max_retries=-1)), BadSpecError, "retries must be 0 or more"),
        (lambda: dspec(schedule=Schedule(every=0)), BadSpecError, "must be positive"),
        (lambda: dspec(schedule=Schedule(every=-5)), BadSpecError, "must be positive"),
        (lambda: dspec(schedule=Schedule(every=0.5)), BadSpecError, "at least 1s, not 500ms"),
        (lambda: dspec(schedule=Schedule(every=60, flex=120)), BadSpecError, "flex window"),
        (lambda: dspec(name="p", policy=UniquePolicy.APPEND, schedule=Schedule(every=60)), BadSpecError, "cannot be appended"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(deck: Deck, make, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message) as raised:
        deck.engine.enqueue(make())
    assert "\n" not in str(raised.value)
    assert raised.value.exit_status == 2
    assert deck.engine.tasks() == []


def test_chaining_after_periodic_work_is_refused(deck: Deck) -> None:
    periodic = deck.add("hold", schedule=Schedule(every=60))
    with pytest.raises(BadSpecError, match="repeats and never finishes"):
        deck.add(after=(periodic.id,))
    assert len(deck.engine.tasks()) == 1
    deck.runner.finish(periodic.id, Outcome.SUCCEEDED)
