"""The timeline's per-pixel aggregates, read off the UI thread.

A slice of ``run_buckets`` is an index range walk in SQLite: a few milliseconds with
the pages cached, tens of milliseconds when they are not (a 10-million-run history
the page cache has dropped), and an order more on a loaded machine. On the thread
that paints, that is a stalled pan. :class:`BucketReads` runs each read on a pool
thread, on a read connection of its own (WAL lets it read beside the engine's writes,
from the last commit), and hands the result back on the thread that asked, as a
queued signal: the view keeps painting what it has until the slice lands, as a
profiler's timeline never blocks on data.

One read is in flight at a time; a newer request waits behind it and replaces an older
one still waiting, so a burst of pans and zooms costs one read, not one per step.
An in-memory database (tests) cannot be opened twice: there the read runs on the
calling thread and its result is still delivered later, through the same signal.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal

from engine.store_faults import connect_for_reading
from engine.store.reads import Bucket, RunReads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BucketRequest:
    """One slice: ``run_buckets(start_us, end_us, bucket_us, limit=, backwards=)``.
    ``token`` is the asker's, returned with the result (which grid, which edge)."""

    start_us: int
    end_us: int
    bucket_us: int
    limit: int | None
    backwards: bool
    token: Any = None


@dataclass
class BucketResult:
    request: BucketRequest
    buckets: list[Bucket] = field(default_factory=list)
    complete_us: int = 0
    read_ms: float = 0.0  # the read's wall time on its thread
    error: Exception | None = None


class _Connection(RunReads):
    """RunReads over a connection of the reader's own."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn


class _Mailbox:
    """What the pool thread and the owner share; outlives the owner's C++ object."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closed = False
        self.result: BucketResult | None = None
        self.conn: sqlite3.Connection | None = None
        self.busy = False  # a read is on a pool thread

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if not self.busy:
                self._close_conn()

    def _close_conn(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class BucketReads(QObject):
    """Reads ``run_buckets`` slices on a pool thread; ``landed`` brings each result back."""

    landed = Signal(object)  # a BucketResult, on the owner's thread
    _wake = Signal()

    def __init__(self, path: str, read_here: Callable[..., tuple[list[Bucket], int]],
                 *, busy_timeout_ms: int = 5000, parent: QObject | None = None) -> None:
        """``path``: the database; ``read_here``: the store's own ``run_buckets``, used
        when the database is in memory."""
        super().__init__(parent)
        self._path = path
        self._read_here = read_here
        self._busy_timeout_ms = busy_timeout_ms
        self._box = _Mailbox()
        self._waiting: BucketRequest | None = None
        self._in_flight: BucketRequest | None = None
        box = self._box
        # Closed before the C++ object goes, so no pool thread emits into a deleted one.
        self.destroyed.connect(lambda *_: box.close())
        self._wake.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def read(self, request: BucketRequest) -> None:
        """Read ``request`` next (replacing one that waits and has not started)."""
        if self._box.closed:
            return
        if self._in_flight is not None:
            self._waiting = request
            return
        self._start(request)

    def busy(self) -> bool:
        """A read is in flight or waiting."""
        return self._in_flight is not None or self._waiting is not None

    def cancel_waiting(self) -> None:
        self._waiting = None

    def close(self) -> None:
        """No more reads; the connection closes when the read in flight (if any) ends."""
        self._waiting = None
        self._box.close()

    def _start(self, request: BucketRequest) -> None:
        self._in_flight = request
        if self._path == ":memory:":
            result = _run(request, self._read_here)
            with self._box.lock:
                self._box.result = result
            self._wake.emit()
            return
        box, path, timeout, wake = self._box, self._path, self._busy_timeout_ms, self._wake.emit
        with box.lock:
            box.busy = True

        def body() -> None:  # on a pool thread
            try:
                if box.conn is None:
                    box.conn = _connect(path, timeout)
                result = _run(request, _Connection(box.conn).run_buckets)
            except Exception as exc:  # noqa: BLE001 - busy, locked, gone: the asker is told, never left waiting
                result = BucketResult(request, error=exc)
            with box.lock:
                box.busy = False
                if box.closed:
                    box._close_conn()
                    return
                box.result = result
                wake()  # posts to the owner's thread; under the lock, so never after close

        QThreadPool.globalInstance().start(body)

    def _deliver(self) -> None:
        with self._box.lock:
            result, self._box.result = self._box.result, None
        self._in_flight = None
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self._start(waiting)
        if result is None:
            return
        if result.error is not None:
            # Busy or locked for longer than the timeout: the asker reads again on its next want.
            log.warning("timeline aggregates not read: %s", result.error)
        self.landed.emit(result)


def _connect(path: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """Read-only, as every reader beside the owner (a read-only folder included)."""
    return connect_for_reading(path, busy_timeout_ms)


def _run(request: BucketRequest, read: Callable[..., tuple[list[Bucket], int]]) -> BucketResult:
    began = time.perf_counter()
    buckets, complete = read(request.start_us, request.end_us, request.bucket_us,
                             limit=request.limit, backwards=request.backwards)
    return BucketResult(request, buckets, complete, (time.perf_counter() - began) * 1000)
