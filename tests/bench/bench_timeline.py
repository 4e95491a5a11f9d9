"""Timeline benchmarks (run on demand: ``pytest tests/bench/bench_timeline.py -s``).

1. Painting a timeline that holds 1,000 vs 10,000 runs, all in view (the worst case):
   at most 16 ms per paint at 10,000. Baseline in the same run: the same view drawing
   one rectangle per run (no per-pixel coalescing), to show what coalescing buys.
2. Event-loop lag (a 1 ms PreciseTimer's lateness), p99 at most 16 ms, while 8
   CPU-bound tasks run and 200 tasks a second finish, with the window and timeline
   shown. Baseline: the same window shown, idle. Needs the JobRunner (engine.immediate).
   The target holds for an engine without a controlling terminal (a desktop launch, a
   service): its commands stay in its session at SCHED_IDLE. One row shows the same
   load with the engine in a terminal, where each command gets a session (a
   scheduling group) of its own; it is reported, not asserted.

   Measured 2026-11-28 (2 shared cores), p99 of the combined load over 3 runs: 5.8-7.2
   ms (was 10-55 ms before commands stayed in the engine's session at SCHED_IDLE,
   the table took changes in batches and a run's end stopped re-reading its task).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from engine.clock import FakeClock, to_us
from engine.model import Kind, Outcome, Run, State, Task, TaskSpec
from engine.engine import Engine
from engine.store import Store
from tests.ui.fakes import FakeRunner
from ui.timeline import Timeline, TimelinePainter, TimelineView

S = 1_000_000
OUTCOMES = (Outcome.SUCCEEDED,) * 6 + (Outcome.FAILED, Outcome.CANCELLED, Outcome.TIMED_OUT, Outcome.INTERRUPTED)


class NaivePainter(TimelinePainter):
    """The baseline: one fillRect per run, no coalescing."""

    def _bars(self, p: Any, colors: Any, row: Any, y: int, h: int, start: int, end: int, now: int) -> None:
        view = self.view
        finished, running = view.timeline.bars(row.key, start, end)
        for bar in [*finished, *running]:
            bar_end = bar.end if bar.end is not None else now
            x1 = view.x_for(bar.start)
            p.fillRect(int(x1), y, max(2, int(view.x_for(bar_end) - x1)), h, colors[bar.color])


def _populate(timeline: Timeline, clock: FakeClock, runs: int, tasks: int = 20) -> None:
    """``runs`` runs spread over the last 24 hours across ``tasks`` tasks of the three kinds."""
    now = clock.now()
    kinds = (Kind.IMMEDIATE, Kind.DEFERRED, Kind.EXACT)
    task_objs = [
        Task(f"t{i:03d}", TaskSpec("shell", ("x",), kind=kinds[i % 3], name=f"task {i}"),
             State.ENQUEUED, now - timedelta(days=1), next_run_at=now + timedelta(minutes=i))
        for i in range(tasks)
    ]
    timeline.set_tasks(task_objs)
    step = 86400 / runs
    timeline.add_runs(
        Run(i + 1, task_objs[i % tasks].id, 1,
            started_at=now - timedelta(seconds=86400 - i * step),
            ended_at=now - timedelta(seconds=86400 - i * step - step * 0.6),
            outcome=OUTCOMES[i % len(OUTCOMES)])
        for i in range(runs)
    )


def _paint_ms(view: TimelineView, repeats: int = 40) -> tuple[float, float]:
    """Time paintEvent into an image the size of the view (what the backing store gets)."""
    image = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    for _ in range(3):  # warm up caches and fonts
        view.render(image)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        view.render(image)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def test_paint_1k_vs_10k(qapp: QApplication, tmp_path: Path) -> None:
    clock = FakeClock()
    rows = []
    for runs in (1_000, 10_000):
        for expanded in (False, True):
            for painter_name in ("coalesced", "naive"):
                engine = Engine(Store(tmp_path / f"b{runs}{expanded}{painter_name}.db"), clock, runner=FakeRunner())
                timeline = Timeline(engine)
                view = TimelineView(timeline)
                view.resize(1600, 600)
                view.show()
                _populate(timeline, clock, runs)
                if expanded:
                    for kind in (Kind.IMMEDIATE, Kind.DEFERRED, Kind.EXACT):
                        timeline.toggle(kind)
                view.set_range(to_us(clock.now()) - 86400 * S * 1.02, 86400 * S * 1.05, follow=False)
                if painter_name == "naive":
                    view._painter = NaivePainter(view)
                median, p95 = _paint_ms(view)
                rows.append((runs, "lanes + task rows" if expanded else "lanes", painter_name, median, p95))
                view.close()
                engine.store.close()
    print("\n\nTimeline paint, 1600x600, all runs in view (ms per paint)")
    print(f"{'runs':>7} {'rows':<18} {'painter':<10} {'median':>8} {'p95':>8}")
    for runs, rows_label, painter_name, median, p95 in rows:
        print(f"{runs:>7} {rows_label:<18} {painter_name:<10} {median:8.2f} {p95:8.2f}")
    by = {(r[0], r[1], r[2]): r[3] for r in rows}
    for label in ("lanes", "lanes + task rows"):
        print(f"10k/1k ({label}, coalesced): {by[(10_000, label, 'coalesced')] / by[(1_000, label, 'coalesced')]:.2f}x;"
              f" naive/coalesced at 10k: {by[(10_000, label, 'naive')] / by[(10_000, label, 'coalesced')]:.2f}x")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (p95 suffers from it)")
    worst = max(r[3] for r in rows if r[0] == 10_000 and r[2] == "coalesced")
    assert worst <= 16, f"a paint of 10,000 runs took {worst:.1f} ms (median)"


# ---------------------------------------------------------------- event-loop lag

#: A CPU-bound command: its own process, as CPU-heavy work in Workdeck should be. (Pure
#: Python spinning inside the engine's process on pool threads holds the GIL: with 8
#: such python tasks this loop measured p50 lateness of 2.7 s. See the report.)
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"


def noop(ctx: Any) -> None:
    return None


def _lag(seconds: float) -> list[float]:
    """Lateness (ms) of a 1 ms PreciseTimer over ``seconds`` of running the event loop."""
    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def on_timeout() -> None:
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - 1.0))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(on_timeout)
    timer.start(1)
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return lateness


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def test_event_loop_lag_under_load(qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.clock import SystemClock
    from engine.immediate import JobRunner
    from engine.workers import shell
    from ui.main_window import MainWindow

    seconds = float(os.environ.get("WORKDECK_BENCH_SECONDS", "6"))
    module = __name__ if __name__ != "__main__" else "tests.bench.bench_timeline"
    results = []
    # Commands get a session of their own only when the engine has a controlling
    # terminal (engine.workers.shell._has_terminal). Each row says which case it is,
    # whatever terminal this benchmark runs from; the target is for a desktop launch.
    for label, cpu, rate, terminal in (
        ("idle (baseline)", False, False, False),
        ("8 CPU-bound commands", True, False, False),
        ("200 python tasks/s", False, True, False),
        ("8 CPU-bound + 200 tasks/s, terminal", True, True, True),
        ("8 CPU-bound + 200 tasks/s", True, True, False),
    ):
        monkeypatch.setattr(shell, "_has_terminal", lambda terminal=terminal: terminal)
        engine = Engine(Store(tmp_path / f"lag{cpu}{rate}{terminal}.db"), SystemClock(), runner=JobRunner(max_threads=16))
        engine.start()
        window = MainWindow(engine)
        window.resize(1400, 900)
        window.show()
        window.timeline_view.set_follow_now(True)
        QApplication.processEvents()
        if cpu:
            for _ in range(8):
                engine.enqueue(TaskSpec("shell", (sys.executable, "-c", SPIN.format(seconds=seconds + 2))))
        feeder = QTimer()
        feeder.setTimerType(Qt.TimerType.PreciseTimer)
        # 200 a second: ten every 50 ms
        feeder.timeout.connect(lambda e=engine: [e.enqueue(TaskSpec("python", (f"{module}:noop",))) for _ in range(10)])
        if rate:
            feeder.start(50)
        t0 = time.monotonic()
        lateness = _lag(seconds)
        elapsed = time.monotonic() - t0
        feeder.stop()
        done = len([t for t in engine.tasks(state=State.SUCCEEDED) if t.spec.worker == "python"]) / elapsed
        for task in engine.tasks(state=State.RUNNING):
            engine.cancel(task.id)
        engine.stop()
        window.close()
        engine.store.close()
        results.append((label, lateness, done))

    print("\n\nEvent-loop lag: lateness of a 1 ms PreciseTimer (ms), window and timeline shown")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'load':<38} {'done/s':>7} {'ticks':>7} {'p50':>8} {'p99':>8} {'max':>8}")
    for label, data, done in results:
        print(f"{label:<38} {done:7.0f} {len(data):>7} {_pct(data, .5):8.2f} {_pct(data, .99):8.2f} {max(data):8.2f}")
    idle_p99 = max(_pct(results[0][1], 0.99), 0.01)
    for label, data, _ in results[1:]:
        print(f"p99 {label} / idle: {_pct(data, .99) / idle_p99:.1f}x")
    label, data, done = results[-1]
    assert done >= 150, f"the load reached {done:.0f} finished tasks a second, not ~200"
    assert _pct(data, 0.99) <= 16


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s", "-p", "no:randomly"]))
