"""Who owns a database: the lock file beside it and the owner's socket path.

Qt-free, so the command line can find the owner (or take the lock for a direct
write) without importing Qt's network module or the engine; :mod:`engine.owner.host`
builds the owning :class:`~engine.owner.host.EngineHost` on top of it. See that module
for the whole story.
"""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

from engine import private_files
from engine.errors import AlreadyOwnedError, BadInputError, DatabaseReadOnlyError, EnvironmentFaultError
from engine.platforms.owner_socket import _xdg_runtime_dir, owner_socket, runtime_dir  # noqa: F401 - moved there

__all__ = ["ROLES", "OwnerLock", "lock_path", "real_path", "runtime_dir", "socket_path"]

TYPE_CHECKING = False  # not typing's: every command line imports this module
if TYPE_CHECKING:
    from typing import Any

    from engine.platforms.file_lock import FileLock

ROLES = ("serve", "window")
#: The owner's lock record's key for the random part of its pipe's name (Windows: socket_path).
PIPE_SECRET = "pipe"
#: How long an owner waits for a command line's short direct write to finish.
CLI_WAIT_SECONDS = 3.0


def real_path(db_path: str | os.PathLike[str]) -> Path:
    """The database's canonical path: two spellings of one file have one owner."""
    return Path(os.path.realpath(os.fspath(db_path)))


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    real = real_path(db_path)
    return real.with_name(real.name + ".lock")


def socket_path(db_path: str | os.PathLike[str]) -> str:
    """Where the owner of this database listens (a socket file on POSIX, a named pipe on
    Windows: engine.platforms.owner_socket), derived from its real path, so stable.

    Windows' pipe names are one namespace for the whole machine: another user could
    create the pipe of a name they can compute first, and hear the command line's
    requests. There the owner adds a random part to the name and publishes it only in its
    lock record, beside the database, where only the user can read it; with no record to
    read (no owner, or one whose record could not be written) this is "" (see ipc.call).
    """
    digest = _sha256(os.fsencode(real_path(db_path))).hexdigest()[:20]
    sockets = owner_socket()
    address = sockets.address(digest)
    if not sockets.shared_namespace:
        return address
    secret = (OwnerLock(db_path).holder() or {}).get(PIPE_SECRET)
    return f"{address}-{secret}" if isinstance(secret, str) and secret.isalnum() else ""



def _sha256(data: bytes) -> Any:
    """hashlib.sha256, from CPython's built-in module when there is one: hashlib loads
    OpenSSL's library for it, a few milliseconds of every command line's start."""
    try:
        from _sha256 import sha256  # CPython 3.11 (3.12+: _sha2)
    except ImportError:
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256(data)

class OwnerLock:
    """The exclusive lock on ``<database>.lock`` (``flock`` on POSIX, ``LockFileEx`` on
    Windows: engine.platforms.file_lock)."""

    def __init__(self, db_path: str | os.PathLike[str], *, locks: FileLock | None = None) -> None:
        if locks is None:
            # Here, not at import: a command line that only asks for the socket never locks,
            # and file_lock's dataclasses (inspect) were a tenth of a quick add (issue 14).
            from engine.platforms.file_lock import file_lock

            locks = file_lock()
        self._locks = locks
        self.db_path = str(real_path(db_path))
        self.path = lock_path(db_path)
        self._fd: int | None = None
        self._created = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self, role: str) -> bool:
        """Take the lock if it is free; True if taken. Never waits.

        Owners (:data:`ROLES`) take it exclusively. A command line writing with no owner
        (role ``cli``) takes it shared: command lines write side by side (SQLite
        serialises their transactions), while no owner can start during their writes
        and none of them writes while an owner runs. Scripts start many at once.
        """
        if self._fd is not None:
            return True
        shared = role not in ROLES
        existed = self.path.exists()
        try:
            fd = private_files.open_private(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                raise DatabaseReadOnlyError(
                    f"cannot create the lock file {self.path}: the folder is read-only; choose another --db"
                ) from None
            if exc.errno == errno.ENOENT:
                raise DatabaseReadOnlyError(
                    f"cannot create database {self.db_path}: no folder {self.path.parent}"
                ) from None
            raise EnvironmentFaultError(f"cannot open the lock file {self.path}: {exc.strerror}") from None
        try:
            taken = self._locks.try_lock(fd, shared=shared)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            return False
        self._fd, self._created = fd, not existed
        if not shared:
            # Who holds it, for the message the next one gets. Not atomic: a reader may
            # see a half-written record and treats it as unknown.
            try:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)  # no os.pwrite on Windows; the descriptor is ours alone
                os.write(fd, json.dumps(self._record(role)).encode())
            except OSError as exc:  # a full disk: the lock is what owns; the record only informs
                import logging  # not on the command line's thin path otherwise

                logging.getLogger(__name__).warning("cannot record the owner in %s: %s", self.path,
                                                    exc.strerror or exc)
        return True

    @staticmethod
    def _record(role: str) -> dict[str, Any]:
        record: dict[str, Any] = {"pid": os.getpid(), "role": role}
        if owner_socket().shared_namespace:
            import secrets  # owners only, on Windows: see socket_path

            record[PIPE_SECRET] = secrets.token_hex(16)
        return record

    def acquire(self, role: str, *, cli_wait: float = CLI_WAIT_SECONDS) -> None:
        """Take the lock or raise :class:`AlreadyOwnedError` naming the owner.

        A command line holds the lock only while it writes (milliseconds), so while the
        holders are command lines we retry for up to ``cli_wait`` seconds. This is the
        one wait here: it happens once, at start, and only when the lock is contended.
        """
        deadline = time.monotonic() + cli_wait
        while not self.try_acquire(role):
            if not self._held_shared() or time.monotonic() >= deadline:
                raise self.owned_error(self.holder() if not self._held_shared() else {"role": "cli"})
            time.sleep(0.01)

    def _held_shared(self) -> bool:
        """Whether the lock's holders are command lines (shared holders), not an owner."""
        probe = OwnerLock(self.db_path, locks=self._locks)
        try:
            return probe.try_acquire("cli")
        except BadInputError:
            return False
        finally:
            probe.release()

    def owned_error(self, holder: dict[str, Any] | None) -> AlreadyOwnedError:
        holder = holder or {}
        pid, role = holder.get("pid"), holder.get("role")
        who = (f"workdeck {role} (pid {pid})" if pid else f"workdeck {role}") if role else "another workdeck process"
        return AlreadyOwnedError(
            f"{self.db_path} is already owned by {who}: stop it first, or choose another database with --db",
            pid=pid, role=role,
        )

    def holder(self) -> dict[str, Any] | None:
        """The last holder's record, or None if unreadable."""
        try:
            data = json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def release(self) -> None:
        if self._fd is not None:
            # Closing the descriptor releases the lock. The file stays: unlinking it
            # would let two processes lock two different files of one name.
            os.close(self._fd)
            self._fd = None

    def abandon(self) -> None:
        """Release after the database turned out unusable, removing a lock file we created
        (bad input writes nothing). Nobody can own an unusable database, so no one relies
        on this file."""
        created, self._created = self._created, False
        self.release()
        if created:
            self.path.unlink(missing_ok=True)
