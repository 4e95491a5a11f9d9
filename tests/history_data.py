"""Long histories for tests and benchmarks, inserted directly into a schema made by Store.

Going through the engine would take hours for millions of runs; the rows are what the
engine writes (engine.store: start_run/end_run), in the order it writes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.clock import to_us
from engine.model import Kind, Schedule, State, Task, TaskSpec
from engine.store import Store

S = 1_000_000
BUSY_ID = "busy00000001"
#: One run in this many fails: a band of successes with failures to show.
FAIL_EVERY = 97


def add_busy_task(store: Store, now: datetime, runs: int, *, every_s: float = 1.0, run_s: float = 0.2,
                  task_id: str = BUSY_ID, kind: Kind = Kind.DEFERRED, batch: int = 200_000,
                  fail_every: int = FAIL_EVERY) -> Task:
    """A periodic task (``--every every_s``) with ``runs`` finished runs ending now, one in
    ``fail_every`` failed (0: none)."""
    spec = TaskSpec("shell", ("true",), kind=kind, name=f"busy {task_id}", schedule=Schedule(every=every_s))
    first = to_us(now) - int(runs * every_s * S)
    task = Task(task_id, spec, State.ENQUEUED, now - timedelta(seconds=runs * every_s + 60),
                next_run_at=now + timedelta(seconds=every_s), attempts=runs)
    with store.transaction():
        store.insert_task(task)
    step, length = int(every_s * S), int(run_s * S)

    def fails(i: int) -> bool:
        return fail_every > 0 and i % fail_every == fail_every - 1

    for base in range(0, runs, batch):
        rows = (
            (task_id, i + 1, first + i * step, first + i * step, first + i * step + length,
             "failed" if fails(i) else "succeeded", 1 if fails(i) else 0)
            for i in range(base, min(runs, base + batch))
        )
        with store.transaction():
            store.conn.executemany(
                "INSERT INTO runs (task_id, attempt, started_at, due_at, ended_at, outcome, exit_code) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    # The task's run counters (engine.history.counters), as the engine keeps them run by
    # run; counted here, not by a read of millions of rows.
    failed = runs // FAIL_EVERY
    last = runs - 1
    with store.transaction():
        store.conn.execute(
            "UPDATE tasks SET runs_total = ?, runs_succeeded = ?, runs_failed = ?, last_outcome = ?, "
            "last_ended_at = ?, last_failure_run = (SELECT id FROM runs WHERE task_id = ?6 AND outcome = 'failed' "
            "ORDER BY id DESC LIMIT 1) WHERE id = ?6",
            (runs, runs - failed, failed, "failed" if last % FAIL_EVERY == FAIL_EVERY - 1 else "succeeded",
             first + last * step + length, task_id) if runs else (0, 0, 0, None, None, task_id))
    return task


def add_finished_tasks(store: Store, now: datetime, count: int) -> None:
    """``count`` one-shot tasks that ran once, a day ago (a year of ad-hoc use)."""
    with store.transaction():
        for i in range(count):
            spec = TaskSpec("shell", ("rsync", "-a", f"/home/me/dir {i}", "/backup"), kind=Kind.IMMEDIATE)
            task = Task(f"done{i:08d}", spec, State.SUCCEEDED, now - timedelta(days=1, seconds=count - i),
                        attempts=1)
            store.insert_task(task)
            started = to_us(now - timedelta(days=1, seconds=count - i))
            store.conn.execute(
                "INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome, exit_code) "
                "VALUES (?, 1, ?, ?, 'succeeded', 0)", (task.id, started, started + S))
            store.conn.execute(
                "UPDATE tasks SET runs_total = 1, runs_succeeded = 1, last_outcome = 'succeeded', last_ended_at = ? "
                "WHERE id = ?", (started + S, task.id))
