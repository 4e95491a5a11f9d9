"""The owner's idle pass: pruning in small batches off the hot path.

A timer (the engine's clock, so tests drive it with the FakeClock) runs one batch at a
time: a few hundred runs chosen without the lock, deleted in one short transaction,
then one incremental-vacuum step; the next batch waits ``BATCH_PAUSE`` so whatever
queued up meanwhile (an enqueue from the socket, a run's end, a repaint) goes first.
A sweep over every task starts ``FIRST_DELAY`` after the owner starts and then every
``INTERVAL``. Each batch's write-lock hold is measured; the batch shrinks when a hold
passes ``TARGET_HOLD`` and grows back when holds are short.
"""

from __future__ import annotations

import logging
import sqlite3
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
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._conn = conn
        self._clock = clock
        self._policy_source = policy
        self._policy: RetentionPolicy | None = None
        self._on_removed = on_removed
        self._cursor: prune.SweepCursor | None = None
        self._timer = clock.timer(self._on_timer)
        self.batch_runs = prune.BATCH_RUNS
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
            self._conn, self._policy, self._clock.now_us(), self._cursor, batch_runs=self.batch_runs
        )
        self._adapt(result.lock_holds)
        self.lock_cpu.extend(result.lock_cpu)
        left = 0
        if prune.auto_vacuum_mode(self._conn) == 2 and int(
                self._conn.execute("PRAGMA freelist_count").fetchone()[0]):
            left, held = prune.shrink_step(self._conn)
            self.lock_holds.append(held)
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
        if not holds:
            return
        if max(holds) > TARGET_HOLD:
            self.batch_runs = max(MIN_BATCH, self.batch_runs // 2)
        elif max(holds) < TARGET_HOLD / 4:
            self.batch_runs = min(prune.BATCH_RUNS, self.batch_runs * 3 // 2)
