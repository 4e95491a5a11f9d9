from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils

from engine.clock import FakeClock, to_us
from engine.history import counters
from engine.errors import (
    DatabaseReadOnlyError,
    EnvironmentFaultError,
    IllegalTransitionError,
    NoSuchTaskError,
    NotAWorkdeckDatabaseError,
    SchemaFromTheFutureError,
)
from engine.model import Kind, Outcome, State, StopReason, Task, TaskSpec
from engine.schema import APPLICATION_ID, SCHEMA_VERSION, create_v1
from engine.store import StaleTaskError, Store


def make_task(clock: FakeClock, task_id: str = "t1", **spec: object) -> Task:
    return Task(
        id=task_id,
        spec=TaskSpec(worker="shell", args=("true",), **spec),  # type: ignore[arg-type]
        state=State.ENQUEUED,
        created_at=clock.now(),
        next_run_at=clock.now(),
    )


def test_new_database_is_marked_and_current(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_task_is_committed_when_the_transaction_ends(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    with store.transaction():
        store.insert_task(make_task(clock, tags=("x",)))
    other = Store(tmp_path / "w.db")  # a second connection sees it: it is on disk
    assert other.task("t1").spec.tags == ("x",)
    other.close()


def test_a_failed_transaction_writes_nothing(store: Store, clock: FakeClock) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.insert_task(make_task(clock, tags=("x",)))
            raise RuntimeError("boom")
    assert store.tasks() == []
    assert store.conn.execute("SELECT COUNT(*) FROM tags").fetchone()[0] == 0


def test_claims_check_the_state_they_saw(store: Store, clock: FakeClock) -> None:
    task = make_task(clock)
    with store.transaction():
        store.insert_task(task)
        store.set_state(task, State.RUNNING, clock.now_us(), attempts=1)
    # A second writer that still believes the task is enqueued loses the claim.
    with pytest.raises(StaleTaskError, match="no longer enqueued"):
        with store.transaction():
            store.set_state(task, State.RUNNING, clock.now_us())
    running = store.task("t1")
    assert (running.state, running.attempts) == (State.RUNNING, 1)
    with pytest.raises(IllegalTransitionError):
        store.set_state(running, State.BLOCKED, clock.now_us())


@pytest.mark.parametrize("returning", [True, False], ids=["RETURNING", "SQLite < 3.35"])
def test_a_claim_and_a_runs_end_give_back_what_they_wrote(store: Store, clock: FakeClock,
                                                          monkeypatch: pytest.MonkeyPatch, returning: bool) -> None:
    """The stamp of a state move and the counters of a run's end come from the writes
    themselves (UPDATE ... RETURNING), or are read back where SQLite is too old for it:
    the same values either way, and a stale claim still fails."""
    if returning and not counters.HAS_RETURNING:
        pytest.skip(f"this Python's SQLite {sqlite3.sqlite_version} has no RETURNING")
    monkeypatch.setattr(counters, "HAS_RETURNING", returning)
    task = make_task(clock)
    with store.transaction():
        store.insert_task(task)
        stamp = store.set_state(task, State.RUNNING, clock.now_us(), attempts=1)
        assert stamp == store.task_stamp("t1")
        run_id = store.start_run("t1", 1, clock.now_us())
        totals = store.end_run(run_id, clock.now_us(), Outcome.FAILED, exit_code=1)
        assert totals == store.totals("t1")
        assert store.end_run(run_id, clock.now_us(), Outcome.FAILED) is None  # ended once, counted once
    assert totals is not None and (totals.total, totals.failed, totals.last_failure_run) == (1, 1, run_id)
    with pytest.raises(StaleTaskError, match="no longer enqueued"):
        store.set_state(task, State.RUNNING, clock.now_us())


def test_every_write_moves_the_stamp_on_even_within_one_clock_tick(store: Store, clock: FakeClock) -> None:
    task = make_task(clock)
    now = clock.now_us()
    with store.transaction():
        store.insert_task(task)
        stamps = [store.task_stamp("t1")]
        store.set_state(task, State.RUNNING, now, attempts=1)
        stamps.append(store.task_stamp("t1"))
        store.update_spec("t1", task.spec.replace(tags=("x",)), now)
        stamps.append(store.task_stamp("t1"))
        store.set_next_run("t1", now + 5, now)
        stamps.append(store.task_stamp("t1"))
    assert [s[0] for s in stamps] == ["enqueued", "running", "running", "running"]
    assert len(set(stamps)) == 4
    assert store.task_stamp("nope") is None


def test_the_stored_spec_leaves_out_defaults_and_reads_back_whole(store: Store, clock: FakeClock) -> None:
    task = make_task(clock, tags=("x",), timeout=5)
    with store.transaction():
        store.insert_task(task)
    raw = store.conn.execute("SELECT spec FROM tasks WHERE id = 't1'").fetchone()[0]
    assert raw == '{"worker":"shell","args":["true"],"tags":["x"],"timeout":5}'
    assert store.task("t1").spec == task.spec


def test_runs_and_output(store: Store, clock: FakeClock) -> None:
    with store.transaction():
        store.insert_task(make_task(clock))
        run_id = store.start_run("t1", 1, clock.now_us(), due_at=clock.now_us())
    store.append_output([(run_id, "hello\n"), (run_id, "world\n")])
    assert [r.id for r in store.open_runs()] == [run_id]
    with store.transaction():
        store.end_run(run_id, clock.now_us() + 5, Outcome.TIMED_OUT, exit_code=-15, stop_reason=StopReason.TIMED_OUT)
    run = store.run(run_id)
    assert (run.outcome, run.exit_code, run.stop_reason) == (Outcome.TIMED_OUT, -15, StopReason.TIMED_OUT)
    assert store.open_runs() == []
    assert store.latest_output("t1") == "hello\nworld\n"
    with pytest.raises(NoSuchTaskError):
        store.latest_output("nope")


def test_next_due_is_an_index_seek_not_a_scan(store: Store, clock: FakeClock) -> None:
    with store.transaction():
        for i in range(50):
            store.insert_task(make_task(clock, f"t{i:02}"))
    plan = " ".join(str(r) for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE state = 'enqueued' AND kind = 'immediate' "
        "AND next_run_at IS NOT NULL ORDER BY next_run_at LIMIT 1"
    ))
    assert "USING INDEX tasks_kind_due" in plan and "SCAN tasks" not in plan and "TEMP B-TREE" not in plan
    by_name = " ".join(str(r) for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE name = 'backup'"
    ))
    assert "USING INDEX tasks_name" in by_name  # the partial index (named tasks only) still serves lookups
    assert store.next_due(State.ENQUEUED) is not None
    assert store.next_due(State.SCHEDULED) is None
    assert len(store.due(State.ENQUEUED, clock.now_us(), kind=Kind.IMMEDIATE, limit=10)) == 10


def test_migration_from_version_1_keeps_data(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    create_v1(db)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO tasks (id, kind, worker, state, created_at, attempts, spec) VALUES (?,?,?,?,?,?,?)",
        ("old1", "immediate", "shell", "succeeded", to_us(clock.now()), 1, '{"worker": "shell", "args": ["true"]}'),
    )
    conn.execute("INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome) VALUES ('old1', 1, 1, 2, 'succeeded')")
    conn.close()

    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    task = store.task("old1")
    assert task.state is State.SUCCEEDED
    assert task.runs[0].outcome is Outcome.SUCCEEDED
    assert task.runs[0].stop_reason is None  # the new column exists and is empty
    store.close()


def test_a_database_from_a_newer_workdeck_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaFromTheFutureError, match=f"schema 99, this one knows {SCHEMA_VERSION}.*upgrade Workdeck"):
        Store(path)
    assert path.read_bytes() == before


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAWorkdeckDatabaseError, match="not Workdeck's"):
        Store(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["photos"]
    conn.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 200)
    with pytest.raises(NotAWorkdeckDatabaseError, match="is not an SQLite database"):
        Store(path)
    assert path.read_text() == "shopping list\n" * 200


@pytest.fixture
def read_only_db(tmp_path: Path) -> Path:
    """A database file this process cannot write. Root ignores file modes, so as root
    the file is made immutable (chattr +i), which binds root too."""
    path = tmp_path / "ro.db"
    Store(path).close()
    path.chmod(0o444)  # on Windows: the read-only attribute
    if os.name != "posix" or os.geteuid() != 0:
        yield path
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("running as root on a filesystem without chattr +i: no file is read-only to root here")
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_database_is_refused(read_only_db: Path) -> None:
    before = read_only_db.read_bytes()
    with pytest.raises(DatabaseReadOnlyError, match="read-only"):
        Store(read_only_db)
    assert read_only_db.read_bytes() == before


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseReadOnlyError, match="no folder"):
        Store(tmp_path / "nowhere" / "w.db")


def test_a_schema_committed_between_the_identity_reads_is_not_taken_for_a_foreign_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another command line commits a new database's schema while this one reads what the
    file is: between its application id (still 0) and its version (now set), read apart,
    the file looked like someone else's database (the 200-parallel-adds e2e test, 1 in 200)."""
    path = tmp_path / "new.db"
    connect = sqlite3.connect
    other_writer: list[str] = []

    def commit_a_schema_now(sql: str) -> None:
        if sql.strip() != "PRAGMA user_version" or other_writer:
            return
        writer = connect(path, isolation_level=None, timeout=0)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("CREATE TABLE tasks (id TEXT PRIMARY KEY)")
            writer.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            writer.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            writer.execute("COMMIT")
            other_writer.append("committed")
        except sqlite3.OperationalError as exc:  # the reader's snapshot holds the file still
            other_writer.append(str(exc))
            writer.execute("ROLLBACK")
        finally:
            writer.close()

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(commit_a_schema_now)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    store = Store(path)  # not NotAWorkdeckDatabaseError
    try:
        assert other_writer == ["database is locked"]  # it waited for the reads, as a busy timeout would
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        store.close()


class _WriterAtTheWalSwitch:
    """Another command line's write, begun just as the store switches a new database to
    WAL (traced: the statement is about to run) and committed at the store's next
    statement; ``then_switch``: that command line then switches the file itself."""

    def __init__(self, path: Path, connect: Callable[..., sqlite3.Connection], *, then_switch: bool = False,
                 release: bool = True) -> None:
        self.path, self.connect, self.then_switch, self.release = path, connect, then_switch, release
        self.writer: sqlite3.Connection | None = None
        self.switches = 0

    def __call__(self, sql: str) -> None:
        if sql.strip() == "PRAGMA journal_mode = WAL":
            self.switches += 1
            if self.switches == 1:
                # Its check of the new schema under the write lock (Store._check_and_migrate).
                self.writer = self.connect(self.path, isolation_level=None, timeout=0)
                self.writer.execute("BEGIN IMMEDIATE")
                self.writer.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return
        if self.writer is not None and self.writer.in_transaction and self.release:
            self.writer.execute("COMMIT")
            if self.then_switch:
                self.writer.execute("PRAGMA journal_mode = WAL")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@pytest.fixture
def writer_at_the_wal_switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., _WriterAtTheWalSwitch]]:
    made: list[_WriterAtTheWalSwitch] = []
    connect = sqlite3.connect

    def install(path: Path, **options: bool) -> _WriterAtTheWalSwitch:
        hook = _WriterAtTheWalSwitch(path, connect, **options)
        made.append(hook)

        def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
            conn = connect(*args, **kwargs)  # type: ignore[arg-type]
            conn.set_trace_callback(hook)
            return conn

        monkeypatch.setattr(sqlite3, "connect", traced)
        return hook

    yield install
    for hook in made:
        hook.close()


@pytest.mark.parametrize("then_switch", [False, True], ids=["other-commits", "other-commits-and-switches"])
def test_switching_a_new_database_to_wal_waits_for_another_writer(
        tmp_path: Path, writer_at_the_wal_switch: Callable[..., _WriterAtTheWalSwitch], then_switch: bool) -> None:
    """The switch upgrades a read lock to the write lock, which SQLite never waits for:
    another command line writing the new file at that moment made it fail at once with
    "database is locked", busy timeout or not (the 200-parallel-adds e2e test, 1 run in 5
    under load). It waits for that write now, as every write does."""
    path = tmp_path / "new.db"
    hook = writer_at_the_wal_switch(path, then_switch=then_switch)
    store = Store(path)  # not EnvironmentFaultError("database is locked")
    try:
        assert hook.switches == 2  # refused once while the other wrote, then done
        assert hook.writer is not None and not hook.writer.in_transaction  # its write was waited for
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version == SCHEMA_VERSION
        clock = FakeClock()
        with store.transaction():
            store.insert_task(make_task(clock))
        assert store.task("t1").state is State.ENQUEUED
    finally:
        store.close()


def test_a_wal_switch_blocked_past_the_busy_timeout_still_fails(
        tmp_path: Path, writer_at_the_wal_switch: Callable[..., _WriterAtTheWalSwitch]) -> None:
    """The wait is the busy timeout, once: a write that never ends is reported, as any
    write would report it, not retried for ever."""
    path = tmp_path / "new.db"
    hook = writer_at_the_wal_switch(path, release=False)
    with pytest.raises(EnvironmentFaultError, match="database is locked"):
        Store(path, busy_timeout_ms=50)
    assert hook.switches == 1
    assert hook.writer is not None and hook.writer.in_transaction  # still writing: nothing was taken from it
    hook.writer.execute("COMMIT")
    assert hook.writer.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched
