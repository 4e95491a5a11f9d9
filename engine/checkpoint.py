"""The owner's WAL checkpoints, after a burst of writes and off the engine's thread.

SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages:
that enqueue stalled 4-10 ms, one in ~290. The store turns it off
(``wal_autocheckpoint = 0``, see :mod:`engine.store`). The owner runs this instead:
:data:`IDLE_DELAY` seconds after the first commit of a burst, a passive checkpoint on
a thread of its own with a connection of its own, so it blocks neither a writer (a
passive checkpoint never takes the write lock) nor the engine's thread, where an alarm
may be due (a checkpoint writes and syncs the database file: milliseconds, seconds on a
busy disk). A burst that never pauses is bounded by the store's own size cap.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from engine.clock import Clock
from engine.store import Store

log = logging.getLogger(__name__)

#: Seconds after the first commit of a burst before the checkpoint runs.
IDLE_DELAY = 0.5


class WalCheckpointer:
    """Arms one timer on the first commit after a checkpoint; checkpoints when it fires."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._timer = clock.timer(self._on_timer)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._conn: sqlite3.Connection | None = None  # used on the checkpoint thread only
        self._lock = threading.Lock()
        self.count = 0  # checkpoints run (tests, benchmarks)

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workdeck-checkpoint")
        self._store.after_commit = self._on_commit

    def stop(self) -> None:
        """Stop arming; wait for a running checkpoint. The store's close checkpoints last."""
        self._store.after_commit = None
        self._timer.stop()
        if self._executor is not None:
            self._executor.submit(self._close).result()
            self._executor.shutdown(wait=True)
            self._executor = None

    def wait(self) -> None:
        """Until the checkpoint handed over last is done (tests)."""
        if self._pending is not None:
            self._pending.result()

    def _on_commit(self) -> None:
        if not self._timer.active:
            self._timer.start(IDLE_DELAY)

    def _on_timer(self) -> None:
        if self._executor is None or (self._pending is not None and not self._pending.done()):
            return  # the one running now sees this burst's pages too, or the next burst's timer will
        self._pending = self._executor.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self._store.path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # busy or a full disk: the next burst tries again
            log.warning("WAL checkpoint failed: %s", exc)
            return
        with self._lock:
            self.count += 1

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
