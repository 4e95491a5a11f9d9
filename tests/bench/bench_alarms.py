"""Alarm precision, memory and idle CPU: Workdeck vs APScheduler 3 vs threading.Timer.

Lateness: 200 one-shot alarms 20 ms apart, with 0 and with 10,000 other (far-future)
alarms scheduled, for each scheduler in one run. Lateness is "when the scheduler
handed the alarm over" minus its due instant: Workdeck's recorded fired_at, the
moment APScheduler's job function starts, the moment the Timer's function starts.
Memory: RSS growth with 100,000 alarms scheduled (each in a fresh process).
Idle CPU: process CPU time over 30 s with 10,000 alarms armed and nothing due.
Under load (issue 14): 200 exact alarms that run ``true``, 20 ms apart, with one CPU
hog per core at normal priority; Workdeck's ``fired_at`` and its command's start
(``spawned_at``) are reported apart, beside threading.Timer + subprocess.Popen under
the same load. Target: the command's start p99 <= 20 ms after due, never early.

Run: ``QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_alarms.py -s`` (about 2 minutes).
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from engine.clock import SystemClock
from engine.engine import RUNNER_THREADS
from engine.model import Kind, State, Task, TaskSpec
from engine.store import Store

ALARMS = 200
SPACING = 0.020
LEAD = 1.0  # seconds before the first alarm
TIMER_START_SLACK = 4.0  # more seconds for threading.Timer's 200 threads to start beside the CPU hogs
OTHERS = (0, 10_000)
MEMORY_ALARMS = 100_000
IDLE_SECONDS = 30.0
IDLE_ALARMS = 10_000


def _far_future_tasks(n: int, now: datetime) -> list[Task]:
    spec = TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=now + timedelta(days=1))
    return [
        Task(uuid.uuid4().hex[:12], spec, State.SCHEDULED, now, next_run_at=now + timedelta(days=1, seconds=i))
        for i in range(n)
    ]


def _engine(path: Path, others: int, threads: int = 2) -> tuple[Any, Store]:
    from engine.engine import Engine
    from engine.immediate import JobRunner

    store = Store(path)
    with store.transaction():  # bulk insert: enqueue() one by one is the same rows, slower
        for task in _far_future_tasks(others, datetime.now(UTC)):
            store.insert_task(task)
    engine = Engine(store, SystemClock(), runner=JobRunner(max_threads=threads))
    engine.start()
    return engine, store


def _run_loop_until(done: Callable[[], bool], timeout: float) -> None:
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    check = QTimer()
    check.timeout.connect(lambda: (done() or time.monotonic() > deadline) and loop.quit())
    check.start(50)
    loop.exec()
    check.stop()


def workdeck_lateness(others: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, store = _engine(Path(tmp) / "bench.db", others)
        try:
            start = datetime.now(UTC) + timedelta(seconds=LEAD)
            ids = [
                engine.enqueue(
                    TaskSpec("reminder", (f"alarm {i}",), kind=Kind.EXACT, run_at=start + timedelta(seconds=SPACING * i))
                ).id
                for i in range(ALARMS)
            ]
            _run_loop_until(lambda: store.count_by_state().get(State.SUCCEEDED, 0) >= ALARMS, 30)
            late = []
            for task_id in ids:
                (run,) = store.runs(task_id)
                late.append((run.fired_at - run.due_at).total_seconds())
            return late
        finally:
            engine.stop()
            store.close()


def apscheduler_lateness(others: int) -> list[float]:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    try:
        far = datetime.now(UTC) + timedelta(days=1)
        for i in range(others):
            scheduler.add_job(_noop, "date", run_date=far + timedelta(seconds=i), misfire_grace_time=None)
        start = time.time() + LEAD
        fired: dict[int, float] = {}
        done = threading.Event()

        def job(i: int) -> None:
            fired[i] = time.time()
            if len(fired) == ALARMS:
                done.set()

        for i in range(ALARMS):
            due = start + SPACING * i
            scheduler.add_job(job, "date", run_date=datetime.fromtimestamp(due, UTC), args=(i,), misfire_grace_time=None)
        done.wait(30)
        return [fired[i] - (start + SPACING * i) for i in range(ALARMS)]
    finally:
        scheduler.shutdown(wait=False)


def timer_lateness(others: int) -> list[float]:
    far = [threading.Timer(86_400 + i, _noop) for i in range(others)]
    for t in far:
        t.daemon = True
        t.start()
    try:
        start = time.time() + LEAD
        fired: dict[int, float] = {}

        def job(i: int) -> None:
            fired[i] = time.time()

        timers = []
        for i in range(ALARMS):
            t = threading.Timer(start + SPACING * i - time.time(), job, args=(i,))
            t.start()
            timers.append(t)
        for t in timers:
            t.join(30)
        return [fired[i] - (start + SPACING * i) for i in range(ALARMS)]
    finally:
        for t in far:
            t.cancel()
        for t in far:
            t.join()


def _noop() -> None:
    pass


def _stats(late: list[float]) -> list[float]:
    ms = sorted(x * 1000 for x in late)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return [ms[0], statistics.median(ms), q[94], q[98], ms[-1]]


# -------------------------------------------------------------- memory (own process each)


def _measure_memory(which: str) -> int:
    process = psutil.Process()
    QCoreApplication.instance() or QCoreApplication([])
    before = process.memory_info().rss
    if which == "workdeck":
        with tempfile.TemporaryDirectory() as tmp:
            engine, store = _engine(Path(tmp) / "mem.db", MEMORY_ALARMS)
            _run_loop_until(lambda: False, 0.5)
            after = process.memory_info().rss
            engine.stop()
            store.close()
    else:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone="UTC")
        scheduler.start()
        far = datetime.now(UTC) + timedelta(days=1)
        for i in range(MEMORY_ALARMS):
            scheduler.add_job(_noop, "date", run_date=far + timedelta(seconds=i))
        after = process.memory_info().rss
        scheduler.shutdown(wait=False)
    return after - before


def memory(which: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_alarms", "--memory", which], capture_output=True, text=True, check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, cwd=Path(__file__).resolve().parents[2],
    )
    return int(json.loads(out.stdout.strip().splitlines()[-1]))


def workdeck_idle_cpu() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, store = _engine(Path(tmp) / "idle.db", IDLE_ALARMS)
        try:
            process = psutil.Process()
            before = process.cpu_times()
            wakeups = [0]
            engine.alarms._timer._qtimer.timeout.connect(lambda: wakeups.__setitem__(0, wakeups[0] + 1))
            _run_loop_until(lambda: False, IDLE_SECONDS)
            after = process.cpu_times()
            return (after.user - before.user) + (after.system - before.system), wakeups[0]
        finally:
            engine.stop()
            store.close()


def test_alarm_benchmark(qapp: Any) -> None:
    rows: list[tuple[str, int, list[float]]] = []
    for warm_up in (workdeck_lateness, apscheduler_lateness, timer_lateness):
        warm_up(0)  # first-use costs (imports, thread pools, SQLite caches) are not lateness
    for others in OTHERS:
        rows.append(("workdeck", others, _stats(workdeck_lateness(others))))
        rows.append(("apscheduler 3", others, _stats(apscheduler_lateness(others))))
        rows.append(("threading.Timer", others, _stats(timer_lateness(others))))
    print(f"\nlateness of {ALARMS} alarms, {SPACING * 1000:.0f} ms apart (ms)")
    print(f"{'scheduler':<16} {'others':>7} {'min':>8} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for name, others, s in rows:
        print(f"{name:<16} {others:>7} " + " ".join(f"{v:8.3f}" for v in s))
    for others in OTHERS:
        ours = next(s for n, o, s in rows if n == "workdeck" and o == others)
        best = min(s[3] for n, o, s in rows if n != "workdeck" and o == others)
        print(f"p99 with {others} others: workdeck {ours[3]:.3f} ms, best peer {best:.3f} ms, ratio {ours[3] / best:.2f}")
    mem_ours, mem_aps = memory("workdeck"), memory("apscheduler")
    print(f"\nRSS growth with {MEMORY_ALARMS:,} alarms: workdeck {mem_ours / 2**20:.1f} MiB, "
          f"apscheduler 3 {mem_aps / 2**20:.1f} MiB (ratio {mem_ours / mem_aps:.2f}); threading.Timer: "
          f"{MEMORY_ALARMS:,} threads, not attempted")
    cpu, wakeups = workdeck_idle_cpu()
    print(f"idle CPU over {IDLE_SECONDS:.0f} s with {IDLE_ALARMS:,} alarms: {cpu:.3f} s ({wakeups} timer wake-ups)")
    assert all(s[0] >= 0 for n, o, s in rows if n == "workdeck"), "a Workdeck alarm fired early"
    assert cpu < 0.1


# -------------------------------------------------------------- commands under CPU load


class _Hogs:
    """One busy-looping process per core, at normal priority, for the duration."""

    def __enter__(self) -> _Hogs:
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 1)]
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.kill()
        for proc in self.procs:
            proc.wait()


def workdeck_commands_under_load() -> tuple[list[float], list[float]]:
    """(fired_at - due, spawned_at - due) of ALARMS shell alarms, in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        engine, store = _engine(Path(tmp) / "load.db", 0, threads=RUNNER_THREADS)  # as serve and the window
        try:
            start = datetime.now(UTC) + timedelta(seconds=LEAD)
            ids = [
                engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT,
                                        run_at=start + timedelta(seconds=SPACING * i))).id
                for i in range(ALARMS)
            ]
            _run_loop_until(lambda: store.count_by_state().get(State.SUCCEEDED, 0) >= ALARMS, 60)
            fired, spawned = [], []
            for task_id in ids:
                (run,) = store.runs(task_id)
                assert run.fired_at is not None and run.due_at is not None and run.spawned_at is not None
                fired.append((run.fired_at - run.due_at).total_seconds())
                spawned.append((run.spawned_at - run.due_at).total_seconds())
            return fired, spawned
        finally:
            engine.stop()
            store.close()


def timer_commands_under_load() -> tuple[list[float], list[float]]:
    """threading.Timer starting ``true`` with subprocess.Popen: (timer fired, Popen returned) - due."""
    start = time.time() + LEAD
    fired: dict[int, float] = {}
    spawned: dict[int, float] = {}
    procs: list[subprocess.Popen[bytes]] = []

    def job(i: int) -> None:
        fired[i] = time.time()
        procs.append(subprocess.Popen(["true"]))
        spawned[i] = time.time()

    # A Timer's wait starts when its thread runs, not when it is made: each is made right
    # before it starts, and all start well before the first is due (starting 200 threads
    # beside the hogs took longer than LEAD, and the first timers' lateness was that).
    start += TIMER_START_SLACK
    timers = []
    for i in range(ALARMS):
        timer = threading.Timer(start + SPACING * i - time.time(), job, args=(i,))
        timer.start()
        timers.append(timer)
    assert time.time() < start, "the timers' threads started after the first was due: raise TIMER_START_SLACK"
    for t in timers:
        t.join(60)
    for proc in procs:
        proc.wait()
    due = [start + SPACING * i for i in range(ALARMS)]
    return [fired[i] - due[i] for i in range(ALARMS)], [spawned[i] - due[i] for i in range(ALARMS)]


@pytest.mark.timeout(900)
def test_alarm_commands_start_on_time_under_cpu_load(qapp: Any) -> None:
    workdeck_commands_under_load()  # warm up: imports, pool threads
    gc.freeze()  # as serve and the window do once started (ui/cli/owning.py, ui/app.py)
    rows: list[tuple[str, str, int, list[float]]] = []
    with _Hogs():
        for round_ in range(1, 4):  # interleaved rounds, the same load for both
            fired, spawned = workdeck_commands_under_load()
            rows += [("workdeck", "fired_at", round_, _stats(fired)), ("workdeck", "command start", round_, _stats(spawned))]
            fired, spawned = timer_commands_under_load()
            rows += [("threading.Timer", "fired", round_, _stats(fired)),
                     ("threading.Timer", "command start", round_, _stats(spawned))]
    print(f"\n{ALARMS} alarms running `true`, {SPACING * 1000:.0f} ms apart, {os.cpu_count()} CPU hogs (ms after due)")
    print(f"{'scheduler':<16} {'what':<14} {'round':>5} {'min':>8} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for name, what, round_, s in rows:
        print(f"{name:<16} {what:<14} {round_:>5} " + " ".join(f"{v:8.3f}" for v in s))
    ours = [s for n, w, _, s in rows if n == "workdeck" and w == "command start"]
    p99s = [s[3] for s in ours]
    print(f"workdeck command start p99 over rounds: {min(p99s):.3f}-{max(p99s):.3f} ms "
          f"(target <= 20 ms: {'met' if max(p99s) <= 20 else 'NOT met'})")
    assert all(s[0] >= 0 for n, _, _, s in rows if n == "workdeck"), "a Workdeck alarm or its command was early"


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--memory":
    print(json.dumps(_measure_memory(sys.argv[2])))
