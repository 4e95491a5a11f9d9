"""Deferred work on the real JobRunner and python worker: a fan-in chain whose parents'
outputs reach the child, a retried flaky task, and failure propagation. The clock is
fake (no timer waits); the runs are real, so the test waits with qtbot.waitUntil."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock
from engine.conditions import Conditions, StaticSource
from engine.engine import Engine
from engine.immediate import JobRunner
from engine.model import Constraint, Kind, RetryPolicy, State, StopReason, TaskSpec
from engine.store import Store

T = "tests.engine.deferred_targets"


def _py(function: str, **fields: Any) -> TaskSpec:
    return TaskSpec("python", (f"{T}:{function}",), kind=Kind.DEFERRED, **fields)


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Engine]:
    store = Store(tmp_path / "r.db")
    runner = JobRunner(max_threads=2)
    sources = [StaticSource(c, True) for c in Constraint]
    eng = Engine(store, clock, runner=runner, max_deferred=2, conditions=Conditions(sources))
    eng.start()
    yield eng
    eng.stop()
    runner.shutdown(msecs=10_000)
    store.close()


def test_a_real_fan_in_chain_with_a_retry_and_a_failure(engine: Engine, qtbot: Any) -> None:
    a = engine.enqueue(_py("two"))
    b = engine.enqueue(_py("flaky", retry=RetryPolicy(max_retries=1, delay=0)))
    total = engine.enqueue(_py("add_up", after=(a.id, b.id), input={"c": 10}))
    doomed = engine.enqueue(_py("always_fails"))
    orphan = engine.enqueue(_py("two", after=(doomed.id,)))

    def state(task_id: str) -> State:
        return engine.task(task_id).state

    qtbot.waitUntil(lambda: state(total.id).finished and state(orphan.id).finished, timeout=10_000)
    assert state(total.id) is State.SUCCEEDED
    assert engine.task(total.id).output == {"sum": 2 + 3 + 10}  # a's and b's outputs and its own input
    assert engine.task(b.id).attempts == 2
    assert state(doomed.id) is State.FAILED
    assert engine.task(orphan.id).runs[-1].stop_reason is StopReason.PARENT_FAILED
    assert "always fails" in engine.log(doomed.id)

