"""Real-time precision with the real clock and Qt's PreciseTimer (marked: a few seconds).

The bounds here are generous because CI machines are shared; the benchmark
(tests/bench/bench_alarms.py) reports the real distribution.
"""

from __future__ import annotations

import statistics
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import SystemClock
from engine.engine import Engine
from engine.model import Kind, State, TaskSpec
from engine.store import Store
from tests.engine.exact.fakes import FakeRunner


def _lateness_ms(engine: Engine, ids: list[str]) -> list[float]:
    out = []
    for task_id in ids:
        (run,) = engine.task(task_id).runs
        assert run.due_at is not None and run.fired_at is not None
        out.append((run.fired_at - run.due_at).total_seconds() * 1000)
    return out


@pytest.mark.realtime
def test_alarms_fire_never_early_and_within_bounds(qtbot: Any, tmp_path: Path) -> None:
    store = Store(tmp_path / "rt.db")
    clock = SystemClock()
    engine = Engine(store, clock, runner=FakeRunner(clock))  # type: ignore[arg-type]
    engine.start()
    try:
        start = clock.now() + timedelta(milliseconds=300)
        ids = [
            engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=start + timedelta(milliseconds=37 * i))).id
            for i in range(40)
        ]
        qtbot.waitUntil(lambda: all(engine.task(i).state is State.SUCCEEDED for i in ids), timeout=10_000)
        late = sorted(_lateness_ms(engine, ids))
        print(f"\nlateness ms: min {late[0]:.3f} median {statistics.median(late):.3f} max {late[-1]:.3f}")
        assert late[0] >= 0, "an alarm fired early"
        assert statistics.median(late) <= 10
        assert late[-1] <= 100
    finally:
        engine.stop()
        store.close()


@pytest.mark.realtime
def test_alarms_due_together_all_fire_never_early(qtbot: Any, tmp_path: Path) -> None:
    store = Store(tmp_path / "rt.db")
    clock = SystemClock()
    engine = Engine(store, clock, runner=FakeRunner(clock))  # type: ignore[arg-type]
    engine.start()
    try:
        due = clock.now() + timedelta(milliseconds=400)
        ids = [engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=due)).id for _ in range(20)]
        qtbot.waitUntil(lambda: all(engine.task(i).state is State.SUCCEEDED for i in ids), timeout=10_000)
        late = sorted(_lateness_ms(engine, ids))
        print(f"\n20 at once, lateness ms: min {late[0]:.3f} max {late[-1]:.3f}")
        assert late[0] >= 0
        assert late[-1] <= 200
    finally:
        engine.stop()
        store.close()
