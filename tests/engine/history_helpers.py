"""Histories built through the store's own writes (so the counters count them)."""

from __future__ import annotations

from datetime import timedelta

from engine.clock import FakeClock, to_us
from engine.model import Outcome, State, Task, TaskSpec
from engine.store import Store

DAY = 86400


def add_task(store: Store, clock: FakeClock, task_id: str, *, state: State = State.ENQUEUED,
             **spec: object) -> Task:
    task = Task(id=task_id, spec=TaskSpec(worker="shell", args=("true",), **spec),  # type: ignore[arg-type]
                state=state, created_at=clock.now(), next_run_at=None)
    with store.transaction():
        store.insert_task(task)
    return task


def add_runs(store: Store, task_id: str, ends: list[tuple[float, Outcome | None]], *, now_us: int,
             output: str = "") -> list[int]:
    """Runs that ended ``age`` seconds before ``now_us`` (None: still going), oldest first."""
    ids = []
    with store.transaction():
        for age, outcome in ends:
            at = now_us - int(age * 1_000_000)
            run_id = store.start_run(task_id, 1, at - 1000)
            if outcome is not None:
                store.end_run(run_id, at, outcome)
            if output:
                store.conn.execute("INSERT INTO output (run_id, text) VALUES (?, ?)", (run_id, output))
            ids.append(run_id)
    return ids


def finish_task(store: Store, clock: FakeClock, task_id: str, state: State, *, days_ago: float) -> None:
    """Mark a task finished ``days_ago`` (its updated_at is when it finished)."""
    at = to_us(clock.now() - timedelta(days=days_ago))
    with store.transaction():
        store.conn.execute("UPDATE tasks SET state = ?, updated_at = ? WHERE id = ?", (state.value, at, task_id))


def run_ids(store: Store, task_id: str) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM runs WHERE task_id = ? ORDER BY id", (task_id,))]
