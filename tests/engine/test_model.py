from __future__ import annotations

import dataclasses
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
    Outcome,
    RetryPolicy,
    Run,
    Schedule,
    State,
    Task,
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


def test_a_task_or_run_copy_is_what_dataclasses_replace_makes() -> None:
    """Task.replace and Run.replace skip dataclasses.replace's per-field work (the engine
    copies three records a run): the copy must be the same, the original untouched, and a
    field that does not exist refused as replace refuses it."""
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    task = Task(id="t1", spec=TaskSpec("shell", ("true",), kind=Kind.DEFERRED), state=State.ENQUEUED,
                created_at=now, output={"a": 1})
    changes = {"state": State.RUNNING, "attempts": 1, "next_run_at": None, "updated_at": now}
    copy = task.replace(**changes)
    assert type(copy) is Task and copy == dataclasses.replace(task, **changes)
    assert vars(copy) == vars(dataclasses.replace(task, **changes))
    assert (task.state, task.attempts, task.updated_at) == (State.ENQUEUED, 0, None)
    assert task.replace() == task and task.replace() is not task
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.state = State.ENQUEUED  # type: ignore[misc]
    run = Run(7, "t1", 1, now)
    ended = run.replace(ended_at=now, outcome=Outcome.SUCCEEDED, exit_code=0)
    assert ended == dataclasses.replace(run, ended_at=now, outcome=Outcome.SUCCEEDED, exit_code=0)
    assert hash(ended) == hash(dataclasses.replace(run, ended_at=now, outcome=Outcome.SUCCEEDED, exit_code=0))
    assert run.outcome is None
    with pytest.raises(TypeError, match="no field"):
        task.replace(stat=State.RUNNING)
    with pytest.raises(TypeError, match="no field"):
        run.replace(outcome=Outcome.FAILED, ended=now)


def test_a_new_task_is_what_its_dataclass_makes() -> None:
    """Task.new skips the frozen dataclass's per-field setattr (once an enqueue): it must
    make what Task(...) makes, every field (a field added to Task without a default
    there fails here), in the same order, and stay frozen."""
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    spec = TaskSpec("shell", ("true",), kind=Kind.DEFERRED)
    for next_run_at in (now, None):
        made = Task.new("t1", spec, State.ENQUEUED, now, next_run_at)
        plain = Task(id="t1", spec=spec, state=State.ENQUEUED, created_at=now, next_run_at=next_run_at)
        assert type(made) is Task and made == plain
        assert list(vars(made).items()) == list(vars(plain).items())
        assert set(vars(made)) == {f.name for f in dataclasses.fields(Task)}
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.state = State.RUNNING  # type: ignore[misc]


def _compact_by_filtering(spec: TaskSpec) -> dict[str, object]:
    """The compact form as it was defined first: the whole form, less what equals a
    default spec's whole form (the worker always kept)."""
    defaults = TaskSpec(worker="").to_json()
    return {k: v for k, v in spec.to_json().items() if k == "worker" or v != defaults[k]}


@pytest.mark.parametrize("spec", [
    TaskSpec("shell", ("true",)),
    TaskSpec("shell", ("rsync", "-a", "a", "b"), kind=Kind.DEFERRED, retry=RetryPolicy(3, Backoff.EXPONENTIAL, 30),
             constraints=["ac-power"], run_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC)),
    TaskSpec("python", name="n", tags=["x"], after=["p"], input={"k": [1, {"d": 2}]}, timeout=5,
             schedule=Schedule(cron="0 8 * * *", tz="Europe/Berlin"), keep_runs=10, output_limit=4096),
    TaskSpec("shell", ("echo",), kind=Kind.EXACT, run_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
             schedule=Schedule(every=60), grace=10, remind_before=30, fire_if_past=True),
    TaskSpec("shell", ("echo",), retry=RetryPolicy()),  # a default retry given explicitly
])
def test_the_compact_json_is_the_whole_form_less_its_defaults(spec: TaskSpec) -> None:
    """to_json(compact=True), the stored form, builds only what it keeps (issue 14): it
    must say exactly what filtering the whole form said, in the same order, and read
    back as the same spec; the input is a copy, not the spec's own dict."""
    compact = spec.to_json(compact=True)
    assert compact == _compact_by_filtering(spec)
    assert list(compact) == list(_compact_by_filtering(spec))
    assert TaskSpec.from_json(compact) == spec
    if spec.input:
        assert compact["input"] == spec.input and compact["input"] is not spec.input
