"""A full disk under the store and the engine, on a real tmpfs (issue 11, item 2).

The disk is filled for real (tests.tmpfs); runs are real shell processes; time that
the retry backoff waits is the fake clock's, advanced by hand.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import pending
from engine.clock import FakeClock
from engine.engine import Engine
from engine.errors import DiskFullError
from engine.model import Kind, State, TaskSpec
from engine.output_buffer import OutputBuffer
from engine.store import Store
from tests.tmpfs import fill, mounted_tmpfs


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "600k") as where:
        yield where


def shell(*argv: str, **spec: object) -> TaskSpec:
    return TaskSpec(worker="shell", args=argv, **spec)  # type: ignore[arg-type]


def _count(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.linux
def test_a_refused_commit_says_disk_full_and_writes_nothing(qapp, disk: Path, clock: FakeClock) -> None:
    """SQLite rolls a transaction back itself when COMMIT finds the disk full; the store's
    own ROLLBACK then failed with "no transaction is active" and hid the real error."""
    store = Store(disk / "w.db")
    engine = Engine(store, clock)
    engine.enqueue(shell("true", kind=Kind.DEFERRED))
    fill(disk)
    with pytest.raises(DiskFullError, match=r"^disk full: database .*w\.db: database or disk is full"):
        with store.transaction():
            for _ in range(300):  # more pages than the log holds: it must grow
                store.insert_task(engine._new_task(shell("x" * 200, kind=Kind.DEFERRED), clock.now()))
    assert not store.conn.in_transaction
    assert len(store.tasks()) == 1  # nothing half-written
    with pytest.raises(DiskFullError, match="^disk full: "):
        for _ in range(300):
            engine.enqueue(shell("y" * 2000, kind=Kind.DEFERRED))
    store.close()


@pytest.fixture
def engine_on_disk(qapp, disk: Path, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(Store(disk / "w.db"), clock)
    eng.start()
    yield eng
    eng.stop()
    eng.store.close()


def _run_that_ends_on_a_full_disk(qtbot, engine: Engine, disk: Path, go: Path) -> tuple[str, str]:
    """A task that waits for ``go`` then prints 4000 lines, and a child --after it. Both are
    stored while there is room; the disk is full when the parent's run ends."""
    parent = engine.enqueue(shell("sh", "-c", f"while [ ! -e {go} ]; do sleep 0.02; done; seq 4000"))
    child = engine.enqueue(shell("echo", "child", after=(parent.id,)))
    qtbot.waitUntil(lambda: engine.is_running(parent.id), timeout=10_000)
    fill(disk)
    go.touch()
    qtbot.waitUntil(lambda: not engine.is_running(parent.id), timeout=10_000)
    return parent.id, child.id


@pytest.mark.linux
def test_a_run_that_ends_on_a_full_disk_is_recorded_when_space_returns(
    qtbot, engine_on_disk: Engine, disk: Path, tmp_path: Path, clock: FakeClock
) -> None:
    engine = engine_on_disk
    faults: list[str] = []
    engine.error.connect(faults.append)
    parent, child = _run_that_ends_on_a_full_disk(qtbot, engine, disk, tmp_path / "go")
    assert engine.pending.held == [f"the end of run 1 of task {parent} (succeeded)"]
    assert faults and faults[0].startswith("disk full: ")
    assert engine.store.task(parent).state is State.RUNNING  # not yet written, but held

    # Retries back off (1, 2, 4 ... 60 s), never spin: 30 fake minutes, a bounded number of tries.
    delays = []
    for _ in range(12):
        delays.append(engine.pending.retry_delay)
        clock.advance(engine.pending.retry_delay or 0)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0, 60.0, 60.0]
    assert engine.store.task(parent).state is State.RUNNING and len(engine.pending) == 1

    for filler in disk.glob("filler-*"):
        filler.unlink()
    with qtbot.waitSignal(engine.run_finished, timeout=10_000):
        clock.advance(60.0)  # the next retry writes the end, then the child is released and runs
    qtbot.waitUntil(lambda: engine.store.task(child).state is State.SUCCEEDED, timeout=10_000)
    assert engine.store.task(parent).state is State.SUCCEEDED
    assert engine.pending.held == [] and engine.pending.fault is None
    assert engine.log(parent).splitlines()[-1] == "4000"  # the output was held too


@pytest.mark.linux
def test_the_next_successful_write_retries_at_once(
    qtbot, engine_on_disk: Engine, disk: Path, tmp_path: Path, clock: FakeClock
) -> None:
    engine = engine_on_disk
    parent, child = _run_that_ends_on_a_full_disk(qtbot, engine, disk, tmp_path / "go")
    clock.advance(1.0)
    clock.advance(2.0)
    assert engine.pending.retry_delay == 4.0
    for filler in disk.glob("filler-*"):
        filler.unlink()
    engine.enqueue(shell("true", kind=Kind.DEFERRED, run_at=None))  # a write that succeeds
    clock.advance(0)  # the event loop's turn: no backoff wait
    assert engine.store.task(parent).state is State.SUCCEEDED
    qtbot.waitUntil(lambda: engine.store.task(child).state is State.SUCCEEDED, timeout=10_000)


@pytest.mark.linux
def test_a_claim_refused_by_a_full_disk_leaves_the_task_due(
    qtbot, engine_on_disk: Engine, disk: Path, clock: FakeClock
) -> None:
    engine = engine_on_disk
    engine.pause_deferred()
    task = engine.enqueue(shell("true", kind=Kind.DEFERRED))
    store = engine.store
    reader = sqlite3.connect(str(disk / "w.db"))  # a reader holding its snapshot: the log must grow
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM tasks").fetchone()
    fill(disk)
    engine.resume_deferred()  # the claim fails: nothing written, nothing started
    assert not engine.is_running(task.id)
    assert store.task(task.id).state is State.ENQUEUED and engine.pending.fault is not None
    assert engine.pending.retry_delay == pending.FIRST_RETRY
    reader.close()
    for filler in disk.glob("filler-*"):
        filler.unlink()
    clock.advance(pending.FIRST_RETRY)  # the retry looks again and starts it
    qtbot.waitUntil(lambda: store.task(task.id).state is State.SUCCEEDED, timeout=10_000)


def test_held_output_is_bounded_and_says_what_it_lost() -> None:
    buffer = OutputBuffer(limit=10)
    buffer.chunks = [(1, "abcdef"), (1, "ghijkl")]
    taken = buffer.take()
    buffer.chunks.append((2, "xyz"))  # arrived while the write was refused
    buffer.give_back(taken)
    assert buffer.chunks == [(1, "abcdef")] and buffer.lost == {1: 6, 2: 3}
    again = buffer.take()
    assert again[0] == (1, "abcdef")
    assert [(r, t.split()[1]) for r, t in again[1:]] == [(1, "6"), (2, "3")]
    buffer.give_back(again)  # refused again: the notes' counts carry over, nothing counted twice
    assert buffer.chunks == [(1, "abcdef")] and buffer.lost == {1: 6, 2: 3}
