"""Making tasks and runs for UI tests through the real engine and the fake runner."""

from __future__ import annotations

from typing import Any

from engine.clock import FakeClock
from engine.engine import Engine
from engine.model import Outcome, Task, TaskSpec
from tests.ui.fakes import FakeRunner


def run_task(
    engine: Engine, runner: FakeRunner, clock: FakeClock, seconds: float,
    outcome: Outcome = Outcome.SUCCEEDED, *, argv: tuple[str, ...] = ("true",), **spec: Any,
) -> Task:
    """An immediate task that starts now, runs ``seconds`` of fake time and ends with ``outcome``."""
    task = engine.enqueue(TaskSpec("shell", argv, **spec))
    assert task.id in runner.jobs, "the engine should have started it at once"
    clock.advance(seconds)
    runner.finish(task.id, outcome)
    return engine.task(task.id)


def start_task(engine: Engine, runner: FakeRunner, **spec: Any) -> Task:
    task = engine.enqueue(TaskSpec("shell", ("sleep", "100"), **spec))
    assert task.id in runner.jobs
    return engine.task(task.id)
