"""The database's schema: version 1 as it was, and each migration since.

A database records its version in ``PRAGMA user_version``; :class:`engine.store.Store`
runs ``MIGRATIONS[n]`` for every version n it is behind, each in the same transaction,
and refuses a version from the future. Never edit a migration that has shipped: add one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store imports it only to create or migrate a database
    import sqlite_utils

#: 'WDK1': marks a file as a Workdeck database (PRAGMA application_id).
APPLICATION_ID = 0x57444B31
SCHEMA_VERSION = 11

def create_v1(db: sqlite_utils.Database) -> None:
    """The first schema. Kept as it was: migrations start from it."""
    db.table("tasks").create(
        {
            "id": str,
            "name": str,
            "kind": str,
            "worker": str,
            "state": str,
            "created_at": int,
            "updated_at": int,
            "next_run_at": int,
            "attempts": int,
            "spec": str,
            "output": str,
        },
        pk="id",
        not_null={"kind", "worker", "state", "created_at", "attempts", "spec"},
        defaults={"attempts": 0},
    )
    # Finding the next due task walks this index from its start: no table scan,
    # however many finished tasks pile up (persist-queue's dequeue slows as they do).
    db.table("tasks").create_index(["state", "next_run_at"], index_name="tasks_due")
    db.table("tasks").create_index(["name"], index_name="tasks_name")
    db.table("tags").create({"task_id": str, "tag": str}, pk=("task_id", "tag"))
    db.table("tags").create_index(["tag"], index_name="tags_tag")
    db.table("deps").create({"task_id": str, "parent_id": str}, pk=("task_id", "parent_id"))
    db.table("deps").create_index(["parent_id"], index_name="deps_parent")
    db.execute(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, "
        "attempt INTEGER NOT NULL, started_at INTEGER NOT NULL, due_at INTEGER, fired_at INTEGER, "
        "ended_at INTEGER, outcome TEXT, exit_code INTEGER)"
    )
    db.table("runs").create_index(["task_id", "id"], index_name="runs_task")
    db.execute(
        "CREATE TABLE output (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, text TEXT NOT NULL)"
    )
    db.table("output").create_index(["run_id", "seq"], index_name="output_run")
    # Runs still open: what a crash leaves behind, found at start without a scan.
    db.execute("CREATE INDEX runs_open ON runs(task_id) WHERE ended_at IS NULL")


def migrate_1_to_2(db: sqlite_utils.Database) -> None:
    """Version 2 records why a run was stopped and a human note per run."""
    db.table("runs").add_column("stop_reason", str)
    db.table("runs").add_column("detail", str)


def migrate_2_to_3(db: sqlite_utils.Database) -> None:
    """Version 3 finds due tasks of one kind by index: with 100,000 deferred tasks due
    (waiting for a slot or a constraint), finding the immediate ones no longer walks
    them all, and neither does finding the next deferred one behind them."""
    db.execute("CREATE INDEX tasks_kind_due ON tasks(state, kind, next_run_at)")


def migrate_3_to_4(db: sqlite_utils.Database) -> None:
    """Version 4 keeps reminders until someone acknowledges them (the missed-reminders list)."""
    db.execute(
        "CREATE TABLE reminders (id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, "
        "message TEXT NOT NULL, due_at INTEGER, fired_at INTEGER, status TEXT NOT NULL, detail TEXT, "
        "created_at INTEGER NOT NULL, acknowledged_at INTEGER)"
    )
    # The list a tray reads on every start: unacknowledged rows only, found without a scan.
    db.execute("CREATE INDEX reminders_open ON reminders(task_id) WHERE acknowledged_at IS NULL")


def migrate_4_to_5(db: sqlite_utils.Database) -> None:
    """Version 5 writes fewer B-tree entries per enqueue: every due query names its
    kind, so tasks_kind_due covers tasks_due; tasks_name indexes only named tasks
    (unique work), which most are not; tags lose their rowid. With the compact spec JSON, durable enqueue went
    from 0.40x to 0.51-0.58x of raw sqlite3 (tests/bench/bench_enqueue.py)."""
    db.execute("DROP INDEX tasks_due")
    db.execute("DROP INDEX tasks_name")
    db.execute("CREATE INDEX tasks_name ON tasks(name) WHERE name IS NOT NULL")
    # Tags keyed by their primary key alone (WITHOUT ROWID): one B-tree fewer to
    # write for every tag of every task.
    db.execute("CREATE TABLE tags_v5 (task_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (task_id, tag)) WITHOUT ROWID")
    db.execute("INSERT INTO tags_v5 SELECT task_id, tag FROM tags")
    db.execute("DROP TABLE tags")
    db.execute("ALTER TABLE tags_v5 RENAME TO tags")
    db.execute("CREATE INDEX tags_tag ON tags(tag)")


def migrate_5_to_6(db: sqlite_utils.Database) -> None:
    """Version 6 bounds a task's history (engine.history): a ``settings`` table for the
    global retention policy, and per-task run counters on ``tasks`` that stay true
    after old runs are pruned, back-filled here in one sequential pass over ``runs``
    with progress in the log (10M runs: see tests/bench/bench_history.py). The file
    switches to incremental vacuum later, outside this transaction (a VACUUM cannot
    run in one): engine.history.prune.switch_to_incremental_vacuum."""
    from engine.history import counters

    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    counters.add_columns(db.conn)
    counters.backfill(db.conn)


def migrate_6_to_7(db: sqlite_utils.Database) -> None:
    """Version 7 reads the timeline's time range by index instead of scanning every run
    ever recorded (engine/store/reads.py: runs_between, run_buckets).

    runs_started covers what the timeline draws (task, end, outcome), so per-pixel
    aggregates over a week of a 1-second task read index pages only. A run overlaps a
    range if it starts in it or started before and is still going: runs_long holds the
    only runs that can do the latter from further back than LONG_RUN_US, those still
    open and those that lasted longer, a few among millions."""
    db.execute("CREATE INDEX runs_started ON runs(started_at, task_id, ended_at, outcome)")
    db.execute(
        "CREATE INDEX runs_long ON runs(started_at) "
        "WHERE ended_at IS NULL OR ended_at - started_at > 3600000000"
    )


def migrate_7_to_8(db: sqlite_utils.Database) -> None:
    """Version 8 records when a run's process started (``runs.spawned_at``) beside when
    its alarm fired (``fired_at``): the gap between them is the command's start-up delay,
    which the details and ``show --json`` show."""
    db.execute("ALTER TABLE runs ADD COLUMN spawned_at INTEGER")


def migrate_8_to_9(db: sqlite_utils.Database) -> None:
    """Version 9 names a run's process group: its id and its leader's start
    (engine.process_groups), so the next owner ends what a dead owner's run left running
    before it runs the task again, and never signals a pid that was given to another process."""
    db.execute("ALTER TABLE runs ADD COLUMN pgid INTEGER")
    db.execute("ALTER TABLE runs ADD COLUMN leader_start TEXT")


def migrate_9_to_10(db: sqlite_utils.Database) -> None:
    """Version 10 indexes only the tasks that wait for their time: ``tasks_kind_due``
    keeps its columns and name but holds enqueued and scheduled tasks alone, not every
    task that ever ran (most of the table after a year of use).

    Every due query names the state it wants as a literal: bound as a parameter, it made
    SQLite prepare the query again at each run to see whether the partial index applies
    (15.8 against 4.6 us a query, measured). A run's claim now removes one
    entry and its end touches the index not at all, where before each moved an entry to
    another part of it (running, then succeeded): two WAL pages fewer per run, of ~11
    (10.9 -> 8.8 frames a commit draining 3,000 shell tasks; issue 14)."""
    db.execute("DROP INDEX tasks_kind_due")
    db.execute(
        "CREATE INDEX tasks_kind_due ON tasks(state, kind, next_run_at) WHERE state = 'enqueued' OR state = 'scheduled'"
    )


def migrate_10_to_11(db: sqlite_utils.Database) -> None:
    """Version 11 drops ``runs_open``: ``runs_long`` (version 7) holds every open run too,
    so finding the runs a crash left open reads that index instead. Every run's claim
    added an entry to each and its end removed it from each: one WAL page fewer per run
    (issue 14)."""
    db.execute("DROP INDEX IF EXISTS runs_open")


#: MIGRATIONS[n] takes a database from version n to n + 1.
MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: migrate_1_to_2,
    2: migrate_2_to_3,
    3: migrate_3_to_4,
    4: migrate_4_to_5,
    5: migrate_5_to_6,
    6: migrate_6_to_7,
    7: migrate_7_to_8,
    8: migrate_8_to_9,
    9: migrate_9_to_10,
    10: migrate_10_to_11,
}
