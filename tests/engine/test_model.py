from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from engine.errors import BadSpecError, IllegalTransitionError
from engine.model import (
    FINISHED_STATES,
    MAX_DATA_BYTES,
    TRANSITIONS,
    Backoff,
    Constraint,
    Kind,
    RetryPolicy,
    Schedule,
    State,
    TaskSpec,
    UniquePolicy,
    transition,
)

LEGAL = {
    (State.ENQUEUED, State.RUNNING),
    (State.ENQUEUED, State.CANCELLED),
    (State.ENQUEUED, State.BLOCKED),
    (State.BLOCKED, State.ENQUEUED),
    (State.BLOCKED, State.CANCELLED),
    (State.SCHEDULED, State.RUNNING),
    (State.SCHEDULED, State.CANCELLED),
    (State.RUNNING, State.SUCCEEDED),
    (State.RUNNING, State.FAILED),
    (State.RUNNING, State.CANCELLED),
    (State.RUNNING, State.ENQUEUED),
    (State.RUNNING, State.SCHEDULED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(State, State)))
def test_every_pair_of_states(current: State, target: State) -> None:
    """The table is walked pair by pair: legal moves pass, every other one raises."""
    if (current, target) in LEGAL:
        assert transition(current, target, task_id="t1") is target
    else:
        with pytest.raises(IllegalTransitionError, match=f"t1: illegal transition {current} -> {target}"):
            transition(current, target, task_id="t1")


def test_finished_states_are_final() -> None:
    for state in FINISHED_STATES:
        assert state.finished
        assert TRANSITIONS[state] == frozenset()
    assert not State.RUNNING.finished


def test_spec_round_trips_through_json() -> None:
    spec = TaskSpec(
        worker="shell",
        args=["echo", "hi"],
        kind=Kind.DEFERRED,
        name="backup",
        policy=UniquePolicy.APPEND,
        tags=["b", "a", "b"],
        after=["p1", "p2", "p1"],
        retry=RetryPolicy(3, Backoff.LINEAR, 10),
        timeout=5,
        constraints=["network", Constraint.AC_POWER],
        input={"k": [1, 2]},
        run_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        schedule=Schedule(cron="0 8 * * *", tz="Europe/Berlin"),
    )
    assert spec.tags == ("a", "b")
    assert spec.after == ("p1", "p2")
    assert spec.constraints == (Constraint.AC_POWER, Constraint.NETWORK)
    assert TaskSpec.from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TaskSpec("shell", constraints=["wifi"]), "unknown constraint 'wifi'"),
        (lambda: RetryPolicy(max_retries=-1), "retries must be 0 or more"),
        (lambda: Schedule(every=0), "must be positive"),
        (lambda: Schedule(every=-5), "must be positive"),
        (lambda: Schedule(every=60, cron="* * * * *"), "one repeat rule"),
        (lambda: TaskSpec("shell", timeout=0), "timeout must be positive"),
        (lambda: TaskSpec("shell", run_at=datetime(2026, 1, 1)), "aware"),
        (lambda: TaskSpec("python", input={"blob": "x" * MAX_DATA_BYTES}), "over the 65536-byte limit"),
        (lambda: TaskSpec("python", input=[1, 2]), "must be a JSON object"),  # type: ignore[arg-type]
    ],
)
def test_bad_specs_are_refused_with_one_clear_line(make, message: str) -> None:
    with pytest.raises(BadSpecError, match=message) as info:
        make()
    assert "\n" not in str(info.value)
