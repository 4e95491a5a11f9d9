"""What the machine does to a database, and how the store answers it.

- :func:`blame` sorts an SQLite failure by who is to blame (as qutebrowser's
  ``misc/sql.py`` does): a full disk, an I/O error, a read-only or damaged file get
  one of our errors with a one-line message; anything else is a bug, raised as is.
- :func:`is_writable`, :func:`read_only_reason`, :func:`refuse_if_read_only`
  (engine.write_access, re-exported) say whether Workdeck may write a file or folder.
- :func:`connect_for_reading` opens a database for ``list``/``show``/``log``/``export``
  without ever writing it or leaving a file behind (see its docstring for the cases).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from engine.errors import (
    DatabaseDamagedError,
    DatabaseReadOnlyError,
    DiskFullError,
    EnvironmentFaultError,
    NotAWorkdeckDatabaseError,
)

# Whether a database may be written lives apart (no sqlite3): every command line asks it.
from engine.write_access import is_writable as is_writable  # re-exported
from engine.write_access import read_only_reason as read_only_reason
from engine.write_access import refuse_if_read_only as refuse_if_read_only

#: Below this much free space an I/O error on the database's file system is taken for
#: a full disk: SQLite reports a -shm it cannot grow on tmpfs as "disk I/O error".
LOW_SPACE_BYTES = 256 * 1024


def free_bytes(path: str) -> int | None:
    """Free space for unprivileged writes on the file system holding ``path``."""
    if sys.platform == "win32":  # no statvfs; the free space the caller's quota allows
        import shutil

        try:
            return shutil.disk_usage(os.path.dirname(os.path.abspath(path)) or ".").free
        except OSError:
            return None
    try:
        info = os.statvfs(os.path.dirname(os.path.abspath(path)) or ".")
    except OSError:
        return None
    return info.f_bavail * info.f_frsize


def blame(exc: sqlite3.Error, path: str) -> Exception:
    """The error to raise for ``exc``: one of ours for the user's or the environment's
    fault, or ``exc`` itself for a bug (raised as is, traceback intact)."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorname", "") or ""
    if "readonly" in text or "read-only" in text:
        return DatabaseReadOnlyError(f"database {path} is read-only: choose a writable file with --db")
    if "not a database" in text or "file is encrypted" in text:
        return NotAWorkdeckDatabaseError(f"{path} is not an SQLite database: choose another file with --db")
    if text.startswith("no such table") or text.startswith("no such column"):
        return DatabaseDamagedError(
            f"database {path} is damaged ({exc}): it was changed outside Workdeck; "
            "restore it from a backup, or move it aside and Workdeck starts a new one"
        )
    if "disk is full" in text or code == "SQLITE_FULL":
        return DiskFullError(f"disk full: database {path}: {exc}; free some space and try again")
    if "disk i/o error" in text or code.startswith("SQLITE_IOERR"):
        free = free_bytes(path)
        if free is not None and free < LOW_SPACE_BYTES:
            return DiskFullError(
                f"disk full: database {path}: {exc} with {free // 1024} KiB free; free some space and try again"
            )
        return EnvironmentFaultError(f"I/O error: database {path}: {exc}")
    if any(s in text for s in ("locked", "busy", "unable to open")):
        return EnvironmentFaultError(f"database {path}: {exc}")
    return exc


def _connect_ro(path: str, *, immutable: bool) -> sqlite3.Connection:
    uri = Path(path).absolute().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)


def connect_for_reading(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A connection that can only read ``path`` (which exists) and leaves nothing behind.

    - File and folder writable: a normal connection with ``PRAGMA query_only``. SQLite
      makes its -wal and -shm while it is open and, as the last connection, removes them
      at close, as any write would; nothing in the database changes.
    - Otherwise, if a -wal or -shm exists (an owner is running, or a crash left
      changes in the log): ``mode=ro``, which reads the log through its -shm. SQLite creates
      the -shm if the folder allows (only then) and refuses if it cannot: a one-line error.
    - Otherwise ``mode=ro&immutable=1``: with no write-ahead log every committed change
      is in the file itself, and ``mode=ro`` alone would leave -wal and -shm files behind
      in a writable folder (measured) or fail in a read-only one. Immutable is safe here
      because no process has the database open: a WAL connection keeps the -wal and
      -shm while it is open (the last one removes them), and the file itself changes
      only in a checkpoint of that log.
    """
    wal, shm = Path(path + "-wal"), Path(path + "-shm")
    reason = read_only_reason(path)
    try:
        try:
            if reason is None:
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA query_only = ON")
            else:
                conn = _connect_ro(path, immutable=not (wal.exists() or shm.exists()))
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA user_version").fetchone()  # opens the file now: errors surface here
        except sqlite3.Error as exc:
            if not isinstance(blame(exc, path), DiskFullError) or (wal.exists() and wal.stat().st_size > 0):
                raise
            # A full disk: SQLite cannot size its -shm. With no log content (a failed
            # open leaves an empty -wal), every committed change is in the file itself.
            conn = _connect_ro(path, immutable=True)
            conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        blamed = blame(exc, path)
        if reason is not None and isinstance(blamed, (DatabaseReadOnlyError, EnvironmentFaultError)) and wal.exists():
            raise EnvironmentFaultError(
                f"cannot read {path}: its write-ahead log {wal.name} holds changes SQLite can only read with a "
                f"{shm.name} beside it, and {reason}: open it once where it can be written, "
                "or copy it with its -wal to a writable folder"
            ) from None
        if blamed is exc:
            raise
        raise blamed from exc
    except OSError as exc:
        raise EnvironmentFaultError(f"cannot read {path}: {exc.strerror or exc}") from None
    return conn


class _Transactional(Protocol):
    conn: sqlite3.Connection

    def transaction(self) -> AbstractContextManager[None]: ...


def probe_write(store: _Transactional) -> None:
    """Commit a write that changes nothing (the schema version, set to itself): an owner
    learns at start whether the database takes writes, not at its first run's end."""
    with store.transaction():
        version = int(store.conn.execute("PRAGMA user_version").fetchone()[0])
        store.conn.execute(f"PRAGMA user_version = {version}")
