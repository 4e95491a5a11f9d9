"""Who owns a database: the lock file beside it and the owner's socket path.

Qt-free, so the command line can find the owner (or take the lock for a direct
write) without importing Qt's network module or the engine; :mod:`engine.owner`
builds the owning :class:`~engine.owner.EngineHost` on top of it. See that module
for the whole story.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import time
import warnings
from pathlib import Path
from typing import Any

from engine import private_files
from engine.errors import AlreadyOwnedError, BadInputError, DatabaseReadOnlyError, EnvironmentFaultError

ROLES = ("serve", "window")
#: How long an owner waits for a command line's short direct write to finish.
CLI_WAIT_SECONDS = 3.0
#: sun_path is 108 bytes on Linux and 104 on the BSDs and macOS.
_MAX_SOCKET_PATH = 100


def real_path(db_path: str | os.PathLike[str]) -> Path:
    """The database's canonical path: two spellings of one file have one owner."""
    return Path(os.path.realpath(os.fspath(db_path)))


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    real = real_path(db_path)
    return real.with_name(real.name + ".lock")


def runtime_dir() -> Path:
    """The user's runtime dir for Workdeck (``$XDG_RUNTIME_DIR/workdeck``), mode 0700."""
    path = _xdg_runtime_dir()
    if path is not None:
        return _private_dir(path)
    import platformdirs

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp/runtime-UID;
        # the fallback is fine for us because we create it 0700 and check its owner.
        warnings.simplefilter("ignore")
        path = Path(platformdirs.user_runtime_dir("workdeck"))
    return _private_dir(path)


def _xdg_runtime_dir() -> Path | None:
    """``$XDG_RUNTIME_DIR/workdeck`` when the variable names what the XDG spec asks for (an
    absolute path to a real directory of ours, mode 0700): platformdirs' answer in that,
    the usual, case. Answered here because importing platformdirs (it compiles regular
    expressions) was a tenth of every command line's start-up; any other case is its."""
    value = os.environ.get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(value):
        return None
    try:
        info = os.lstat(value)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return Path(value) / "workdeck"


def socket_path(db_path: str | os.PathLike[str]) -> str:
    """The owner's socket for this database: derived from its real path, so stable."""
    digest = hashlib.sha256(os.fsencode(real_path(db_path))).hexdigest()[:20]
    path = runtime_dir() / f"{digest}.sock"
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        import tempfile  # rarely needed: not on every command line's path

        path = _private_dir(Path(tempfile.gettempdir()) / f"workdeck-{os.getuid()}") / f"{digest}.sock"
    return str(path)


def _private_dir(path: Path) -> Path:
    try:
        path.mkdir(mode=private_files.FOLDER_MODE, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise EnvironmentFaultError(f"cannot create the runtime folder {path}: {exc.strerror or exc}") from None
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise EnvironmentFaultError(
            f"the runtime folder {path} must belong to you with mode 0700 (it has {info.st_mode & 0o777:o}): "
            "fix or remove it"
        )
    return path


class OwnerLock:
    """The exclusive lock on ``<database>.lock``."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
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
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd, self._created = fd, not existed
        if not shared:
            # Who holds it, for the message the next one gets. Not atomic: a reader may
            # see a half-written record and treats it as unknown.
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps({"pid": os.getpid(), "role": role}).encode(), 0)
            except OSError as exc:  # a full disk: the flock is what owns; the record only informs
                import logging  # not on the command line's thin path otherwise

                logging.getLogger(__name__).warning("cannot record the owner in %s: %s", self.path,
                                                    exc.strerror or exc)
        return True

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
        probe = OwnerLock(self.db_path)
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
            # Closing the descriptor releases the flock. The file stays: unlinking it
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
