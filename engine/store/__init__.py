"""The SQLite store: schema, migrations and every SQL statement Workdeck runs.

One connection per process, WAL, a busy timeout, ``PRAGMA user_version`` for the
schema version and ``PRAGMA application_id`` to tell a Workdeck database from any
other SQLite file. sqlite-utils builds the schema and answers queries; hot paths
(enqueue, run start/end, output) use the connection's ``execute`` directly, which
measured 3.5x faster than ``Table.insert`` here.

Every state change is one short ``BEGIN IMMEDIATE`` transaction. A claim (a state
change that expects a state) checks ``rowcount == 1``, so two processes can never
both start the same task.

Checkpoints stay off the writer's path: SQLite's automatic checkpoint (every 1,000
pages, inside the commit that crosses it) stalled one enqueue in ~290 by 4-10 ms, so
it is off (``wal_autocheckpoint = 0``). Passive checkpoints run on a thread of their
own (:class:`engine.checkpoint.BackgroundCheckpoint`): when the owner's writes pause
(:class:`engine.checkpoint.WalCheckpointer`), and whenever the WAL passes
:data:`WAL_SOFT_BYTES` (looked at every :data:`WAL_CHECK_EVERY` commits); past
:data:`WAL_CAP_BYTES` a commit truncates it itself, so it never grows without bound.
Closing a store checkpoints too (the command line's direct writes).
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from engine import private_files, quarantine, store_faults
from engine.checkpoint import BackgroundCheckpoint
from engine.clock import from_us, to_us
from engine.history import counters
from engine.errors import (
    DatabaseReadOnlyError,
    EnvironmentFaultError,
    NoSuchTaskError,
    NotAWorkdeckDatabaseError,
    SchemaFromTheFutureError,
)
from engine.model import (
    Kind,
    Outcome,
    Reminder,
    ReminderStatus,
    Run,
    RunTotals,
    State,
    StopReason,
    Task,
    TaskSpec,
    transition,
)
from engine.schema import APPLICATION_ID, SCHEMA_VERSION
from engine.store.reads import RunReads

if TYPE_CHECKING:
    import sqlite_utils

_TASK_COLUMNS = "id, spec, state, created_at, attempts, next_run_at, output, updated_at, " + counters.COLUMNS
#: A task's new updated_at: now, but always later than the one it replaces, so that
#: (state, updated_at) tells every write apart (see Store.task_stamp), even two in the
#: same clock tick.
_LATER = "MAX(?, COALESCE(updated_at + 1, 0))"
_REMINDER_COLUMNS = "id, task_id, message, due_at, fired_at, status, detail"
#: Past this size a passive checkpoint is handed to the background thread.
WAL_SOFT_BYTES = 4 * 1024 * 1024
#: Past this size the WAL is checkpointed within a commit, whatever the cost (only when
#: the background checkpoints cannot keep up, e.g. a reader holds old pages).
WAL_CAP_BYTES = 64 * 1024 * 1024
#: Commits between two looks at the WAL's size (an os.stat).
WAL_CHECK_EVERY = 64
#: A checkpoint that empties the WAL also shrinks its file to this (journal_size_limit):
#: above the soft limit, so the file's blocks are reused rather than allocated again.
WAL_KEEP_BYTES = 8 * 1024 * 1024
_STORED_STATES = frozenset(s.value for s in State if s is not State.UNREADABLE)
#: The columns run_from_row reads, in its order.
RUN_COLUMNS = _RUN_COLUMNS = (
    "id, task_id, attempt, started_at, due_at, fired_at, ended_at, outcome, exit_code, stop_reason, detail, spawned_at"
)


def _blame(exc: sqlite3.Error, path: str) -> Exception:
    """Sort an SQLite failure by who is to blame: see :func:`engine.store_faults.blame`."""
    return store_faults.blame(exc, path)


def _reraise(exc: sqlite3.Error, path: str) -> NoReturn:
    blamed = _blame(exc, path)
    if blamed is exc:
        raise exc
    raise blamed from exc


class Store(RunReads):
    """A Workdeck database. Not thread-safe: the engine's thread owns it."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 5000, writable: bool = True, read_only: bool = False
    ) -> None:
        """``read_only``: open an existing database for reading only (engine.store_faults
        .connect_for_reading); nothing is created, migrated or written. Use
        :func:`open_for_reading`, which also handles a missing or empty file."""
        self.path = str(path)
        self._wal_path = None if self.path == ":memory:" else self.path + "-wal"
        self._commits = 0
        self._background: BackgroundCheckpoint | None = None  # made on first use
        #: Called after every commit (the owner's checkpointer arms its idle timer).
        self.after_commit: Callable[[], None] | None = None
        #: Called after every commit that succeeded (the engine retries refused writes then).
        self.on_commit: Callable[[], None] | None = None
        self.read_only = read_only
        self.quarantine = quarantine.Quarantine()
        target = self.path
        if read_only:
            conn = store_faults.connect_for_reading(self.path, busy_timeout_ms)
            self.conn = conn
            try:
                self._check_and_migrate()
            except BaseException:
                conn.close()
                raise
            return
        try:
            if self.path != ":memory:":
                parent = Path(self.path).parent
                if not parent.is_dir():
                    raise DatabaseReadOnlyError(f"cannot create database {self.path}: no folder {parent}")
                # Another user's symlink or file is refused; ours are 0600 (engine.private_files).
                target = str(private_files.check_database(Path(self.path)))
                # Refused before SQLite opens it: a read-only open of a WAL database
                # would leave -wal and -shm files beside it (bad input writes nothing).
                store_faults.refuse_if_read_only(target)
                if writable:
                    self._make_private(Path(target))
            conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.conn = conn
            self._check_and_migrate()
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA wal_autocheckpoint = 0")  # see the module's docstring
                conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
            # WAL with NORMAL never corrupts; a power cut may lose the last commits,
            # a process crash loses nothing.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = OFF")
            if writable:
                self._probe_writable(conn)
        except sqlite3.Error as exc:
            _reraise(exc, self.path)
        self.conn = conn

    def _make_private(self, path: Path) -> None:
        if path.exists():
            private_files.tighten(path)
            return
        try:
            private_files.create_database_file(path)
        except FileExistsError:  # another process created it meanwhile: it checks it the same way
            private_files.tighten(path)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                raise DatabaseReadOnlyError(
                    f"cannot create database {self.path}: the folder is read-only; choose another --db"
                ) from None
            raise EnvironmentFaultError(f"cannot create database {self.path}: {exc.strerror or exc}") from None

    # ---------------------------------------------------------------- schema

    def _check_and_migrate(self) -> None:
        conn = self.conn
        # Tables first: these are three reads, and another command line may commit a new
        # database's schema between them. Read in this order, tables seen means the
        # application id (committed with them) is seen too; the other order took a
        # half-created Workdeck database for a foreign one (1 in 200 parallel adds).
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID and (tables or version):
            raise NotAWorkdeckDatabaseError(
                f"{self.path} is an SQLite database but not Workdeck's: choose another file with --db"
            )
        if version > SCHEMA_VERSION:
            raise SchemaFromTheFutureError(
                f"{self.path} was written by a newer Workdeck (schema {version}, this one knows {SCHEMA_VERSION}): "
                "upgrade Workdeck"
            )
        if version == SCHEMA_VERSION:
            quarantine.check_tables(self.path, tables)
            return
        if self.read_only:
            raise quarantine.NeedsUpgradeError(self.path, version, empty=not tables and not version)
        if version == 0 and not tables:
            # Set before the first table, auto_vacuum needs no VACUUM: a new file can
            # shrink back from the start (engine.history.prune).
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        # sqlite-utils builds the schema; a database that is up to date never loads it.
        from engine.schema import MIGRATIONS, create_v1

        db = self.db
        with self.transaction():
            # Again under the write lock: command lines writing a new database in
            # parallel (no owner) must not both create its schema.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise SchemaFromTheFutureError(f"{self.path} was written by a newer Workdeck meanwhile: upgrade Workdeck")
            if version == 0:
                create_v1(db)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                version = 1
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](db)
                version += 1
            conn.execute(f"PRAGMA user_version = {version}")

    @staticmethod
    def _probe_writable(conn: sqlite3.Connection) -> None:
        """Fail at open, not at the first write, when the file cannot be written:
        a harmless header write, rolled back."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")
        finally:
            conn.execute("ROLLBACK")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection as a sqlite-utils Database (imported on first use)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def close(self) -> None:
        if self._background is not None:
            self._background.close()
            self._background = None
        if not self.read_only:  # a read never writes, not even the WAL back into the file
            with suppress(sqlite3.Error):  # busy or read-only: the next one does it
                self.checkpoint()
        self.conn.close()

    def checkpoint_in_background(self) -> BackgroundCheckpoint | None:
        """Start a passive checkpoint on the store's checkpoint thread (None: no WAL)."""
        if self._wal_path is None:
            return None
        if self._background is None:
            self._background = BackgroundCheckpoint(self.path)
        self._background.request()
        return self._background

    def checkpoint(self) -> None:
        """Copy the WAL back into the database without waiting for anyone (PASSIVE);
        when it is all copied the next writer starts the WAL from its beginning."""
        if self._wal_path is not None:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def wal_bytes(self) -> int:
        """The WAL file's size (0 without one)."""
        try:
            return os.stat(self._wal_path).st_size if self._wal_path is not None else 0
        except OSError:
            return 0

    def _committed(self) -> None:
        self._commits += 1
        if self._commits >= WAL_CHECK_EVERY:
            self._commits = 0
            size = self.wal_bytes()
            if size > WAL_CAP_BYTES:
                # TRUNCATE waits (busy timeout) for readers to move on, then empties the file.
                with suppress(sqlite3.Error):
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            elif size > WAL_SOFT_BYTES:
                self.checkpoint_in_background()
        if self.after_commit is not None:
            self.after_commit()
        if self.on_commit is not None:
            self.on_commit()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One short write transaction. ``IMMEDIATE`` takes the write lock up front,
        so a second process waits on the busy timeout instead of failing mid-way.

        On any failure the whole transaction is undone. SQLite itself rolls back on
        some errors (a full disk at COMMIT): a ROLLBACK then would fail with "no
        transaction is active" and hide the real error, so it is issued only while a
        transaction is open, and the error raised is always the first one."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            _reraise(exc, self.path)
        try:
            yield
        except sqlite3.Error as exc:
            self._rollback()
            _reraise(exc, self.path)
        except BaseException:
            self._rollback()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            _reraise(exc, self.path)
        self._committed()

    def _rollback(self) -> None:
        conn = self.conn
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the first error is the one to report; SQLite undoes what it cannot commit

    # ---------------------------------------------------------------- tasks

    def insert_task(self, task: Task) -> None:
        """Insert a new task, its tags and its parents. Call inside :meth:`transaction`."""
        spec = task.spec
        self.conn.execute(
            "INSERT INTO tasks (id, name, kind, worker, state, created_at, updated_at, next_run_at, attempts, spec) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task.id,
                spec.name,
                spec.kind.value,
                spec.worker,
                task.state.value,
                to_us(task.created_at),
                to_us(task.created_at),
                to_us(task.next_run_at) if task.next_run_at else None,
                task.attempts,
                json.dumps(spec.to_json(compact=True), separators=(",", ":")),
            ),
        )
        if spec.tags:
            self.conn.executemany("INSERT INTO tags (task_id, tag) VALUES (?, ?)", [(task.id, t) for t in spec.tags])
        if spec.after:
            self.conn.executemany(
                "INSERT INTO deps (task_id, parent_id) VALUES (?, ?)", [(task.id, p) for p in spec.after]
            )

    def update_spec(self, task_id: str, spec: TaskSpec, updated_at: int) -> None:
        """Replace a task's spec (unique work's ``update`` policy, edit). Inside a transaction."""
        self.conn.execute(
            "UPDATE tasks SET spec = ?, name = ?, updated_at = " + _LATER + " WHERE id = ?",
            (json.dumps(spec.to_json(compact=True), separators=(",", ":")), spec.name, updated_at, task_id),
        )
        self.conn.execute("DELETE FROM tags WHERE task_id = ?", (task_id,))
        self.conn.executemany("INSERT INTO tags (task_id, tag) VALUES (?, ?)", [(task_id, t) for t in spec.tags])

    def set_state(
        self,
        task: Task,
        target: State,
        now_us: int,
        *,
        next_run_at: int | None = None,
        attempts: int | None = None,
        output: dict[str, Any] | None = None,
    ) -> tuple[str, int | None]:
        """Move ``task`` to ``target`` if it is still in the state the caller saw.
        Returns the task's new stamp (see :meth:`task_stamp`), from the same statement.

        Raises :class:`engine.errors.IllegalTransitionError` for a move the table
        forbids, and ``StaleTaskError`` if another writer moved it first.
        """
        transition(task.state, target, task_id=task.id)
        cursor = self.conn.execute(
            "UPDATE tasks SET state = ?, next_run_at = ?, attempts = COALESCE(?, attempts), "
            "output = COALESCE(?, output), updated_at = " + _LATER + " WHERE id = ? AND state = ?"
            + (" RETURNING state, updated_at" if counters.HAS_RETURNING else ""),
            (
                target.value,
                next_run_at,
                attempts,
                json.dumps(output) if output is not None else None,
                now_us,
                task.id,
                task.state.value,
            ),
        )
        if counters.HAS_RETURNING:
            rows = cursor.fetchall()  # all: a statement left open would hold up the COMMIT
            stamp = (rows[0][0], rows[0][1]) if len(rows) == 1 else None
        else:
            stamp = self.task_stamp(task.id) if cursor.rowcount == 1 else None
        if stamp is None:
            raise StaleTaskError(f"task {task.id} is no longer {task.state}: another writer changed it")
        return stamp

    def retry_task(self, task: Task, target: State, now_us: int, next_run_at: int,
                   *, from_state: State = State.FAILED) -> None:
        """Move a finished task back to ``target`` when the user asks: a FAILED one retried
        by hand (engine.Engine.retry), a shown or missed reminder snoozed
        (engine.reminders): the moves out of a finished state, which the transition
        table does not offer to the engine's own rules. Raises ``StaleTaskError`` if the
        task is no longer in ``from_state``."""
        cursor = self.conn.execute(
            "UPDATE tasks SET state = ?, next_run_at = ?, updated_at = " + _LATER + " WHERE id = ? AND state = ?",
            (target.value, next_run_at, now_us, task.id, from_state.value),
        )
        if cursor.rowcount != 1:
            raise StaleTaskError(f"task {task.id} is no longer {from_state.value}: another writer changed it")

    def set_next_run(self, task_id: str, next_run_at: int | None, now_us: int) -> None:
        self.conn.execute(
            "UPDATE tasks SET next_run_at = ?, updated_at = " + _LATER + " WHERE id = ?", (next_run_at, now_us, task_id)
        )

    def task(self, task_id: str, *, with_runs: bool = True) -> Task:
        row = self.conn.execute(f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise NoSuchTaskError(task_id)
        return self._task_from_row(row, self.runs(task_id) if with_runs else ())

    def task_stamp(self, task_id: str) -> tuple[str, int | None] | None:
        """The task's state and last update (microseconds), or None: enough to tell
        whether another writer touched it since we did, without decoding it."""
        row = self.conn.execute("SELECT state, updated_at FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return (row[0], row[1]) if row is not None else None

    def has_task(self, task_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is not None

    def totals(self, task_id: str) -> RunTotals:
        """The task's run counters alone, as its last write left them."""
        return counters.read_totals(self.conn, task_id)

    def tasks(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        name: str | None = None,
        ids: Sequence[str] | None = None,
        with_runs: bool = False,
        limit: int | None = None,
    ) -> list[Task]:
        sql, params = self._tasks_sql(state=state, kind=kind, tag=tag, name=name, ids=ids, limit=limit)
        rows = self.conn.execute(sql, params).fetchall()
        runs = self._runs_by_task([r[0] for r in rows]) if with_runs else {}
        tasks = [self._task_from_row(r, runs.get(r[0], ())) for r in rows]
        return [t for t in tasks if t.unreadable] if state is State.UNREADABLE else tasks

    def iter_tasks(self, **filters: Any) -> Iterator[Task]:
        """:meth:`tasks` without runs, streamed: one row decoded at a time and none held
        (``list --json`` over any number of tasks)."""
        sql, params = self._tasks_sql(**filters)
        tasks = (self._task_from_row(r, ()) for r in self.conn.execute(sql, params))
        return (t for t in tasks if t.unreadable) if filters.get("state") is State.UNREADABLE else tasks

    def _tasks_sql(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        name: str | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if state is not None and state is not State.UNREADABLE:  # unreadable: decided after reading
            where.append("state = ?")
            params.append(state.value)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind.value)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        if tag is not None:
            where.append("id IN (SELECT task_id FROM tags WHERE tag = ?)")
            params.append(tag)
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        sql = f"SELECT {_TASK_COLUMNS} FROM tasks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return sql, params

    def active_with_name(self, name: str) -> list[Task]:
        """Unfinished tasks with this unique name, oldest first."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE name = ? AND state NOT IN ('succeeded','failed','cancelled') "
            "ORDER BY created_at, id",
            (name,),
        )
        return [task for _, task in self._readable(rows)]

    def waiting_out_a_delay(self) -> list[Task]:
        """Waiting tasks that have not run yet and were given an elapsed delay (the spec's
        ``initial_delay``, stored only when set): what a clock change re-bases
        (engine.clockwatch). A text search, no spec decoded for the others."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state IN ('enqueued','scheduled') AND attempts = 0 "
            "AND next_run_at IS NOT NULL AND instr(spec, '\"initial_delay\"') > 0"
        ).fetchall()
        return [self._task_from_row(r, ()) for r in rows]

    def next_due(self, state: State, *, kinds: Iterable[Kind] | None = None) -> Task | None:
        """The task in ``state`` with the earliest ``next_run_at``: one index seek per kind
        (tasks_kind_due), the earliest of them."""
        best: Task | None = None
        for kind in kinds if kinds is not None else Kind:
            # No LIMIT: the cursor reads lazily, so the first readable row costs one seek.
            rows = self.conn.execute(
                f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state = ? AND kind = ? AND next_run_at IS NOT NULL "
                "ORDER BY next_run_at",
                (state.value, kind.value),
            )
            for row, task in self._readable(rows):
                if best is None or row[5] < to_us(best.next_run_at):  # type: ignore[arg-type]
                    best = task
                break
        return best

    def due(self, state: State, now_us: int, *, kind: Kind, limit: int = 100) -> list[Task]:
        """Tasks of ``kind`` in ``state`` whose ``next_run_at`` has come, earliest first."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state = ? AND kind = ? AND next_run_at <= ? "
            "ORDER BY next_run_at",
            (state.value, kind.value, now_us),
        )
        # Unreadable rows are skipped, not counted: a batch of them must not hide the
        # readable due tasks behind them (the caller would fetch the same batch again).
        return [task for _, task in itertools.islice(self._readable(rows), limit)]

    def due_page(
        self, state: State, now_us: int, kind: Kind, *, after: tuple[int, int] | None = None, limit: int = 200
    ) -> list[tuple[tuple[int, int], Task]]:
        """One page of due tasks, earliest first and first come first at equal times,
        each with its key (next_run_at, rowid); the next page starts after ``after``.
        The dispatcher pages past due tasks whose constraints do not hold."""
        sql = f"SELECT rowid, {_TASK_COLUMNS} FROM tasks WHERE state = ? AND kind = ? AND next_run_at <= ?"
        params: list[Any] = [state.value, kind.value, now_us]
        if after is not None:
            sql += " AND (next_run_at, rowid) > (?, ?)"
            params.extend(after)
        rows = self.conn.execute(sql + " ORDER BY next_run_at, rowid", params)
        return [((r[6], r[0]), task) for r, task in itertools.islice(self._readable(rows, offset=1), limit)]

    def next_due_after(self, state: State, now_us: int, kinds: Iterable[Kind]) -> int | None:
        """The earliest ``next_run_at`` later than ``now_us`` among ``kinds`` (one index seek each)."""
        best: int | None = None
        for kind in kinds:
            row = self.conn.execute(
                "SELECT next_run_at FROM tasks WHERE state = ? AND kind = ? AND next_run_at > ? "
                "ORDER BY next_run_at LIMIT 1",
                (state.value, kind.value, now_us),
            ).fetchone()
            if row is not None and (best is None or row[0] < best):
                best = int(row[0])
        return best

    def latest_with_name(self, name: str) -> Task | None:
        """The newest task with this unique name, finished or not."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE name = ? ORDER BY created_at DESC, rowid DESC", (name,)
        )
        return next((task for _, task in self._readable(rows)), None)

    def set_parents(self, task_id: str, parents: Sequence[str]) -> None:
        """Replace a task's chain parents (unique work's ``update``). Inside a transaction."""
        self.conn.execute("DELETE FROM deps WHERE task_id = ?", (task_id,))
        self.conn.executemany("INSERT INTO deps (task_id, parent_id) VALUES (?, ?)", [(task_id, p) for p in parents])

    def parents(self, task_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT parent_id FROM deps WHERE task_id = ?", (task_id,))]

    def delete_task(self, task_id: str) -> int:
        """Remove a task and all that is recorded about it: its runs and their output,
        tags, links to parents and children, reminders. Inside a transaction. Returns
        how many of its reminders were still open."""
        conn = self.conn
        open_reminders = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE task_id = ? AND acknowledged_at IS NULL", (task_id,)
        ).fetchone()[0]
        delete_task_rows(conn, task_id)
        return int(open_reminders)

    def children(self, task_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT task_id FROM deps WHERE parent_id = ?", (task_id,))]

    def count_by_state(self) -> dict[State, int]:
        """Tasks per stored state (no row is decoded); a state Workdeck does not know
        counts as unreadable."""
        counts: dict[State, int] = {}
        for value, n in self.conn.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state"):
            state = State(value) if value in _STORED_STATES else State.UNREADABLE
            counts[state] = counts.get(state, 0) + n
        return counts

    def _task_from_row(self, row: Sequence[Any], runs: Sequence[Run]) -> Task:
        """The row as a Task; an unreadable one as its quarantined stand-in (engine.quarantine)."""
        try:
            return quarantine.decode_task(row, runs)
        except quarantine.UnreadableRowError as exc:
            self.quarantine.note(f"task {row[0]}", str(exc), skipped=False)
            raw = self.conn.execute("SELECT * FROM tasks WHERE id = ?", (row[0],)).fetchone()
            columns = [c[0] for c in self.conn.execute("SELECT * FROM tasks LIMIT 0").description]
            return quarantine.unreadable_task(dict(zip(columns, raw or row, strict=False)), str(exc), runs)

    def _readable(self, rows: Iterable[Sequence[Any]], *, offset: int = 0) -> Iterator[tuple[Sequence[Any], Task]]:
        """(row, task) for the rows the scheduler may act on: unreadable ones are skipped
        (and noted once), so one damaged row never stops the others from running."""
        for row in rows:
            try:
                yield row, quarantine.decode_task(row[offset:], ())
            except quarantine.UnreadableRowError as exc:
                self.quarantine.note(f"task {row[offset]}", str(exc))

    def cancel_unreadable(self, task_id: str, now_us: int) -> bool:
        """Cancel an unreadable row as far as it can be: its stored state becomes
        ``cancelled`` (unless finished) and its open runs end. Inside a transaction."""
        cursor = self.conn.execute(
            "UPDATE tasks SET state = 'cancelled', next_run_at = NULL, updated_at = " + _LATER
            + " WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'cancelled')",
            (now_us, task_id),
        )
        self.conn.execute(
            "UPDATE runs SET ended_at = ?, outcome = 'cancelled', stop_reason = 'cancelled_by_user' "
            "WHERE task_id = ? AND ended_at IS NULL",
            (now_us, task_id),
        )
        return cursor.rowcount == 1

    # ---------------------------------------------------------------- runs

    def start_run(
        self, task_id: str, attempt: int, started_at: int, *, due_at: int | None = None, fired_at: int | None = None
    ) -> int:
        """Record a run as started. Inside the same transaction as the task's move to RUNNING."""
        cursor = self.conn.execute(
            "INSERT INTO runs (task_id, attempt, started_at, due_at, fired_at) VALUES (?, ?, ?, ?, ?)",
            (task_id, attempt, started_at, due_at, fired_at),
        )
        return int(cursor.lastrowid or 0)

    def end_run(
        self,
        run_id: int,
        ended_at: int,
        outcome: Outcome,
        *,
        exit_code: int | None = None,
        stop_reason: StopReason | None = None,
        detail: str | None = None,
        spawned_at: int | None = None,
    ) -> RunTotals | None:
        """Record how a run ended and count it on its task. Returns the task's counters
        with this run in them, or None if the run had already ended (counted then)."""
        cursor = self.conn.execute(
            "UPDATE runs SET ended_at = ?, outcome = ?, exit_code = ?, stop_reason = ?, detail = ?, "
            "spawned_at = COALESCE(?, spawned_at) WHERE id = ? AND ended_at IS NULL",
            (ended_at, outcome.value, exit_code, stop_reason.value if stop_reason else None, detail, spawned_at,
             run_id),
        )
        if cursor.rowcount == 1:  # counted once, in the same transaction
            return counters.count_run_end(self.conn, run_id, outcome, ended_at)
        return None

    def record_run(
        self,
        task_id: str,
        attempt: int,
        at: int,
        outcome: Outcome,
        *,
        due_at: int | None = None,
        stop_reason: StopReason | None = None,
        detail: str | None = None,
    ) -> int:
        """A run that started and ended at once: a skipped overlap, a missed alarm."""
        cursor = self.conn.execute(
            "INSERT INTO runs (task_id, attempt, started_at, due_at, ended_at, outcome, stop_reason, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, attempt, at, due_at, at, outcome.value, stop_reason.value if stop_reason else None, detail),
        )
        run_id = int(cursor.lastrowid or 0)
        counters.count_run_end(self.conn, run_id, outcome, at, task_id)
        return run_id

    def record_groups(self, groups: Iterable[tuple[int, int, str | None]]) -> None:
        """Name running runs' process groups: (run_id, pgid, leader start). Its own transaction."""
        with self.transaction():
            self.conn.executemany(
                "UPDATE runs SET pgid = ?, leader_start = ? WHERE id = ? AND ended_at IS NULL",
                [(pgid, start, run_id) for run_id, pgid, start in groups],
            )

    def run_groups(self, run_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """The recorded process group (pgid, leader start) of each of these runs that has one."""
        found: dict[int, tuple[int, str | None]] = {}
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start : start + 500])
            rows = self.conn.execute(
                f"SELECT id, pgid, leader_start FROM runs WHERE pgid IS NOT NULL AND id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({row[0]: (int(row[1]), row[2]) for row in rows})
        return found

    def open_runs(self) -> list[Run]:
        """Runs with no end: after a crash, the runs that were going when it happened."""
        # By the runs_open index: left to itself, SQLite walks every run ever recorded in
        # id order to skip the sort (0.26 s at a million runs, at every start).
        rows = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs INDEXED BY runs_open WHERE ended_at IS NULL ORDER BY id"
        ).fetchall()
        return self._runs_from_rows(rows)

    def runs(self, task_id: str, *, newest: int | None = None) -> list[Run]:
        """The task's runs, oldest first; only the ``newest`` N of them if given (a
        periodic task's history grows without end; deciding after a run needs its tail)."""
        if newest is None:
            rows = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id", (task_id,))
            return self._runs_from_rows(rows)
        rows = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT ?", (task_id, newest)
        )
        return self._runs_from_rows(reversed(rows.fetchall()))

    def last_run(self, task_id: str) -> Run | None:
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)
        ).fetchone()
        runs = self._runs_from_rows([row] if row else [])
        return runs[0] if runs else None

    def run(self, run_id: int) -> Run:
        row = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        runs = self._runs_from_rows([row] if row else [])
        if not runs:
            raise NoSuchTaskError(f"run {run_id}")
        return runs[0]

    def _runs_by_task(self, task_ids: Sequence[str]) -> dict[str, list[Run]]:
        result: dict[str, list[Run]] = {}
        for start in range(0, len(task_ids), 500):
            chunk = task_ids[start : start + 500]
            rows = self.conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                list(chunk),
            )
            for run in self._runs_from_rows(rows):
                result.setdefault(run.task_id, []).append(run)
        return result

    def _runs_from_rows(self, rows: Iterable[Sequence[Any]]) -> list[Run]:
        """Runs, leaving out (and noting once) any row that cannot be read."""
        runs = []
        for row in rows:
            try:
                runs.append(quarantine.decode_run(row))
            except quarantine.UnreadableRowError as exc:
                self.quarantine.note(f"run {row[0]}", str(exc))
        return runs

    # ---------------------------------------------------------------- output

    def append_output(self, chunks: Iterable[tuple[int, str]]) -> None:
        """Append (run_id, text) chunks; its own short transaction."""
        with self.transaction():
            self.conn.executemany("INSERT INTO output (run_id, text) VALUES (?, ?)", chunks)

    def output_of_run(self, run_id: int) -> str:
        return "".join(r[0] for r in self.conn.execute("SELECT text FROM output WHERE run_id = ? ORDER BY seq", (run_id,)))

    def latest_output(self, task_id: str) -> str:
        row = self.conn.execute("SELECT id FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)).fetchone()
        if row is None:
            if not self.has_task(task_id):
                raise NoSuchTaskError(task_id)
            return ""
        return self.output_of_run(int(row[0]))


    # ---------------------------------------------------------------- reminders

    def add_reminder(self, reminder: Reminder, now_us: int) -> int:
        """Keep a shown or missed reminder until it is acknowledged. Inside a transaction."""
        cursor = self.conn.execute(
            "INSERT INTO reminders (task_id, message, due_at, fired_at, status, detail, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                reminder.task_id,
                reminder.message,
                to_us(reminder.due_at) if reminder.due_at else None,
                to_us(reminder.fired_at) if reminder.fired_at else None,
                reminder.status.value,
                reminder.detail,
                now_us,
            ),
        )
        return int(cursor.lastrowid or 0)

    def open_reminders(self, task_id: str | None = None) -> list[Reminder]:
        """Reminders nobody acknowledged yet, oldest first."""
        sql = f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE acknowledged_at IS NULL"
        params: tuple[str, ...] = ()
        if task_id is not None:
            sql, params = sql + " AND task_id = ?", (task_id,)
        rows = self.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [
            Reminder(
                task_id=t, message=m, due_at=from_us(d) if d is not None else None,
                fired_at=from_us(f) if f is not None else None, id=i, status=ReminderStatus(s), detail=note,
            )
            for i, t, m, d, f, s, note in rows
        ]

    def acknowledge_reminders(self, task_id: str, status: ReminderStatus, now_us: int, detail: str | None = None) -> int:
        """Close a task's open reminders as dismissed or snoozed; how many. Inside a transaction."""
        cursor = self.conn.execute(
            "UPDATE reminders SET status = ?, acknowledged_at = ?, detail = COALESCE(?, detail) "
            "WHERE task_id = ? AND acknowledged_at IS NULL",
            (status.value, now_us, detail, task_id),
        )
        return int(cursor.rowcount)


class StaleTaskError(EnvironmentFaultError):
    """A claim lost a race: the task changed under us. Reload and decide again."""


def delete_task_rows(conn: sqlite3.Connection, task_id: str) -> None:
    """Every row of a task: its output, runs, tags, links, reminders and itself (inside a
    transaction; Store.delete_task and the pruner's removal of finished tasks)."""
    conn.execute("DELETE FROM output WHERE run_id IN (SELECT id FROM runs WHERE task_id = ?)", (task_id,))
    for sql in (
        "DELETE FROM runs WHERE task_id = ?",
        "DELETE FROM tags WHERE task_id = ?",
        "DELETE FROM deps WHERE task_id = ?1 OR parent_id = ?1",
        "DELETE FROM reminders WHERE task_id = ?",
        "DELETE FROM tasks WHERE id = ?",
    ):
        conn.execute(sql, (task_id,))


def run_from_row(row: Sequence[Any]) -> Run:
    rid, task_id, attempt, started, due, fired, ended, outcome, exit_code, stop_reason, detail, spawned = row
    return Run(
        id=rid,
        task_id=task_id,
        attempt=attempt,
        started_at=from_us(started),
        due_at=from_us(due) if due is not None else None,
        fired_at=from_us(fired) if fired is not None else None,
        ended_at=from_us(ended) if ended is not None else None,
        outcome=Outcome(outcome) if outcome else None,
        exit_code=exit_code,
        stop_reason=StopReason(stop_reason) if stop_reason else None,
        detail=detail,
        spawned_at=from_us(spawned) if spawned is not None else None,
    )
