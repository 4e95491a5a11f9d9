"""Ownership of a database: one engine at a time, and the local socket it listens on.

Two things make an owner:

- an exclusive ``fcntl.flock`` on ``<database>.lock`` beside the database. The OS
  drops it when the process dies, however it dies, so there is no stale lock to
  clean up. The holder writes ``{"pid", "role"}`` into the file so others can say
  who owns it. The command line takes the same lock (role ``cli``) for the few
  milliseconds it writes the database itself when no owner runs; an owner starting
  then waits for it (:data:`CLI_WAIT_SECONDS`) instead of failing.
- a ``QLocalServer`` on a socket file whose name derives from the database's real
  path, in the user's runtime dir (mode 0700) with ``UserAccessOption``, so only
  the user can connect. A socket file left by a crash is removed before listening:
  safe, because only the lock holder ever listens.

:class:`EngineHost` puts the two together with the :class:`engine.engine.Engine`;
the window (role ``window``) and ``workdeck serve`` (role ``serve``) both use it::

    host = EngineHost.open(db_path, role="window")   # AlreadyOwnedError if owned
    host.activate_requested.connect(window.show_and_raise)
    host.start()        # needs a QCoreApplication; listens, then starts the engine
    ...
    host.stop()         # graceful: running tasks are recorded as interrupted
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from engine import ipc
from engine.clock import Clock
from engine.engine import Engine
from engine.errors import AlreadyOwnedError, DatabaseReadOnlyError, EnvironmentFaultError
from engine.store import Store

log = logging.getLogger(__name__)

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
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp/runtime-UID;
        # the fallback is fine for us because we create it 0700 and check its owner.
        warnings.simplefilter("ignore")
        path = Path(platformdirs.user_runtime_dir("workdeck"))
    return _private_dir(path)


def socket_path(db_path: str | os.PathLike[str]) -> str:
    """The owner's socket for this database: derived from its real path, so stable."""
    digest = hashlib.sha256(os.fsencode(real_path(db_path))).hexdigest()[:20]
    path = runtime_dir() / f"{digest}.sock"
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        path = _private_dir(Path(tempfile.gettempdir()) / f"workdeck-{os.getuid()}") / f"{digest}.sock"
    return str(path)


def _private_dir(path: Path) -> Path:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
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
        """Take the lock if it is free; True if taken. Never waits."""
        if self._fd is not None:
            return True
        existed = self.path.exists()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
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
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd, self._created = fd, not existed
        # Who holds it, for the message the next one gets. Not atomic: a reader may
        # see a half-written record and treats it as unknown.
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "role": role}).encode(), 0)
        return True

    def acquire(self, role: str, *, cli_wait: float = CLI_WAIT_SECONDS) -> None:
        """Take the lock or raise :class:`AlreadyOwnedError` naming the owner.

        A command line holds the lock only while it writes (milliseconds), so while the
        holder is a command line (or not yet known) we retry for up to ``cli_wait``
        seconds. This is the one wait here: it happens once, at start, and only when
        the lock is contended.
        """
        deadline = time.monotonic() + cli_wait
        while not self.try_acquire(role):
            holder = self.holder()
            if (holder and holder.get("role") in ROLES) or time.monotonic() >= deadline:
                raise self.owned_error(holder)
            time.sleep(0.01)

    def owned_error(self, holder: dict[str, Any] | None) -> AlreadyOwnedError:
        holder = holder or {}
        pid, role = holder.get("pid"), holder.get("role")
        who = f"workdeck {role} (pid {pid})" if role else "another workdeck process"
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


class EngineHost(QObject):
    """An engine that owns its database and serves the command line over the socket.

    Build it with :meth:`open`; ``engine``, ``store``, ``role`` and ``socket_path`` are
    public. ``activate_requested`` is emitted when another ``workdeck`` asks to show
    the window (role ``window`` only; ``serve`` answers that it has none).
    """

    activate_requested = Signal()

    def __init__(self, engine: Engine, lock: OwnerLock, *, role: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.store = engine.store
        self.role = role
        self.socket_path = socket_path(lock.db_path)
        self._lock = lock
        self._server: QLocalServer | None = None
        self._clients: set[_Client] = set()
        self.handler = ipc.RequestHandler(
            engine, role=role, on_activate=self.activate_requested.emit if role == "window" else None
        )
        self._stopped = False

    @classmethod
    def open(
        cls,
        db_path: str | os.PathLike[str],
        *,
        role: str = "serve",
        clock: Clock | None = None,
        parent: QObject | None = None,
    ) -> EngineHost:
        """Take ownership of ``db_path`` (raises :class:`AlreadyOwnedError` naming the owner),
        open the store (bad, read-only or newer databases raise BadInputError subclasses)
        and build the engine. Nothing runs until :meth:`start`."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        lock = OwnerLock(db_path)
        lock.acquire(role)
        try:
            store = Store(lock.db_path)
        except Exception:
            lock.abandon()
            raise
        try:
            engine = Engine(store, clock)
        except Exception:
            store.close()
            lock.release()
            raise
        return cls(engine, lock, role=role, parent=parent)

    def start(self) -> None:
        """Listen on the socket, then start the engine (it recovers what a crash left).

        Listening first closes a race: a command line that found no socket wrote the
        database under the lock, which we held by then, so the engine's first look at
        the database sees its task.
        """
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.socket_path)  # a crash's leftover; we hold the lock
        if not server.listen(self.socket_path):
            raise EnvironmentFaultError(f"cannot listen on {self.socket_path}: {server.errorString()}")
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        self.engine.start()
        log.info("workdeck %s owns %s (pid %d), listening on %s", self.role, self._lock.db_path, os.getpid(),
                 self.socket_path)

    def stop(self) -> None:
        """Stop listening, stop the engine gracefully, close the store, release the lock."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.close()  # new command lines now fall back to the database
            QLocalServer.removeServer(self.socket_path)
        self.handler.close()
        if self.engine.started:
            self.engine.stop()
        for client in list(self._clients):
            client.close()
        self.store.close()
        self._lock.release()

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            client = _Client(self, sock)
            self._clients.add(client)
            client.begin()


class _Client:
    """One connection: greeting first, then a reply per request line."""

    def __init__(self, host: EngineHost, sock: QLocalSocket) -> None:
        self.host, self.sock = host, sock
        self.buffer = b""
        self.closed = False

    def begin(self) -> None:
        self.write(self.host.handler.greeting())
        self.sock.readyRead.connect(self._on_ready_read)
        self.sock.disconnected.connect(self.close)
        self._on_ready_read()

    def write(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        self.sock.write(ipc.encode(message))
        self.sock.flush()

    def _on_ready_read(self) -> None:
        self.buffer += bytes(self.sock.readAll().data())
        while not self.closed and b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            try:
                request = json.loads(line)
            except ValueError:
                self.write({"ok": False, "error": "a request must be one line of JSON", "exit": 2})
                continue
            self.host.handler.handle(request, self.write)
        if len(self.buffer) > ipc.MAX_LINE_BYTES:
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.host._clients.discard(self)
        self.sock.disconnectFromServer()
        self.sock.deleteLater()
