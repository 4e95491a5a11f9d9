"""Alarm lateness by distance: alarms set 1 s, 30 s, 5 min and 1 h ahead (issue 14).

Timers land later the longer they wait (measured on main: a bare PreciseTimer 5 s
ahead -> 5.5 ms late, 20 s -> 17.5 ms), so an engine that armed its whole wait at once
(or in 60 s steps) fired every real alarm 10-60 ms late. Here, in one process and one
run: Workdeck's engine (its recorded ``fired_at``), a bare ``Qt.PreciseTimer`` armed
once for the whole wait, and ``threading.Timer``, each with a few alarms at every
distance, all armed at the same moment, each scheduler's alarms offset by a few
hundred ms from the others' so that they never fire together.

Target: Workdeck's ``fired_at`` median <= 1 ms and max <= 5 ms late at every distance,
never early. Takes as long as the farthest distance:

    QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_alarm_distance.py -s     (1 h)
    WORKDECK_BENCH_DISTANCES=1,30 ... -s                                         (30 s)
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer

from engine.clock import SystemClock
from engine.engine import Engine
from engine.model import Kind, State, TaskSpec
from engine.store import Store
from tests.engine.exact.fakes import FakeRunner

DISTANCES = tuple(float(d) for d in os.environ.get("WORKDECK_BENCH_DISTANCES", "1,30,300,3600").split(","))
PER_DISTANCE = 5
SPACING = 1.0  # seconds between two alarms of one scheduler at one distance
OFFSETS = {"workdeck": 0.0, "PreciseTimer": 0.25, "threading.Timer": 0.5}


def _stats(late_ms: list[float]) -> str:
    return f"{min(late_ms):8.3f} {statistics.median(late_ms):8.3f} {max(late_ms):8.3f}"


@pytest.mark.timeout(max(DISTANCES) + PER_DISTANCE * SPACING + 600)
def test_alarm_lateness_does_not_grow_with_distance(qapp: Any) -> None:
    fired: dict[str, dict[float, list[float]]] = {name: {d: [] for d in DISTANCES} for name in OFFSETS}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "distance.db")
        clock = SystemClock()
        engine = Engine(store, clock, runner=FakeRunner(clock))  # type: ignore[arg-type]
        engine.start()
        timers: list[Any] = []
        try:
            now = time.time()
            origin = datetime.fromtimestamp(now, UTC)
            ids: dict[str, float] = {}
            for d in DISTANCES:
                for k in range(PER_DISTANCE):
                    base = d + k * SPACING
                    due = base + OFFSETS["workdeck"]
                    task = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT,
                                                   run_at=origin + timedelta(seconds=due)))
                    ids[task.id] = d

                    qdue = now + base + OFFSETS["PreciseTimer"]
                    qtimer = QTimer()
                    qtimer.setSingleShot(True)
                    qtimer.setTimerType(Qt.TimerType.PreciseTimer)
                    qtimer.timeout.connect(
                        lambda qdue=qdue, d=d: fired["PreciseTimer"][d].append((time.time() - qdue) * 1000))
                    qtimer.start(max(0, round((qdue - time.time()) * 1000)))
                    timers.append(qtimer)

                    tdue = now + base + OFFSETS["threading.Timer"]
                    timer = threading.Timer(
                        tdue - time.time(), lambda tdue=tdue, d=d: fired["threading.Timer"][d].append(
                            (time.time() - tdue) * 1000))
                    timer.start()
                    timers.append(timer)
            total = len(DISTANCES) * PER_DISTANCE
            loop = QEventLoop()
            poll = QTimer()
            poll.timeout.connect(lambda: store.count_by_state().get(State.SUCCEEDED, 0) >= total
                                 and sum(len(v) for v in fired["threading.Timer"].values()) >= total
                                 and sum(len(v) for v in fired["PreciseTimer"].values()) >= total and loop.quit())
            poll.start(200)
            loop.exec()
            poll.stop()
            for task_id, d in ids.items():
                (run,) = store.runs(task_id)
                assert run.fired_at is not None and run.due_at is not None
                fired["workdeck"][d].append((run.fired_at - run.due_at).total_seconds() * 1000)
        finally:
            for timer in timers:
                (timer.cancel if isinstance(timer, threading.Timer) else timer.stop)()
            engine.stop()
            store.close()
    print(f"\nlateness by distance, {PER_DISTANCE} alarms each (ms; negative = early)")
    print(f"{'scheduler':<16} {'ahead':>8} {'min':>8} {'median':>8} {'max':>8}")
    for name in OFFSETS:
        for d in DISTANCES:
            print(f"{name:<16} {d:>7.0f}s {_stats(fired[name][d])}")
    ours = [x for d in DISTANCES for x in fired["workdeck"][d]]
    verdicts = [
        f"ahead {d:.0f}s: median {statistics.median(fired['workdeck'][d]):.3f} ms "
        f"{'<=' if statistics.median(fired['workdeck'][d]) <= 1 else '>'} 1, "
        f"max {max(fired['workdeck'][d]):.3f} ms {'<=' if max(fired['workdeck'][d]) <= 5 else '>'} 5"
        for d in DISTANCES
    ]
    print("target (median <= 1 ms, max <= 5 ms): " + "; ".join(verdicts))
    assert min(ours) >= 0, "a Workdeck alarm fired early"
