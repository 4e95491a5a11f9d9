"""Durable enqueue: Workdeck's Engine.enqueue against raw sqlite3 inserts.

Both commit once per task with WAL and ``synchronous = NORMAL``, in the same run, on
the same disk. The raw side is the floor a queue on SQLite cannot beat: one INSERT of
a row carrying the same JSON spec, one COMMIT. Workdeck's target: at least half of it.

    pytest tests/bench/bench_enqueue.py -s          (or: make bench)
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.clock import SystemClock
from engine.engine import Engine
from engine.model import Constraint, Kind, RetryPolicy, TaskSpec
from engine.store import Store

N = 2000
ROUNDS = 5
TARGET = 0.5
#: Rounds of the CPU-per-task comparison with huey: each side's CPU a task swings by
#: +-20% between rounds on this shared machine, so a median of 3 could not tell 0.9x
#: from 1.0x (session 14's 12 alternated runs: 0.70-1.06x for one tree).
CPU_ROUNDS = 7
#: Below this the run fails: asdict's deep copy (the cost before the fix) measured 0.24x.
REGRESSION_GUARD = 0.35


def _spec(clock: SystemClock) -> TaskSpec:
    # A realistic deferred task: tags, a retry policy, a constraint, due in an hour
    # (so a started engine arms a timer but runs nothing).
    return TaskSpec(
        worker="shell", args=("rsync", "-a", "/home/me/docs", "/backup"), kind=Kind.DEFERRED,
        tags=("backup", "nightly"), retry=RetryPolicy(max_retries=3), constraints=(Constraint.AC_POWER,),
        run_at=clock.now() + timedelta(hours=1),
    )


def raw_sqlite(path: Path, spec: TaskSpec) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE tasks (id TEXT PRIMARY KEY, name TEXT, kind TEXT, worker TEXT, state TEXT, created_at INT, "
        "updated_at INT, next_run_at INT, attempts INT, spec TEXT)"
    )
    conn.execute("CREATE INDEX tasks_due ON tasks(state, next_run_at)")
    payload = json.dumps(spec.to_json(), separators=(",", ":"))  # serialized once: the floor
    started = time.perf_counter()
    for _ in range(N):
        now = time.time_ns() // 1000
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO tasks VALUES (?, NULL, 'deferred', 'shell', 'enqueued', ?, ?, ?, 0, ?)",
            (uuid.uuid4().hex[:12], now, now, now + 3_600_000_000, payload),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return N / elapsed


def engine_enqueue(path: Path, spec: TaskSpec, *, start: bool) -> float:
    store = Store(path)
    engine = Engine(store, SystemClock())
    if start:
        engine.start()
    started = time.perf_counter()
    for _ in range(N):
        engine.enqueue(spec)
    elapsed = time.perf_counter() - started
    if start:
        engine.stop()
    assert store.count_by_state()  # really stored
    assert len(store.tasks()) == N
    store.close()
    return N / elapsed


def raw_same_writes(path: Path, spec: TaskSpec) -> float:
    """Raw sqlite3 doing exactly the rows Workdeck writes (its schema, the tags table):
    the floor for Workdeck's schema, to tell SQLite's share from Python's."""
    store = Store(path)
    conn = store.conn
    payload = json.dumps(spec.to_json(), separators=(",", ":"))
    started = time.perf_counter()
    for _ in range(N):
        now, task_id = time.time_ns() // 1000, uuid.uuid4().hex[:12]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO tasks (id, name, kind, worker, state, created_at, updated_at, next_run_at, attempts, spec) "
            "VALUES (?, NULL, 'deferred', 'shell', 'enqueued', ?, ?, ?, 0, ?)",
            (task_id, now, now, now + 3_600_000_000, payload),
        )
        if spec.tags:
            conn.executemany("INSERT INTO tags (task_id, tag) VALUES (?, ?)", [(task_id, t) for t in spec.tags])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    store.close()
    return N / elapsed


def test_enqueue_rate_against_raw_sqlite(tmp_path: Path, qapp: Any) -> None:
    clock = SystemClock()
    tagged = _spec(clock)
    plain = tagged.replace(tags=())
    cases: dict[str, Callable[[Path], float]] = {
        "raw sqlite3 INSERT + COMMIT (baseline)": lambda p: raw_sqlite(p, plain),
        "Engine.enqueue, not started (the CLI)": lambda p: engine_enqueue(p, plain, start=False),
        "Engine.enqueue, started (an owner)": lambda p: engine_enqueue(p, plain, start=True),
        "  same, with 2 tags, not started": lambda p: engine_enqueue(p, tagged, start=False),
        "  same, with 2 tags, started": lambda p: engine_enqueue(p, tagged, start=True),
        "  raw sqlite3, Workdeck's rows, no tags": lambda p: raw_same_writes(p, plain),
        "  raw sqlite3, Workdeck's rows, 2 tags": lambda p: raw_same_writes(p, tagged),
    }
    # Rounds are interleaved so a busy neighbour slows every case alike; best of each.
    best = dict.fromkeys(cases, 0.0)
    for round_ in range(ROUNDS):
        for i, (label, case) in enumerate(cases.items()):
            best[label] = max(best[label], case(tmp_path / f"{round_}-{i}.db"))
    raw = best["raw sqlite3 INSERT + COMMIT (baseline)"]
    print(f"\ndurable enqueue, {N} tasks, one commit each (WAL, synchronous=NORMAL), best of {ROUNDS} interleaved")
    print(f"{'':42} {'tasks/s':>9} {'x raw':>7}")
    for label, rate in best.items():
        print(f"{label:42} {rate:9.0f} {rate / raw:7.2f}")
    # The target is 0.5x raw sqlite3 for Engine.enqueue. Much of the gap is
    # SQLite's own work on Workdeck's schema (the "Workdeck's rows" floor: more indexes,
    # the tags table), so the target is printed, met or not, and the assertion guards
    # against regressions. A started engine also looks for due work after each enqueue
    # (so a task for now starts at once): printed only.
    idle = best["Engine.enqueue, not started (the CLI)"]
    floor = best["  raw sqlite3, Workdeck's rows, no tags"]
    verdict = "met" if idle / raw >= TARGET else "NOT met"
    print(f"target {TARGET}x raw for Engine.enqueue: {verdict} ({idle / raw:.2f}x); "
          f"Engine.enqueue / raw sqlite3 writing the same rows: {idle / floor:.2f}x")
    assert idle / raw >= REGRESSION_GUARD, f"Engine.enqueue at {idle / raw:.2f}x raw sqlite3"


# ---------------------------------------------------------------------- CPU per task and stalls, against huey


def _per_call(path: Path, enqueue_factory: Callable[[Path], tuple[Callable[[], object], Callable[[], None]]]
              ) -> tuple[float, list[float]]:
    """CPU seconds per task and every call's wall time."""
    enqueue, close = enqueue_factory(path)
    for _ in range(50):  # warm up: first-use imports and caches are not per-task costs
        enqueue()
    walls = []
    cpu0 = time.process_time()
    for _ in range(N):
        t0 = time.perf_counter()
        enqueue()
        walls.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / N
    close()
    return cpu, walls


def _workdeck(spec: TaskSpec) -> Callable[[Path], tuple[Callable[[], object], Callable[[], None]]]:
    def make(path: Path) -> tuple[Callable[[], object], Callable[[], None]]:
        store = Store(path)
        engine = Engine(store, SystemClock())
        return (lambda: engine.enqueue(spec)), store.close
    return make


def _huey(path: Path) -> tuple[Callable[[], object], Callable[[], None]]:
    from huey import SqliteHuey

    huey = SqliteHuey(filename=str(path), results=False)

    @huey.task()
    def backup(argv: list[str]) -> None:  # pragma: no cover - never consumed here
        pass

    argv = ["rsync", "-a", "/home/me/docs", "/backup"]
    return (lambda: backup(argv)), huey.storage.close


def _raw(path: Path) -> tuple[Callable[[], object], Callable[[], None]]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE q (id INTEGER PRIMARY KEY, data TEXT)")
    payload = json.dumps({"argv": ["rsync", "-a", "/home/me/docs", "/backup"]})

    def put() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO q (data) VALUES (?)", (payload,))
        conn.execute("COMMIT")
    return put, conn.close


def test_enqueue_cpu_per_task_against_huey_and_no_stalls(tmp_path: Path, qapp: Any) -> None:
    import statistics

    import pytest

    pytest.importorskip("huey", reason="pip install 'huey>=2.5' (the bench extra)")
    clock = SystemClock()
    cases = {
        "raw sqlite3 INSERT + COMMIT (floor)": _raw,
        "huey task() enqueue (SqliteHuey)": _huey,
        "Workdeck Engine.enqueue": _workdeck(_spec(clock).replace(tags=())),
    }
    results: dict[str, list[tuple[float, list[float]]]] = {k: [] for k in cases}
    for round_ in range(CPU_ROUNDS):  # interleaved rounds
        for i, (label, case) in enumerate(cases.items()):
            results[label].append(_per_call(tmp_path / f"cpu-{round_}-{i}.db", case))
    print(f"\nin-process enqueue, {N} tasks, one commit each, {CPU_ROUNDS} interleaved rounds: median (range over rounds)")
    print(f"{'':38} {'CPU µs/task':>20} {'median µs':>18} {'p99 µs':>18} {'p99/median':>16}")
    summary: dict[str, tuple[float, float]] = {}
    for label, rounds in results.items():
        cpus = [c * 1e6 for c, _ in rounds]
        medians = [statistics.median(w) * 1e6 for _, w in rounds]
        p99s = [statistics.quantiles(w, n=100)[98] * 1e6 for _, w in rounds]
        ratios = [p / m for p, m in zip(p99s, medians, strict=True)]
        summary[label] = (statistics.median(cpus), statistics.median(ratios))

        def cell(values: list[float], fmt: str = ".0f") -> str:
            return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"
        print(f"{label:38} {cell(cpus):>20} {cell(medians):>18} {cell(p99s):>18} {cell(ratios, '.1f'):>16}")
    ours_cpu, ours_ratio = summary["Workdeck Engine.enqueue"]
    huey_cpu = summary["huey task() enqueue (SqliteHuey)"][0]
    # Each round's Workdeck over that round's huey: the spread says how far to trust the median.
    per_round = [ours[0] / peer[0] for ours, peer in zip(results["Workdeck Engine.enqueue"],
                                                         results["huey task() enqueue (SqliteHuey)"], strict=True)]
    print(f"Workdeck CPU / huey: {ours_cpu / huey_cpu:.2f}x, same round {statistics.median(per_round):.2f}x "
          f"({min(per_round):.2f}-{max(per_round):.2f}) (target <= 1: {'met' if ours_cpu <= huey_cpu else 'NOT met'}); "
          f"p99/median {ours_ratio:.1f} (target <= 5: {'met' if ours_ratio <= 5 else 'NOT met'})")
