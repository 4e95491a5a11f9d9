"""engine.history.bucket_reads: the timeline's aggregates are read on a pool thread, on
a connection of their own, and come back on the asking thread as a queued signal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QThreadPool
from PySide6.QtWidgets import QApplication

from engine.clock import FakeClock, to_us
from engine.history.bucket_reads import BucketReads, BucketRequest, BucketResult
from engine.store import Store
from engine.store.reads import RunReads
from tests.history_data import BUSY_ID, add_busy_task

S = 1_000_000


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    s = Store(tmp_path / "b.db")
    add_busy_task(s, clock.now(), 5_000)
    yield s
    s.close()


def _request(clock: FakeClock, token: object = None) -> BucketRequest:
    now = to_us(clock.now())
    return BucketRequest(now - 5_000 * S, now + S, 100 * S, None, False, token)


def test_a_read_runs_on_a_pool_thread_and_lands_on_the_asking_one(qtbot, store, clock, monkeypatch) -> None:
    threads: list[int] = []
    read = RunReads.run_buckets

    def recorded(self, *args, **kwargs):
        threads.append(threading.get_ident())
        assert self.conn is not store.conn  # never the engine's connection
        return read(self, *args, **kwargs)

    monkeypatch.setattr(RunReads, "run_buckets", recorded)
    steps: list[int] = []
    store.conn.set_progress_handler(lambda: steps.append(1) or 0, 100)
    reads = BucketReads(store.path, store.run_buckets)
    landed: list[tuple[BucketResult, int]] = []
    reads.landed.connect(lambda r: landed.append((r, threading.get_ident())))
    reads.read(_request(clock, "first"))
    assert reads.busy() and not landed  # delivered later, never inside read()
    qtbot.waitUntil(lambda: bool(landed), timeout=5_000)
    store.conn.set_progress_handler(None, 100)
    result, thread = landed[0]
    assert thread == threading.get_ident() and threads and threads[0] != thread
    assert steps == []  # the engine's connection did none of it
    assert result.request.token == "first" and result.error is None
    assert sum(n for task, _b, n, *_ in result.buckets if task == BUSY_ID) == 5_000
    assert not reads.busy()
    reads.close()


def test_a_newer_request_replaces_one_that_waits(qtbot, store, clock) -> None:
    reads = BucketReads(store.path, store.run_buckets)
    tokens: list[object] = []
    reads.landed.connect(lambda r: tokens.append(r.request.token))
    for token in ("a", "b", "c", "d"):
        reads.read(_request(clock, token))
    qtbot.waitUntil(lambda: not reads.busy(), timeout=5_000)
    assert tokens == ["a", "d"]  # the one in flight, then the latest; b and c never read
    reads.close()


def test_no_result_lands_after_its_owner_is_gone(qtbot, store, clock) -> None:
    """The window closes while a read is on its thread: nothing is delivered to the
    deleted reader, and its connection is closed when the read ends."""
    owner = QObject()
    reads = BucketReads(store.path, store.run_buckets, parent=owner)
    box = reads._box
    landed: list[BucketResult] = []
    reads.landed.connect(landed.append)
    reads.read(_request(clock))
    owner.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # deleted now, the read in flight or done
    assert QThreadPool.globalInstance().waitForDone(5_000)
    QApplication.processEvents()
    assert landed == []
    assert box.closed and box.conn is None


def test_an_in_memory_database_reads_here_and_still_lands_later(qtbot, clock) -> None:
    store = Store(":memory:")
    try:
        add_busy_task(store, clock.now(), 300)
        reads = BucketReads(store.path, store.run_buckets)
        landed: list[BucketResult] = []
        reads.landed.connect(landed.append)
        reads.read(_request(clock))
        assert landed == []
        qtbot.waitUntil(lambda: bool(landed), timeout=2_000)
        assert sum(b[2] for b in landed[0].buckets) == 300
        reads.close()
    finally:
        store.close()


def test_a_failed_read_lands_as_an_error_and_frees_the_reader(qtbot, tmp_path, clock) -> None:
    """A database that is not Workdeck's (no runs table): the error comes back, logged
    by the asker, and the reader takes the next request."""
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    reads = BucketReads(str(other), lambda *a, **k: ([], 0))
    landed: list[BucketResult] = []
    reads.landed.connect(landed.append)
    reads.read(_request(clock, "x"))
    qtbot.waitUntil(lambda: bool(landed), timeout=5_000)
    assert isinstance(landed[0].error, sqlite3.Error) and landed[0].buckets == []
    assert not reads.busy()
    reads.read(_request(clock, "y"))
    qtbot.waitUntil(lambda: len(landed) == 2, timeout=5_000)
    reads.close()
