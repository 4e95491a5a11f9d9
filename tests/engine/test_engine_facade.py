"""The engine facade with the real JobRunner and real workers, on a fake clock.

Runs really happen on the pool (shell commands, python callables); time-based rules
(retries, timeouts) move only when the test advances the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.clock import FakeClock, to_us
from engine.engine import Engine
from engine.errors import BadSpecError, NoSuchTaskError
from engine.model import Backoff, Constraint, Kind, Outcome, RetryPolicy, State, StopReason, TaskSpec
from engine.store import Store

TARGETS = "tests.engine.pyworker_targets"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


@pytest.fixture
def engine(qapp, db_path: Path, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(Store(db_path), clock)
    eng.start()
    yield eng
    eng.stop()
    assert eng.runner.running() == []
    eng.store.close()


def shell(*argv: str, **spec: object) -> TaskSpec:
    return TaskSpec(worker="shell", args=argv, **spec)  # type: ignore[arg-type]


def finish(qtbot, engine: Engine, task_id: str, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: not engine.is_running(task_id), timeout=timeout)


def test_a_keep_running_task_runs_at_once_and_its_output_is_kept(qtbot, engine: Engine) -> None:
    with qtbot.waitSignal(engine.run_finished, timeout=10_000) as finished:
        task = engine.enqueue(shell("sh", "-c", "echo hello; echo oops >&2; exit 0"))
    run = finished.args[0]
    assert (run.task_id, run.outcome, run.exit_code, run.attempt) == (task.id, Outcome.SUCCEEDED, 0, 1)
    done = engine.task(task.id)
    assert (done.state, done.attempts) == (State.SUCCEEDED, 1)
    assert engine.log(task.id) == "hello\noops\n"


def test_enqueue_commits_before_it_returns(qapp, db_path: Path, clock: FakeClock) -> None:
    offline = Engine(Store(db_path), clock)  # never started: the command line's case
    task = offline.enqueue(shell("true", kind=Kind.DEFERRED))
    other = Store(db_path)
    assert other.task(task.id).state is State.ENQUEUED
    other.close()
    offline.store.close()


def test_a_failure_is_retried_with_backoff_then_fails(qtbot, engine: Engine, clock: FakeClock) -> None:
    spec = shell("sh", "-c", "exit 3", retry=RetryPolicy(1, Backoff.LINEAR, 10))
    task = engine.enqueue(spec)
    finish(qtbot, engine, task.id)
    waiting = engine.task(task.id)
    assert waiting.state is State.ENQUEUED
    assert to_us(waiting.next_run_at) - clock.now_us() == 10_000_000  # no clock moved: exactly the backoff
    clock.advance(9.9)
    assert not engine.is_running(task.id)  # not a moment early
    clock.advance(0.1)
    assert engine.is_running(task.id)
    finish(qtbot, engine, task.id)
    failed = engine.task(task.id)
    assert failed.state is State.FAILED
    assert [(r.attempt, r.outcome, r.exit_code) for r in failed.runs] == [
        (1, Outcome.FAILED, 3),
        (2, Outcome.FAILED, 3),
    ]


def test_a_timeout_stops_the_run_and_counts_as_a_failure(qtbot, engine: Engine, clock: FakeClock) -> None:
    task = engine.enqueue(shell("sleep", "30", timeout=5))
    qtbot.waitUntil(lambda: engine.is_running(task.id))
    clock.advance(4.99)
    assert engine.is_running(task.id)
    clock.advance(0.01)
    finish(qtbot, engine, task.id)
    done = engine.task(task.id)
    assert done.state is State.FAILED
    assert (done.runs[0].outcome, done.runs[0].stop_reason) == (Outcome.TIMED_OUT, StopReason.TIMED_OUT)


def test_cancel_stops_a_running_task_and_its_chain(qtbot, engine: Engine) -> None:
    parent = engine.enqueue(shell("sleep", "30"))
    child = engine.enqueue(shell("true", kind=Kind.DEFERRED, after=(parent.id,)))
    assert engine.task(child.id).state is State.BLOCKED
    qtbot.waitUntil(lambda: engine.is_running(parent.id))
    engine.cancel(parent.id)
    finish(qtbot, engine, parent.id)
    stopped = engine.task(parent.id)
    assert stopped.state is State.CANCELLED
    assert (stopped.runs[0].outcome, stopped.runs[0].stop_reason) == (Outcome.CANCELLED, StopReason.CANCELLED_BY_USER)
    orphan = engine.task(child.id)
    assert orphan.state is State.CANCELLED
    assert orphan.runs[0].stop_reason is StopReason.PARENT_CANCELLED
    assert parent.id in (orphan.runs[0].detail or "")


def test_a_chain_passes_output_to_the_child(qtbot, engine: Engine) -> None:
    parent = engine.enqueue(TaskSpec("python", (f"{TARGETS}:double",), input={"x": 21}))
    child = engine.enqueue(
        TaskSpec("python", (f"{TARGETS}:echo_input",), kind=Kind.DEFERRED, after=(parent.id,),
                 input={"extra": True, "doubled": "mine wins"})
    )
    qtbot.waitUntil(lambda: engine.task(child.id).state is State.SUCCEEDED, timeout=10_000)
    assert engine.task(parent.id).output == {"doubled": 42}
    # the parent's output merged into the child's input; the child's own keys win
    assert engine.task(child.id).output == {"doubled": "mine wins", "extra": True}


def test_a_graceful_stop_interrupts_and_the_next_start_resumes(qtbot, qapp, db_path: Path, clock: FakeClock) -> None:
    first = Engine(Store(db_path), clock)
    first.start()
    task = first.enqueue(shell("sleep", "30"))
    qtbot.waitUntil(lambda: first.is_running(task.id))
    first.stop()
    stopped = first.task(task.id)
    assert stopped.state is State.ENQUEUED
    assert (stopped.runs[0].outcome, stopped.runs[0].stop_reason) == (Outcome.INTERRUPTED, StopReason.SHUTDOWN)
    first.store.close()

    second = Engine(Store(db_path), clock)
    second.start()
    assert second.is_running(task.id)
    second.cancel(task.id)
    finish(qtbot, second, task.id)
    assert [r.attempt for r in second.task(task.id).runs] == [1, 2]
    second.stop()
    second.store.close()


def test_a_run_left_open_by_a_crash_is_interrupted_and_runs_again(qtbot, qapp, db_path: Path, clock: FakeClock) -> None:
    store = Store(db_path)
    crashed = Engine(store, clock)
    task = crashed.enqueue(shell("sh", "-c", "echo again"))
    # What a crash leaves: the task claimed and a run opened, no process to finish it.
    with store.transaction():
        store.set_state(store.task(task.id), State.RUNNING, clock.now_us(), attempts=1)
        store.start_run(task.id, 1, clock.now_us())
    store.close()

    engine = Engine(Store(db_path), clock)
    engine.start()
    finish(qtbot, engine, task.id)
    done = engine.task(task.id)
    assert done.state is State.SUCCEEDED
    assert [(r.attempt, r.outcome, r.stop_reason) for r in done.runs] == [
        (1, Outcome.INTERRUPTED, StopReason.PROCESS_DIED),
        (2, Outcome.SUCCEEDED, None),
    ]
    assert done.attempts == 2
    engine.stop()
    engine.store.close()


def test_a_finished_task_never_runs_again(qtbot, engine: Engine) -> None:
    task = engine.enqueue(shell("true"))
    finish(qtbot, engine, task.id)
    assert engine.task(task.id).state is State.SUCCEEDED
    assert engine.start_run(engine.task(task.id)) is False
    assert engine.cancel(task.id).state is State.SUCCEEDED
    assert len(engine.task(task.id).runs) == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (TaskSpec("teleport", ("x",)), "unknown worker 'teleport'"),
        (TaskSpec("shell", ()), "a shell task needs a command"),
        (TaskSpec("shell", ("true",), after=("nope",)), "--after nope: no such task"),
        (TaskSpec("shell", ("true",), kind=Kind.EXACT), "needs a time"),
        (TaskSpec("shell", ("true",), tags=(" ",)), "a tag must not be empty"),
        (TaskSpec("shell", ("true",), name=""), "unique name must not be empty"),
    ],
)
def test_bad_specs_write_nothing(qapp, db_path: Path, clock: FakeClock, spec: TaskSpec, message: str) -> None:
    engine = Engine(Store(db_path), clock)
    with pytest.raises(BadSpecError, match=message):
        engine.enqueue(spec)
    assert engine.tasks() == []
    engine.store.close()


def test_unknown_ids_and_tags(qapp, db_path: Path, clock: FakeClock) -> None:
    engine = Engine(Store(db_path), clock)
    with pytest.raises(NoSuchTaskError):
        engine.task("missing")
    with pytest.raises(NoSuchTaskError):
        engine.cancel_matching(tag="none")
    engine.store.close()


def test_deferred_work_waits_for_what_its_worker_implies(qapp, db_path: Path, clock: FakeClock) -> None:
    engine = Engine(Store(db_path), clock)
    url = ("https://example.org/a.iso", "/tmp/")
    later = engine.enqueue(TaskSpec("download", url, kind=Kind.DEFERRED))
    now = engine.enqueue(TaskSpec("download", url, kind=Kind.IMMEDIATE))
    plain = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED))
    assert engine.task(later.id).spec.constraints == (Constraint.NETWORK,)
    assert engine.task(now.id).spec.constraints == ()
    assert engine.task(plain.id).spec.constraints == ()
    engine.store.close()
