"""Engine.update: a task edited in place keeps its id and its history (WorkManager's update)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.engine import Engine
from engine.errors import BadInputError
from engine.model import Kind, Outcome, Schedule, State, TaskSpec
from engine.store import Store
from tests.ui.fakes import FakeRunner


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock, runner: FakeRunner):
    store = Store(tmp_path / "u.db")
    eng = Engine(store, clock, runner=runner)
    eng.start()
    yield eng
    eng.stop()
    store.close()


def test_a_waiting_deferred_task_takes_the_new_spec_and_keeps_its_id(engine: Engine, clock: FakeClock) -> None:
    task = engine.enqueue(TaskSpec("shell", ("sync",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1)))
    later = clock.now() + timedelta(hours=3)
    updated = engine.update(task.id, task.spec.replace(args=("rsync", "-a"), run_at=later))
    assert updated.id == task.id and updated.state is State.ENQUEUED
    assert updated.spec.args == ("rsync", "-a") and updated.next_run_at == later
    assert [t.id for t in engine.tasks()] == [task.id]


def test_an_alarm_moved_earlier_is_re_armed_for_its_new_time(engine: Engine, clock: FakeClock) -> None:
    alarm = engine.enqueue(TaskSpec("reminder", ("tea",), kind=Kind.EXACT, run_at=clock.now() + timedelta(hours=2)))
    sooner = clock.now() + timedelta(minutes=10)
    updated = engine.update(alarm.id, alarm.spec.replace(run_at=sooner, args=("green tea",)))
    assert updated.state is State.SCHEDULED and updated.next_run_at == sooner
    assert engine.alarms.armed_for == sooner
    clock.advance(timedelta(minutes=10).total_seconds())
    fired = engine.task(alarm.id)
    assert fired.runs and fired.runs[-1].due_at == sooner
    assert [t.id for t in engine.tasks()] == [alarm.id]


def test_a_running_task_follows_the_new_spec_from_its_next_run(engine: Engine, clock: FakeClock,
                                                               runner: FakeRunner) -> None:
    task = engine.enqueue(TaskSpec("shell", ("poll",), kind=Kind.DEFERRED, schedule=Schedule(every=60.0)))
    clock.advance(0)
    assert engine.task(task.id).state is State.RUNNING
    engine.update(task.id, task.spec.replace(args=("poll", "--fast")))
    running = engine.task(task.id)
    assert running.state is State.RUNNING and running.spec.args == ("poll", "--fast")
    runner.finish(task.id, Outcome.SUCCEEDED)
    after = engine.task(task.id)
    assert after.state is State.ENQUEUED and [r.outcome for r in after.runs] == [Outcome.SUCCEEDED]


@pytest.mark.parametrize("change", ["finished", "kind"])
def test_refusals_write_nothing(engine: Engine, clock: FakeClock, runner: FakeRunner, change: str) -> None:
    task = engine.enqueue(TaskSpec("shell", ("once",), kind=Kind.DEFERRED))
    if change == "finished":
        clock.advance(0)
        runner.finish(task.id, Outcome.SUCCEEDED)
        spec = task.spec.replace(args=("twice",))
    else:
        spec = task.spec.replace(kind=Kind.EXACT, run_at=clock.now() + timedelta(hours=1))
    before = engine.task(task.id)
    with pytest.raises(BadInputError):
        engine.update(task.id, spec)
    assert engine.task(task.id) == before
