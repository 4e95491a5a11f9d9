"""Ownership of a database: one engine at a time, and the local socket it listens on.

Two things make an owner:

- an exclusive lock on ``<database>.lock`` beside the database (``flock`` on POSIX,
  ``LockFileEx`` on Windows: engine.platforms.file_lock). The OS
  drops it when the process dies, however it dies, so there is no stale lock to
  clean up. The holder writes ``{"pid", "role"}`` into the file so others can say
  who owns it. The command line takes the same lock, shared (role ``cli``: any number
  of command lines at once), for the few milliseconds it writes the database itself
  when no owner runs; an owner starting then waits for them (:data:`CLI_WAIT_SECONDS`)
  instead of failing.
- a ``QLocalServer`` whose name derives from the database's real path, with
  ``UserAccessOption``, so only the user can connect: on POSIX a socket file in the
  user's runtime dir (mode 0700; one left by a crash is removed before listening:
  safe, because only the lock holder ever listens), on Windows a named pipe
  (engine.platforms.owner_socket).

:class:`EngineHost` puts the two together with the :class:`engine.engine.Engine`;
the window (role ``window``) and ``workdeck serve`` (role ``serve``) both use it::

    host = EngineHost.open(db_path, role="window")   # AlreadyOwnedError if owned
    host.activate_requested.connect(window.show_and_raise)
    # (role "serve" instead has yield_requested: a window asks it to stop and hand over)
    host.start()        # needs a QCoreApplication; listens, then starts the engine
    ...
    host.stop()         # graceful: running tasks are recorded as interrupted
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from engine import ipc
from engine.checkpoint import WalCheckpointer
from engine.clock import Clock
from engine.engine import Engine
from engine.owner.lock import ROLES, OwnerLock, lock_path, real_path, runtime_dir, socket_path
from engine.platforms.owner_socket import owner_socket
from engine.reaper import Reaper
from engine.store import Store

# What only comes after the first due run (issue 14: QtNetwork, the manifest's TOML and
# platformdirs, the receivers, the pruner) is imported where it is used, in start().
if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

    from engine.history.pruner import Pruner
    from engine.receivers import Receivers

#: The idle trigger's source reports from this many minutes of no input (receivers may ask for more).
IDLE_MINUTES = 1.0

log = logging.getLogger(__name__)

__all__ = ["ROLES", "EngineHost", "OwnerLock", "lock_path", "real_path", "runtime_dir", "socket_path"]

class EngineHost(QObject):
    """An engine that owns its database and serves the command line over the socket.

    Build it with :meth:`open`; ``engine``, ``store``, ``role`` and ``socket_path`` are
    public. ``activate_requested`` is emitted when another ``workdeck`` asks to show
    the window (role ``window`` only; ``serve`` answers that it has none).
    ``yield_requested`` is emitted when a window asks ``serve`` to hand the database
    over (role ``serve`` only): the owner's code stops it (``serve`` quits its loop,
    then calls :meth:`stop`), and the window takes the lock once it is free.
    """

    activate_requested = Signal()
    yield_requested = Signal()

    def __init__(self, engine: Engine, lock: OwnerLock, *, role: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.store = engine.store
        self.checkpoints = WalCheckpointer(self.store, engine.clock)
        self.role = role
        self.socket_path = socket_path(lock.db_path)
        self._socket = owner_socket()
        self._lock = lock
        self._server: QLocalServer | None = None
        self._clients: set[_Client] = set()
        self._manifest_path: Path | None = None  # the default, found when start() needs it
        self.manifest_receivers: Receivers | None = None
        self.handler = ipc.RequestHandler(
            engine,
            role=role,
            on_activate=self.activate_requested.emit if role == "window" else None,
            on_yield=self.yield_requested.emit if role == "serve" else None,
        )
        self._stopped = False
        self.pruner: Pruner | None = None
        self._reaper: Reaper | None = None

    @classmethod
    def open(
        cls,
        db_path: str | os.PathLike[str],
        *,
        role: str = "serve",
        clock: Clock | None = None,
        manifest: str | os.PathLike[str] | None = None,
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
        host = cls(engine, lock, role=role, parent=parent)
        if manifest is not None:
            host.manifest_path = Path(manifest)
        return host

    @property
    def manifest_path(self) -> Path:
        """The manifest whose receivers and standing tasks this owner keeps (default: the
        user's config folder's manifest.toml)."""
        if self._manifest_path is None:
            from engine.manifest.model import default_manifest_path

            self._manifest_path = default_manifest_path()
        return self._manifest_path

    @manifest_path.setter
    def manifest_path(self, path: Path) -> None:
        self._manifest_path = path

    def start(self) -> None:
        """Listen on the socket, start the engine (it recovers what a crash left, then
        starts due work), then what can wait.

        What protects the user's work comes before the first run: the lock (taken by
        :meth:`open`), listening, the switch to incremental vacuum, the reaper, the
        engine's recovery. Listening first means an owner that cannot listen (no runtime
        folder, a socket it may not replace) fails having started nothing, instead of
        interrupting the runs it had just started; it also closes a race: a command line
        that found no socket wrote the database under the lock, which we held by then,
        so the engine's first look at the database sees its task. The rest comes after
        the first run, which need not wait for it (issue 14): the pruner, the
        checkpoints, the manifest's receivers (TOML, platformdirs, the condition sources).
        """
        from engine.history.prune import switch_to_incremental_vacuum

        self._listen()
        # Once per database made before schema 6: a quiet moment, nothing runs yet.
        switch_to_incremental_vacuum(self.store.conn, self.store.path)
        # Before the first run: if this process dies, the reaper ends its runs' processes.
        try:
            self._reaper = Reaper()
        except OSError as exc:  # runs are still recorded, for the next start (engine.recovery)
            log.warning("cannot start the reaper (%s): a crash would leave runs' processes until the next start", exc)
        self.engine.group_watcher = self._reaper
        self.engine.start()
        from engine.history.pruner import Pruner
        from engine.receivers import Receivers, sources_from_conditions

        # History retention: small batches on a timer, off the hot path (engine.history).
        self.pruner = Pruner(self.store.conn, self.engine.clock, policy=self.engine.reload_retention,
                             on_removed=self.engine.task_removed.emit,
                             committed=self.store.note_commit, parent=self)
        self.pruner.start()
        self.checkpoints.start()  # after bursts of writes, off the engine's thread
        # The manifest's receivers and standing tasks, in every owner (window or serve):
        # a broken manifest is reported (receivers.problem) and never stops the engine.
        self.manifest_receivers = Receivers(
            self.engine, self.manifest_path,
            sources=sources_from_conditions(self.engine.conditions, self.engine.clock, idle_minutes=IDLE_MINUTES),
            parent=self,
        )
        self.manifest_receivers.problem.connect(lambda message: log.warning("manifest: %s", message))
        self.manifest_receivers.start()
        log.info("workdeck %s owns %s (pid %d), listening on %s", self.role, self._lock.db_path, os.getpid(),
                 self.socket_path)

    def _listen(self) -> None:
        from PySide6.QtNetwork import QLocalServer

        if self.socket_path:
            server = QLocalServer(self)
            self._socket.listen(server, self.socket_path)  # for this user alone; a crash's leftover goes
            server.newConnection.connect(self._on_new_connection)
            self._server = server
        else:  # Windows, the lock record unwritten (a full disk): no pipe name to publish
            log.warning("cannot publish this owner's pipe in %s: command lines cannot reach it", self._lock.path)

    def stop(self) -> None:
        """Stop listening, stop the engine gracefully, close the store, release the lock."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._socket.unlisten(self._server, self.socket_path)  # new command lines fall back to the database
        self.handler.close()
        if self.pruner is not None:
            self.pruner.stop()
        if self.manifest_receivers is not None:
            self.manifest_receivers.stop()
        if self.engine.started:
            self.engine.stop()
        self.checkpoints.stop()
        if self._reaper is not None:
            self._reaper.close()  # every run has ended: it has nothing left to do
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
