"""The owner's idle pass: pruning in small batches off the hot path.

A timer (the engine's clock, so tests drive it with the FakeClock) runs one batch at a
time: a few hundred runs chosen without the lock, deleted in one short transaction,
then one incremental-vacuum step; the next batch waits ``BATCH_PAUSE`` so whatever
queued up meanwhile (an enqueue from the socket, a run's end, a repaint) goes first.
A sweep over every task starts ``FIRST_DELAY`` after the owner starts and then every
``INTERVAL``. Each batch's write-lock hold is measured; the batch (and the vacuum step)
shrinks when a hold passes ``TARGET_HOLD`` and grows back when holds are short, and a
transaction stops deleting after ``prune.TIME_BOX`` whatever its size, so a machine
busy with other work does not stretch the hold: the batches get smaller instead.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock
from engine.history import prune
from engine.history.policy import RetentionPolicy

log = logging.getLogger(__name__)

FIRST_DELAY = 60.0  # seconds after the owner starts: let the start settle first
INTERVAL = 600.0  # seconds between sweeps
BATCH_PAUSE = 0.05  # seconds between the batches of one sweep
TARGET_HOLD = 0.010  # seconds: a batch that holds the lock longer makes the next smaller
MIN_BATCH = 20
MIN_VACUUM_PAGES = 16


class Pruner(QObject):
    """Drives :mod:`engine.history.prune` on a timer. ``pruned`` carries each batch's
    :class:`engine.history.prune.PruneResult` when it removed something."""

    pruned = Signal(object)

    def __init__(
        self,
        conn: sqlite3.Connection,
        clock: Clock,
        *,
        policy: Callable[[], RetentionPolicy],
        on_removed: Callable[[str], None] | None = None,
        committed: Callable[[], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``committed``: called after each of its commits (a batch, a vacuum step), for
        the store's WAL checks (engine.store.Store.note_commit): its transactions are
        its own, not the store's."""
        super().__init__(parent)
        self._conn = conn
        self._clock = clock
        self._policy_source = policy
        self._policy: RetentionPolicy | None = None
        self._on_removed = on_removed
        self._committed = committed
        self._cursor: prune.SweepCursor | None = None
        self._timer = clock.timer(self._on_timer)
        self.batch_runs = prune.BATCH_RUNS
        self.vacuum_pages = prune.VACUUM_PAGES
        self.time_box: float | None = prune.TIME_BOX  # None: a batch deletes all it planned (benchmarks)
        #: the write-lock hold of recent transactions, seconds (tests and benchmarks read it)
        self.lock_holds: deque[float] = deque(maxlen=10_000)
        self.lock_cpu: deque[float] = deque(maxlen=10_000)  # their CPU seconds (prune batches)
        self.sweeps = 0

    def start(self, delay: float = FIRST_DELAY) -> None:
        self._timer.start(delay)

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.active

    def _on_timer(self) -> None:
        try:
            more = self.step()
        except sqlite3.Error as exc:  # locked by another writer past the busy timeout, disk: try later
            log.warning("pruning paused: %s", exc)
            more = False
        except Exception:
            log.exception("pruning failed; trying again at the next sweep")
            self._cursor = None
            more = False
        self._timer.start(BATCH_PAUSE if more else INTERVAL)

    def step(self) -> bool:
        """One batch (and one vacuum step). True while the sweep has more to do."""
        if self._cursor is None or self._policy is None:
            self._policy = self._policy_source()  # a sweep reads the settings once
            self._cursor = prune.SweepCursor()
        result, self._cursor = prune.prune_batch(
            self._conn, self._policy, self._clock.now_us(), self._cursor, batch_runs=self.batch_runs,
            time_box=self.time_box,
        )
        self._adapt(result.lock_holds)
        if result.lock_holds and self._committed is not None:
            self._committed()
        self.lock_cpu.extend(result.lock_cpu)
        left = 0
        if prune.auto_vacuum_mode(self._conn) == 2 and int(
                self._conn.execute("PRAGMA freelist_count").fetchone()[0]):
            cpu = time.thread_time()
            left, held = prune.shrink_step(self._conn, self.vacuum_pages)
            self.lock_cpu.append(time.thread_time() - cpu)
            self.lock_holds.append(held)
            if self._committed is not None:
                self._committed()
            self.vacuum_pages = _adapted(self.vacuum_pages, held, MIN_VACUUM_PAGES, prune.VACUUM_PAGES)
        if result.runs or result.tasks:
            log.debug("pruned %d runs, %d output bytes, %d tasks", result.runs, result.output_bytes, result.tasks)
            for task_id in result.removed_tasks:
                if self._on_removed is not None:
                    self._on_removed(task_id)
            self.pruned.emit(result)
        if self._cursor is None:
            self.sweeps += 1
        return self._cursor is not None or left > 0

    def _adapt(self, holds: list[float]) -> None:
        self.lock_holds.extend(holds)
        if holds:
            self.batch_runs = _adapted(self.batch_runs, max(holds), MIN_BATCH, prune.BATCH_RUNS)


def _adapted(size: int, held: float, lowest: int, highest: int) -> int:
    """The next batch's size after one that held the lock ``held`` seconds."""
    if held > TARGET_HOLD:
        return max(lowest, size // 2)
    if held < TARGET_HOLD / 4:
        return min(highest, size * 3 // 2)
    return size
