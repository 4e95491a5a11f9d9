"""Reads bounded by what is shown, not by what is stored.

``show`` reads a task's newest runs (an index walk down ``runs_task`` from the end) or
streams all of them oldest first from an open cursor; ``list`` streams its tasks.
Nothing here holds a whole history in memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.model import Run
from engine.store import RUN_COLUMNS, Store, run_from_row

#: ``show`` lists this many of the newest runs unless told otherwise (``--runs N|all``).
SHOW_RUNS = 20


def iter_runs(store: Store, task_id: str) -> Iterator[Run]:
    """Every run of the task, oldest first, one row at a time."""
    rows = store.conn.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id", (task_id,))
    return (run_from_row(r) for r in rows)


def newest_runs(store: Store, task_id: str, count: int | None) -> list[Run] | Iterator[Run]:
    """The newest ``count`` runs oldest first (a list), or all of them streamed (None)."""
    if count is None:
        return iter_runs(store, task_id)
    if count <= 0:
        return []
    return store.runs(task_id, newest=count)
