"""What pruning removes, in short batches, and how the file shrinks back.

A run goes when all of these hold (engine.history.policy has the rule):
it has ended; it is not one of its task's newest ``keep_runs`` (for an unfinished task
with retries, not one of the newest ``2 x retries + 2`` either: the engine counts a
retry streak from them); it ended before ``now - keep_for``; it is not the task's
last failure. Its output rows go with it.

A finished task (succeeded, failed, cancelled; one-shot or a stopped series) goes,
with its runs, counters, tags and acknowledged reminders, once it has been finished
for ``keep_for`` (WorkManager prunes finished work the same way), unless an
unfinished task still waits for it or reads its output (``--after``), or it has a
reminder nobody acknowledged (the missed-reminders list). Unfinished tasks never go.

Each :func:`prune_batch` visits a few hundred tasks, chooses at most ``batch_runs``
runs without the write lock, then deletes them in one short ``BEGIN IMMEDIATE``
transaction, re-checking inside it what another writer could have changed (a new
``--after`` child). The caller (the owner's idle pass, or ``workdeck prune``) calls
it until the sweep is done, then :func:`shrink` gives freed pages back to the file.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.history.policy import RetentionPolicy
from engine.model import FINISHED_STATES, State

log = logging.getLogger(__name__)

#: Runs deleted per transaction at most (the owner adapts it to the lock time it measures).
BATCH_RUNS = 500
#: Tasks looked at per batch at most: one index seek each when there is nothing to prune.
BATCH_TASKS = 300
#: Output bytes deleted per transaction at most (at least one run): freeing a page of
#: overflow reads it, so a batch of runs with a megabyte each would hold the lock long.
BATCH_OUTPUT = 2 * 1024 * 1024
#: Pages given back to the file per incremental_vacuum step (4 KiB pages: 2 MiB).
VACUUM_PAGES = 512
#: Wall seconds one transaction deletes for, at most: past it, the transaction commits
#: what it deleted and the rest is the next batch's. The planned size keeps a batch
#: under this on a quiet machine; the time box keeps it there when the machine is busy
#: (a batch planned for 5 ms took 14-30 ms under load).
TIME_BOX = 0.005
#: Runs per DELETE statement inside a transaction: the time box is checked between them.
DELETE_CHUNK = 25

_FINISHED = tuple(s.value for s in FINISHED_STATES)
_KNOWN_STATES = frozenset(s.value for s in State) - {State.UNREADABLE.value}
_UNFINISHED_CHILD = (
    "SELECT 1 FROM deps d JOIN tasks c ON c.id = d.task_id WHERE d.parent_id = ? "
    f"AND c.state NOT IN ({','.join('?' * len(_FINISHED))}) LIMIT 1"
)
_OPEN_REMINDER = "SELECT 1 FROM reminders WHERE task_id = ? AND acknowledged_at IS NULL LIMIT 1"


@dataclass
class PruneResult:
    runs: int = 0
    output_bytes: int = 0
    tasks: int = 0
    removed_tasks: list[str] = field(default_factory=list)
    #: seconds each write transaction held the lock (wall clock: what a waiting writer
    #: sees) and the CPU seconds it took (what a loaded machine's scheduling does not inflate)
    lock_holds: list[float] = field(default_factory=list)
    lock_cpu: list[float] = field(default_factory=list)

    def add(self, other: PruneResult) -> None:
        self.runs += other.runs
        self.output_bytes += other.output_bytes
        self.tasks += other.tasks
        self.removed_tasks.extend(other.removed_tasks)
        self.lock_holds.extend(other.lock_holds)
        self.lock_cpu.extend(other.lock_cpu)

    def to_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "output_bytes": self.output_bytes, "tasks": self.tasks,
                "removed_tasks": self.removed_tasks}


@dataclass(frozen=True)
class SweepCursor:
    """Where a sweep goes on: at this task rowid, and inside that task after this run id."""

    task_rowid: int = 0
    after_run: int = 0


@dataclass
class _Plan:
    runs: list[int] = field(default_factory=list)
    rowids: list[int] = field(default_factory=list)  # each run's task's rowid
    tasks: list[tuple[str, int]] = field(default_factory=list)  # finished tasks (id, rowid) whose last runs are in ``runs``

    def take(self, rowid: int, run_ids: list[int]) -> None:
        self.runs.extend(run_ids)
        self.rowids.extend([rowid] * len(run_ids))


def _task_policy(policy: RetentionPolicy, spec: dict[str, Any]) -> tuple[int, float]:
    keep_runs = spec.get("keep_runs")
    keep_for = spec.get("keep_for")
    return (policy.keep_runs if keep_runs is None else int(keep_runs),
            policy.keep_for if keep_for is None else float(keep_for))


def _readable_policy(policy: RetentionPolicy, spec_text: Any, state: Any,
                     updated_at: Any) -> tuple[int, float, int] | None:
    """``(keep_runs, keep_for, retries)`` of a task row; None for a row Workdeck cannot
    read (engine.quarantine): its spec is not JSON, a value or its state is not what
    Workdeck writes. Such a row keeps all it has until it is repaired or deleted, and
    the sweep goes on past it (one such row stopped every sweep, the owner's included)."""
    try:
        spec = json.loads(spec_text)
        keep_runs, keep_for = _task_policy(policy, spec)
        retries = int((spec.get("retry") or {}).get("max_retries", 0))
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None
    if state not in _KNOWN_STATES or not isinstance(updated_at, int | None):
        return None
    return keep_runs, keep_for, retries


def _may_remove_task(conn: sqlite3.Connection, task_id: str) -> bool:
    return (conn.execute(_UNFINISHED_CHILD, (task_id, *_FINISHED)).fetchone() is None
            and conn.execute(_OPEN_REMINDER, (task_id,)).fetchone() is None
            and conn.execute("SELECT 1 FROM runs WHERE task_id = ? AND ended_at IS NULL LIMIT 1",
                             (task_id,)).fetchone() is None)


def _plan(conn: sqlite3.Connection, policy: RetentionPolicy, now_us: int, cursor: SweepCursor,
          batch_runs: int) -> tuple[_Plan, SweepCursor | None]:
    """Choose what one batch removes (reads only) and where the next batch starts."""
    plan = _Plan()
    rows = conn.execute(
        "SELECT rowid, id, spec, state, updated_at, last_failure_run FROM tasks WHERE rowid >= ? "
        "ORDER BY rowid LIMIT ?", (cursor.task_rowid, BATCH_TASKS),
    ).fetchall()
    after_run = cursor.after_run
    for rowid, task_id, spec_text, state, updated_at, last_failure in rows:
        room = batch_runs - len(plan.runs)
        if room <= 0:
            return plan, SweepCursor(rowid, 0)
        readable = _readable_policy(policy, spec_text, state, updated_at)
        if readable is None:
            after_run = 0
            continue
        keep_runs, keep_for, retries = readable
        cutoff = now_us - int(keep_for * 1_000_000)
        if state in _FINISHED and (updated_at or 0) < cutoff and _may_remove_task(conn, task_id):
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM runs WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?", (task_id, after_run, room + 1))]
            if len(ids) > room:  # more than fit: this batch takes some, the next goes on
                plan.take(rowid, ids[:room])
                return plan, SweepCursor(rowid, ids[room - 1])
            plan.take(rowid, ids)
            plan.tasks.append((task_id, rowid))
            after_run = 0
            continue
        if retries and state not in _FINISHED:
            keep_runs = max(keep_runs, 2 * retries + 2)
        # The newest run that is not among the newest keep_runs: one seek down runs_task.
        edge = conn.execute("SELECT id FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                            (task_id, keep_runs)).fetchone()
        if edge is None:
            after_run = 0
            continue
        # Oldest first; runs started in id order, so the first one that ended inside
        # keep_for ends the scan (a long run that ended late keeps the older ones
        # behind it for a sweep or two: never too much goes, at worst too little).
        scanned = conn.execute(
            "SELECT id, ended_at FROM runs WHERE task_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?",
            (task_id, after_run, edge[0], room + 1),
        ).fetchall()
        taken, last_seen = 0, after_run
        after_run = 0
        for run_id, ended_at in scanned:
            if ended_at is not None and ended_at >= cutoff:
                break
            if taken == room:
                return plan, SweepCursor(rowid, last_seen)
            last_seen = run_id
            if ended_at is None or run_id == last_failure:
                continue
            plan.take(rowid, [run_id])
            taken += 1
        else:
            if len(scanned) > room:  # all looked at and there may be more: go on in this task
                return plan, SweepCursor(rowid, last_seen)
    if len(rows) < BATCH_TASKS:
        return plan, None
    return plan, SweepCursor(rows[-1][0] + 1, 0)


def prune_batch(
    conn: sqlite3.Connection,
    policy: RetentionPolicy,
    now_us: int,
    cursor: SweepCursor | None = None,
    *,
    batch_runs: int = BATCH_RUNS,
    dry_run: bool = False,
    time_box: float | None = TIME_BOX,
) -> tuple[PruneResult, SweepCursor | None]:
    """Prune one batch; returns what went and the cursor of the next batch (None: the
    sweep is done). ``dry_run`` counts the same things and deletes nothing. The
    transaction commits after ``time_box`` seconds of deleting, whatever is left (see
    TIME_BOX)."""
    plan, nxt = _plan(conn, policy, now_us, cursor or SweepCursor(), batch_runs)
    result = PruneResult()
    if not plan.runs and not plan.tasks:
        return result, nxt
    sizes = _output_sizes(conn, plan.runs)  # read before the lock: ended runs' output never changes
    if dry_run:
        result.runs, result.output_bytes = len(plan.runs), sum(sizes.values())
        result.tasks, result.removed_tasks = len(plan.tasks), [t for t, _ in plan.tasks]
        return result, nxt
    total = 0
    for i, run_id in enumerate(plan.runs):
        total += sizes.get(run_id, 0)
        if total > BATCH_OUTPUT and i > 0:  # the rest waits for the next batch
            nxt = _cut(plan, i)
            break
    started, cpu = time.perf_counter(), time.thread_time()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for start in range(0, len(plan.runs), DELETE_CHUNK):
            if start and time_box is not None and time.perf_counter() - started > time_box:
                nxt = _cut(plan, start)  # committed below; the rest is the next batch's
                break
            part = plan.runs[start : start + DELETE_CHUNK]
            marks = ",".join("?" * len(part))
            conn.execute(f"DELETE FROM output WHERE run_id IN ({marks})", part)
            # ended_at IS NOT NULL: re-checked under the lock, a run in progress never goes
            result.runs += conn.execute(f"DELETE FROM runs WHERE id IN ({marks}) AND ended_at IS NOT NULL",
                                        part).rowcount
        for task_id, _ in plan.tasks:
            if not _may_remove_task(conn, task_id):  # a child came since we looked
                continue
            _remove_task(conn, task_id)
            result.tasks += 1
            result.removed_tasks.append(task_id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    result.lock_holds.append(time.perf_counter() - started)
    result.lock_cpu.append(time.thread_time() - cpu)
    result.output_bytes = sum(sizes.get(r, 0) for r in plan.runs)
    return result, nxt


def _cut(plan: _Plan, i: int) -> SweepCursor:
    """Keep the plan's first ``i`` runs (and the finished tasks all of whose runs are
    among them); the cursor where the next batch goes on."""
    rowid = plan.rowids[i]
    nxt = SweepCursor(rowid, plan.runs[i - 1] if plan.rowids[i - 1] == rowid else 0)
    plan.runs, plan.rowids = plan.runs[:i], plan.rowids[:i]
    plan.tasks = [(t, r) for t, r in plan.tasks if r < rowid]
    return nxt


def _output_sizes(conn: sqlite3.Connection, run_ids: list[int]) -> dict[int, int]:
    """Bytes of output per run (runs with none are left out)."""
    sizes: dict[int, int] = {}
    for start in range(0, len(run_ids), 500):
        part = run_ids[start : start + 500]
        sizes.update(conn.execute(
            f"SELECT run_id, SUM(length(CAST(text AS BLOB))) FROM output WHERE run_id IN ({','.join('?' * len(part))}) "
            "GROUP BY run_id", part,
        ).fetchall())
    return sizes


def _remove_task(conn: sqlite3.Connection, task_id: str) -> None:
    """A finished task whose runs already went in this transaction."""
    from engine.store import delete_task_rows  # the store imports this package

    delete_task_rows(conn, task_id)


def prune_all(conn: sqlite3.Connection, policy: RetentionPolicy, now_us: int, *, dry_run: bool = False,
              batch_runs: int = BATCH_RUNS, time_box: float | None = TIME_BOX) -> PruneResult:
    """A whole sweep at once, batch after batch (``workdeck prune``)."""
    total = PruneResult()
    cursor: SweepCursor | None = SweepCursor()
    while cursor is not None:
        result, cursor = prune_batch(conn, policy, now_us, cursor, batch_runs=batch_runs, dry_run=dry_run,
                                     time_box=time_box)
        total.add(result)
    return total


# ---------------------------------------------------------------- the file


def auto_vacuum_mode(conn: sqlite3.Connection) -> int:
    """0 none, 1 full, 2 incremental."""
    return int(conn.execute("PRAGMA auto_vacuum").fetchone()[0])


def shrink_step(conn: sqlite3.Connection, pages: int = VACUUM_PAGES) -> tuple[int, float]:
    """Give up to ``pages`` free pages back to the file; (pages left free, lock seconds)."""
    started = time.perf_counter()
    # executescript steps the pragma to its end; execute() stops after one page
    conn.executescript(f"PRAGMA incremental_vacuum({int(pages)});")
    held = time.perf_counter() - started
    return int(conn.execute("PRAGMA freelist_count").fetchone()[0]), held


def shrink(conn: sqlite3.Connection, *, pages: int = VACUUM_PAGES) -> list[float]:
    """Every free page back to the file, ``pages`` at a time; the lock hold of each step."""
    holds: list[float] = []
    if auto_vacuum_mode(conn) != 2:
        return holds
    while True:
        left, held = shrink_step(conn, pages)
        holds.append(held)
        if left == 0:
            return holds


def switch_to_incremental_vacuum(conn: sqlite3.Connection, path: str,
                                 say: Callable[[str], None] | None = None) -> bool:
    """A database made before schema 6 has auto_vacuum off; switching it on needs one
    full VACUUM (it rewrites the file). Done at a quiet moment: the owner's start,
    before its engine runs anything, or ``workdeck prune``. Progress goes to ``say``
    (the log by default) every few seconds. Returns whether it ran."""
    if auto_vacuum_mode(conn) == 2 or path == ":memory:":
        return False
    say = say or log.info
    size = os.path.getsize(path) if os.path.exists(path) else 0
    say(f"switching {path} to incremental vacuum: one VACUUM of {size / 1048576:.1f} MiB")
    started = time.monotonic()
    last = [started]

    def progress() -> int:
        now = time.monotonic()
        if now - last[0] >= 5.0:
            last[0] = now
            say(f"vacuum of {path}: still working, {now - started:.0f} s")
        return 0

    conn.set_progress_handler(progress, 1_000_000)
    try:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
    finally:
        conn.set_progress_handler(None, 0)
    after = os.path.getsize(path) if os.path.exists(path) else 0
    say(f"vacuum of {path} done in {time.monotonic() - started:.1f} s: {after / 1048576:.1f} MiB")
    return True
