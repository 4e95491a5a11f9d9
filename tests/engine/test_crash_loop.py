"""Crash-loop protection at start (engine.recovery) and the retry by hand (Engine.retry),
on a real store and engine with a fake clock. The owner's deaths are what a dead owner
leaves in the database: a run with no end (the e2e test kills real owners)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import ipc
from engine.clock import FakeClock
from engine.engine import Engine
from engine.errors import BadInputError
from engine.model import Outcome, State, StopReason, TaskSpec
from engine.recovery import CRASH_LIMIT
from engine.store import Store

SLEEP = TaskSpec(worker="shell", args=("sleep", "60"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.db"


def _owner_dies_during_a_run(db: Path, clock: FakeClock) -> str | None:
    """Start an engine, let it start the task's run, and "die": the run stays open.
    Returns the task's id after the first time."""
    store = Store(db)
    engine = Engine(store, clock)
    engine.runner.submit = lambda *a, **k: None  # type: ignore[method-assign]  # the run never reaches a process
    engine.start()
    task = next((t for t in store.tasks() if t.state is State.ENQUEUED), None)
    if task is not None:
        assert engine.start_run(task)
    store.close()
    return task.id if task else None


@pytest.fixture
def crashed(db: Path, clock: FakeClock, qapp: Any) -> str:
    store = Store(db)
    task_id = Engine(store, clock).enqueue(SLEEP).id
    store.close()
    for _ in range(CRASH_LIMIT):
        _owner_dies_during_a_run(db, clock)
    return task_id


@pytest.fixture
def engine(db: Path, clock: FakeClock, crashed: str) -> Iterator[Engine]:
    eng = Engine(Store(db), clock)
    eng.runner.submit = lambda *a, **k: None  # type: ignore[method-assign]
    yield eng
    eng.store.close()


def test_a_task_whose_owner_died_three_runs_in_a_row_fails_as_crashed_owner(engine: Engine, crashed: str) -> None:
    engine.start()
    task = engine.task(crashed)
    assert task.state is State.FAILED and task.attempts == CRASH_LIMIT
    assert [r.stop_reason for r in task.runs] == [StopReason.PROCESS_DIED] * (CRASH_LIMIT - 1) + [
        StopReason.CRASHED_OWNER]
    assert task.runs[-1].outcome is Outcome.INTERRUPTED
    assert f"workdeck retry {crashed}" in (task.runs[-1].detail or "")
    assert engine.running_count() == 0


def test_two_deaths_are_not_a_loop(db: Path, clock: FakeClock, qapp: Any) -> None:
    store = Store(db)
    task_id = Engine(store, clock).enqueue(SLEEP).id
    store.close()
    for _ in range(CRASH_LIMIT - 1):
        _owner_dies_during_a_run(db, clock)
    store = Store(db)
    engine = Engine(store, clock)
    started: list[str] = []
    engine.runner.submit = lambda worker, ctx, **k: started.append(ctx.task_id)  # type: ignore[method-assign]
    engine.start()
    assert started == [task_id]  # run again
    store.close()


def test_a_crashed_owner_task_is_retried_by_hand_through_the_owner(engine: Engine, crashed: str) -> None:
    engine.start()
    handler = ipc.RequestHandler(engine, role="serve")
    replies: list[dict[str, Any]] = []
    handler.handle({"op": "retry", "id": crashed}, replies.append)
    assert replies[0]["ok"] and replies[0]["task"]["id"] == crashed
    task = engine.task(crashed)
    assert task.state in (State.ENQUEUED, State.RUNNING) and task.attempts >= CRASH_LIMIT
    # Retrying what has not failed is refused in one line, exit 2.
    handler.handle({"op": "retry", "id": crashed}, replies.append)
    assert replies[1] == {"ok": False, "error": replies[1]["error"], "exit": 2}
    assert "only a failed task can be retried" in replies[1]["error"]
    handler.close()


def test_a_retried_task_counts_owner_deaths_afresh(db: Path, clock: FakeClock, engine: Engine, crashed: str) -> None:
    engine.start()
    engine.retry(crashed)
    engine.store.close()
    _owner_dies_during_a_run(db, clock)  # one death since the retry: runs again
    store = Store(db)
    eng = Engine(store, clock)
    started: list[str] = []
    eng.runner.submit = lambda worker, ctx, **k: started.append(ctx.task_id)  # type: ignore[method-assign]
    eng.start()
    assert started == [crashed]
    store.close()
    engine.store = Store(db)  # the fixture closes it


def test_only_failed_tasks_can_be_retried_and_a_refusal_changes_nothing(engine: Engine, clock: FakeClock) -> None:
    engine.start()
    waiting = engine.enqueue(TaskSpec(worker="shell", args=("true",), run_at=clock.now().replace(year=2100)))
    before = engine.store.task_stamp(waiting.id)
    with pytest.raises(BadInputError, match="only a failed task"):
        engine.retry(waiting.id)
    assert engine.store.task_stamp(waiting.id) == before
