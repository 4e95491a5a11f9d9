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
:data:`WAL_SOFT_BYTES` (looked at every :data:`WAL_CHECK_EVERY` commits; once it has
restarted in place, when its file grows past its size then). Writes that
never pause (draining a backlog) never let those checkpoints catch up, and only a WAL
copied to its end starts again from its beginning: so once one has copied at least
:data:`WAL_SOFT_BYTES`, the writer copies the few frames written meanwhile and
restarts the WAL in place (see :meth:`Store.restart_wal`: the owner on its event
loop's next turn, a command line's direct writes at their next commit). Past
:data:`WAL_CAP_BYTES` (a reader holds old pages, say) a commit truncates it itself, so
it never grows without bound. Closing a store checkpoints too (the command line's
direct writes).

The package holds the store's parts, each mixed into :class:`Store`: the tasks
(:mod:`engine.store.tasks`), the runs, their output and reminders
(:mod:`engine.store.runs`), the reads bounded by what a view shows
(:mod:`engine.store.reads`), and opening a database to read it
(:mod:`engine.store.opening`). This module keeps the connection, the schema, the WAL and
the transactions, and names what the others import from ``engine.store``.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn

from engine import private_files, quarantine, store_faults
from engine.checkpoint import BackgroundCheckpoint
from engine.errors import (
    DatabaseReadOnlyError,
    EnvironmentFaultError,
    NotAWorkdeckDatabaseError,
    SchemaFromTheFutureError,
)
from engine.schema import APPLICATION_ID, SCHEMA_VERSION
from engine.store.reads import RunReads
from engine.store.runs import RUN_COLUMNS, RunRecords, run_from_row
from engine.store.tasks import StaleTaskError, TaskRecords, delete_task_rows

if TYPE_CHECKING:
    import sqlite_utils


def _identity(conn: sqlite3.Connection) -> tuple[set[str], int, int]:
    """The database's tables, application id and schema version."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return tables, int(app_id), int(version)


#: How many times opening switches a database to WAL when other connections' writes get
#: in its way (see :func:`_use_wal`); each time it first waits for the write that did.
WAL_SWITCH_ATTEMPTS = 50


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode (nothing to do once it is).

    Switching a file still in rollback-journal mode (a new database, just after its
    schema) reads its header under a shared lock and then writes it, which needs the
    write lock. SQLite never waits for the write lock while holding a read lock (two
    connections doing so would wait for each other forever): the switch fails at once
    with SQLITE_BUSY, busy timeout or not, whenever another connection writes the file
    at that moment. Command lines adding to a new database in parallel do: they check
    its schema again under the write lock, or switch it themselves. So on that failure
    (plain SQLITE_BUSY, nothing else) wait for the write as every write does, by taking
    the write lock (``BEGIN IMMEDIATE``, which fails after the busy timeout), let go of
    it, and switch again (nothing to do if that connection switched the file meanwhile).
    Nothing is written while waiting. Another failure needs yet another writer to take
    the lock in the moment between: at most :data:`WAL_SWITCH_ATTEMPTS` tries."""
    for attempt in range(1, WAL_SWITCH_ATTEMPTS + 1):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or attempt == WAL_SWITCH_ATTEMPTS:
                raise
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")


__all__ = [
    "RUN_COLUMNS",
    "WAL_CAP_BYTES",
    "WAL_CHECK_EVERY",
    "WAL_KEEP_BYTES",
    "WAL_SOFT_BYTES",
    "StaleTaskError",
    "Store",
    "delete_task_rows",
    "run_from_row",
]

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
#: A WAL frame's header, before its page (SQLite's file format).
WAL_FRAME_HEADER = 24


def _blame(exc: sqlite3.Error, path: str) -> Exception:
    """Sort an SQLite failure by who is to blame: see :func:`engine.store_faults.blame`."""
    return store_faults.blame(exc, path)


def _reraise(exc: sqlite3.Error, path: str) -> NoReturn:
    blamed = _blame(exc, path)
    if blamed is exc:
        raise exc
    raise blamed from exc


class _Transaction:
    """:meth:`Store.transaction`'s context manager. A class, not a ``@contextmanager``
    generator: an empty transaction measured 5.0 against 5.9 us (the generator's frame,
    its ``next`` and the ``StopIteration`` it ends with), on every write (issue 14)."""

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> None:
        try:
            self._store.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            _reraise(exc, self._store.path)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        store = self._store
        if exc is not None:  # the block failed: undo it all; the error goes on (blamed, if SQLite's)
            store._rollback()
            if isinstance(exc, sqlite3.Error):
                _reraise(exc, store.path)
            return
        try:
            store.conn.execute("COMMIT")
        except sqlite3.Error as commit_error:
            store._rollback()
            _reraise(commit_error, store.path)
        store._committed()


class Store(TaskRecords, RunRecords, RunReads):
    """A Workdeck database. Not thread-safe: the engine's thread owns it."""

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 5000, writable: bool = True, read_only: bool = False
    ) -> None:
        """``read_only``: open an existing database for reading only (engine.store_faults
        .connect_for_reading); nothing is created, migrated or written. Use
        :func:`open_for_reading`, which also handles a missing or empty file."""
        self.path = str(path)
        self._wal_path = None if self.path == ":memory:" else self.path + "-wal"
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._frame_bytes = 4096 + WAL_FRAME_HEADER  # the page size is read once open
        self._commits = 0
        #: The WAL file's size when it last restarted in place (restart_wal), which keeps
        #: the file: until its content passes that size the file does not grow, and its
        #: size says nothing of what it holds. Before, a checkpoint ran every
        #: WAL_CHECK_EVERY commits after the first restart, copying the same hot pages
        #: again and syncing the database each time (issue 14). What it holds is in the
        #: -shm file's header, but no descriptor of that file may be opened here:
        #: closing one drops SQLite's POSIX locks on it (serve died of SIGBUS).
        self._restarted_size = 0
        self._background: BackgroundCheckpoint | None = None  # made on first use
        #: Called after every commit (the owner's checkpointer arms its idle timer).
        self.after_commit: Callable[[], None] | None = None
        #: Called after every commit that succeeded (the engine retries refused writes then).
        self.on_commit: Callable[[], None] | None = None
        #: Called when the WAL is due a restart (:meth:`restart_wal`), for the owner to do
        #: it from its event loop once the commit's work is done; unset, the commit does it.
        self.restart_due: Callable[[], None] | None = None
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
                _use_wal(conn)
                conn.execute("PRAGMA wal_autocheckpoint = 0")  # see the module's docstring
                conn.execute(f"PRAGMA journal_size_limit = {WAL_KEEP_BYTES}")
                self._frame_bytes = int(conn.execute("PRAGMA page_size").fetchone()[0]) + WAL_FRAME_HEADER
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
        # One read transaction: the three reads see one state of the file. Read apart,
        # another command line could commit a new database's schema between them (no
        # tables, application id 0, then version set): a new Workdeck database was taken
        # for a foreign one, 1 in 200 parallel adds.
        conn.execute("BEGIN")
        try:
            tables, app_id, version = _identity(conn)
        finally:
            if conn.in_transaction:  # an error (not a database at all) may have ended it
                conn.execute("COMMIT")
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
        background = self._background
        # A look without the lock first: the value appears once per checkpoint, the
        # commits come by the thousand.
        if background is not None and background.copied is not None:
            copied = background.take_copied()
            if copied is not None and copied * self._frame_bytes >= WAL_SOFT_BYTES:
                if self.restart_due is not None:
                    self.restart_due()
                else:
                    self.restart_wal()
        if self._commits >= WAL_CHECK_EVERY:
            self._commits = 0
            size = self.wal_bytes()
            if size > WAL_CAP_BYTES:
                # TRUNCATE waits (busy timeout) for readers to move on, then empties the file.
                with suppress(sqlite3.Error):
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    self._restarted_size = 0
            elif size > max(WAL_SOFT_BYTES, self._restarted_size):
                self.checkpoint_in_background()
        if self.after_commit is not None:
            self.after_commit()
        if self.on_commit is not None:
            self.on_commit()

    def note_commit(self) -> None:
        """A commit made on :attr:`conn` outside :meth:`transaction` (the pruner's
        batches and vacuum steps, engine.history.prune): the WAL's checks and the hooks
        run as after any commit. Without it a sweep's deletes and page moves all stayed in
        the WAL until the engine next wrote: 106 MB of WAL beside a 16 MB database pruned
        to 1.5 MB, the whole sweep's worth on a quiet owner."""
        self._committed()

    def restart_wal(self) -> None:
        """Copy what the background checkpoint has not (the commits made while it ran)
        and start the WAL again from its beginning, in the file as it is.

        Without it, writes that never pause grew the WAL to the cap, whose TRUNCATE
        stopped this thread for ~26 ms every ~1,150 runs drained, and every frame went to
        a new end of the file: a page the kernel allocates and zeroes (ext4's
        ``write_begin`` fell from 4.0% to 1.0% of a drain's samples with the WAL reused).
        Measured draining 6,000 runs, one every ~130-190 commits: 1.2-1.4 ms median, 3.1 ms
        at most (two syncs and the frames written meanwhile). The owner does it from its
        event loop (:attr:`restart_due`), after the commands the commit let start, not
        between an alarm's claim and its command. ``busy_timeout`` is 0 meanwhile: a reader
        on an old snapshot, or a checkpoint under way, makes it a passive checkpoint at
        once instead of a wait; the next one restarts it."""
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            with suppress(sqlite3.Error):  # busy, or a full disk: the WAL just goes on
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                if not busy:  # restarted: the next commit writes from its beginning
                    # (and cuts a file past journal_size_limit down to it)
                    self._restarted_size = min(self.wal_bytes(), WAL_KEEP_BYTES)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")

    def transaction(self) -> _Transaction:
        """One short write transaction. ``IMMEDIATE`` takes the write lock up front,
        so a second process waits on the busy timeout instead of failing mid-way.

        On any failure the whole transaction is undone. SQLite itself rolls back on
        some errors (a full disk at COMMIT): a ROLLBACK then would fail with "no
        transaction is active" and hide the real error, so it is issued only while a
        transaction is open, and the error raised is always the first one."""
        return _Transaction(self)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: if the block raises, undo what it wrote and keep the rest.
        If SQLite has undone the whole transaction (it does on some faults, a full disk
        among them), there is nothing left to keep: the error goes on as it is."""
        conn = self.conn
        conn.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO part")
                conn.execute("RELEASE part")
            raise
        conn.execute("RELEASE part")

    def _rollback(self) -> None:
        conn = self.conn
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the first error is the one to report; SQLite undoes what it cannot commit
