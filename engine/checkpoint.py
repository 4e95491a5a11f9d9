"""WAL checkpoints off the writer's path: on a thread of their own, after a burst of
writes (the owner's idle timer) or when the WAL passes a size (any writer).

SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages:
that enqueue stalled 4-10 ms, one in ~290. The store turns it off
(``wal_autocheckpoint = 0``, see :mod:`engine.store`) and hands checkpoints to a
:class:`BackgroundCheckpoint`: a passive checkpoint on its own thread and connection
blocks neither a writer (it never takes the write lock) nor the engine's thread, where
an alarm may be due (a checkpoint writes and syncs the database file: milliseconds,
seconds on a busy disk). Keeping the WAL small also keeps its file from growing
(growing it stalled writes on this machine every ~40 enqueues).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.clock import Clock

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from engine.store import Store

log = logging.getLogger(__name__)

#: Seconds after the first commit of a burst before the owner's checkpoint runs.
IDLE_DELAY = 0.5


class BackgroundCheckpoint:
    """Passive checkpoints of one database, one at a time, on a thread of its own."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor: ThreadPoolExecutor | None = None  # made by the first checkpoint
        self._pending: Future[None] | None = None
        self._conn: sqlite3.Connection | None = None  # used on the checkpoint thread only
        self._lock = threading.Lock()
        self.count = 0  # checkpoints run (tests, benchmarks)
        #: The WAL's frames when the last checkpoint copied all it held, until the store
        #: takes it (:meth:`take_copied`); written on the checkpoint thread.
        self.copied: int | None = None

    def request(self) -> None:
        """Start a checkpoint unless one is running (it copies this burst's pages too)."""
        if self._pending is None or self._pending.done():
            self._pending = self._submit(self._checkpoint)

    def wait(self) -> None:
        """Until the checkpoint requested last is done (tests)."""
        if self._pending is not None:
            self._pending.result()

    def close(self) -> None:
        if self._executor is None:
            return  # no checkpoint ran: no thread, no connection
        self._executor.submit(self._close).result()
        self._executor.shutdown(wait=True)

    def _submit(self, call: Callable[[], None]) -> Future[None]:
        if self._executor is None:
            # concurrent.futures loads here, not with every store: a few ms of a cold start.
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workdeck-checkpoint")
        return self._executor.submit(call)

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            busy, frames, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # busy or a full disk: the next request tries again
            log.warning("WAL checkpoint failed: %s", exc)
            return
        with self._lock:
            self.count += 1
            if not busy and frames == copied:
                self.copied = frames

    def take_copied(self) -> int | None:
        """The WAL's size in frames when the last checkpoint finished copying all of it,
        once (None: none finished since the last call)."""
        with self._lock:
            copied, self.copied = self.copied, None
        return copied

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class WalCheckpointer:
    """The owner's: arms one timer on the first commit after a checkpoint and, when it
    fires, has the store checkpoint in the background; and restarts the WAL from the
    event loop when the store says it is due (engine.store.Store.restart_wal), once
    what the commit let start has started."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._timer = clock.timer(self._on_timer)
        self._restart = clock.timer(store.restart_wal)

    def start(self) -> None:
        self._store.after_commit = self._on_commit
        self._store.restart_due = self._on_restart_due

    def stop(self) -> None:
        self._store.after_commit = None
        self._store.restart_due = None
        self._timer.stop()
        self._restart.stop()

    def _on_restart_due(self) -> None:
        if not self._restart.active:
            self._restart.start(0)

    def _on_timer(self) -> None:
        self._store.checkpoint_in_background()

    def _on_commit(self) -> None:
        if not self._timer.active:
            self._timer.start(IDLE_DELAY)
