"""A database after a year of use, built in seconds for the scale benchmarks.

``build(path, tasks, runs)``: ``tasks`` tasks, ``runs`` runs spread over the last 365 days.
One busy periodic task holds half the runs; ``tasks // 100`` other periodic tasks share
the rest but one run for each of the remaining one-shot tasks (finished, a distinct
rsync command each, one tag). Every run ended; one in 97 failed. A run in ten of the
periodic tasks (and every one-shot run) wrote a line of output. Tasks go through
``Store.insert_task`` (the engine's own spec JSON); runs and output are bulk SQL in the
shape ``engine.store`` writes (tests/history_data.py), and each task's run counters
(engine.history.counters) are filled from its runs in one pass at the end.

    python -m tests.bench.year_data PATH TASKS RUNS
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from engine.clock import to_us
from engine.model import Kind, Schedule, State, Task, TaskSpec
from engine.store import Store

S = 1_000_000
YEAR_S = 365 * 86400
BUSY_ID = "busy00000001"
FAIL_EVERY = 97
_INSERT_RUN = ("INSERT INTO runs (task_id, attempt, started_at, due_at, ended_at, outcome, exit_code) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)")


def periodic_ids(tasks: int) -> list[str]:
    return [BUSY_ID] + [f"per{i:08d}" for i in range(1, max(1, tasks // 100))]


def oneshot_id(i: int) -> str:
    return f"done{i:08d}"


def build(path: Path, tasks: int, runs: int, now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    now_us = to_us(now)
    start_us = now_us - YEAR_S * S
    periodic = periodic_ids(tasks)
    oneshots = tasks - len(periodic)
    periodic_runs = runs - oneshots
    busy_runs = periodic_runs // 2 if len(periodic) > 1 else periodic_runs
    shares = [busy_runs] + [(periodic_runs - busy_runs) // max(1, len(periodic) - 1)] * (len(periodic) - 1)
    shares[-1] += periodic_runs - sum(shares)
    store = Store(path)
    conn = store.conn
    with store.transaction():
        for task_id, share in zip(periodic, shares, strict=True):
            every = YEAR_S / max(1, share)
            spec = TaskSpec("shell", ("sh", "-c", f"backup --profile {task_id}"), kind=Kind.DEFERRED,
                            name=f"periodic {task_id}", schedule=Schedule(every=every), tags=("periodic",))
            store.insert_task(Task(task_id, spec, State.ENQUEUED, now - timedelta(days=366), attempts=share,
                                   next_run_at=now + timedelta(hours=1)))
        for i in range(oneshots):
            spec = TaskSpec("shell", ("rsync", "-a", f"/home/me/dir {i}", "/backup"), kind=Kind.IMMEDIATE,
                            tags=("adhoc",))
            created = now - timedelta(seconds=YEAR_S * (oneshots - i) / oneshots)
            state = State.FAILED if i % FAIL_EVERY == FAIL_EVERY - 1 else State.SUCCEEDED
            store.insert_task(Task(oneshot_id(i), spec, state, created, attempts=1))
    # runs in time order across tasks, as a year of use writes them (ids ascend with time)
    events: list[tuple[int, str, int]] = []
    for task_id, share in zip(periodic, shares, strict=True):
        step = YEAR_S * S // max(1, share)
        events.extend((start_us + i * step, task_id, i) for i in range(share))
    for i in range(oneshots):
        events.append((now_us - YEAR_S * S * (oneshots - i) // oneshots + S, oneshot_id(i), 0))
    events.sort()
    batch = 200_000
    for base in range(0, len(events), batch):
        chunk = events[base:base + batch]
        with store.transaction():
            first = conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0] + 1
            conn.executemany(_INSERT_RUN, (
                (t, n + 1, at, at, at + 2 * S, "failed" if n % FAIL_EVERY == FAIL_EVERY - 1 else "succeeded",
                 1 if n % FAIL_EVERY == FAIL_EVERY - 1 else 0) for at, t, n in chunk))
            conn.executemany("INSERT INTO output (run_id, text) VALUES (?, ?)", (
                (first + k, f"{t} run {n}: sent 1,234 bytes  received 56 bytes  total size 9,876 speedup 7.1\n")
                for k, (_at, t, n) in enumerate(chunk) if not t.startswith(("busy", "per")) or n % 10 == 9))
    with store.transaction():
        conn.execute(
            "UPDATE tasks SET runs_total = c.total, runs_succeeded = c.ok, runs_failed = c.bad, "
            "last_outcome = c.last_outcome, last_ended_at = c.last_end, last_failure_run = c.last_fail "
            "FROM (SELECT task_id, COUNT(*) AS total, SUM(outcome = 'succeeded') AS ok, "
            "SUM(outcome = 'failed') AS bad, MAX(ended_at) AS last_end, "
            "MAX(CASE WHEN outcome = 'failed' THEN id END) AS last_fail, "
            "(SELECT outcome FROM runs r2 WHERE r2.task_id = runs.task_id ORDER BY id DESC LIMIT 1) AS last_outcome "
            "FROM runs GROUP BY task_id) AS c WHERE tasks.id = c.task_id")
    store.close()


if __name__ == "__main__":
    began = time.perf_counter()
    build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print(f"built {sys.argv[1]} in {time.perf_counter() - began:.1f} s")
