"""The persistent queue's dispatcher: starts ENQUEUED tasks when they are due.

Immediate (keep-running) work starts at once and goes before deferred work;
deferred work runs at most ``max_deferred`` at a time. No polling: one timer is
armed for the earliest due task and re-armed on every change (``wake``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from engine.clock import Clock, to_us
from engine.model import Kind, State
from engine.store import Store

if TYPE_CHECKING:
    from engine.engine import Engine


class Dispatcher:
    def __init__(self, engine: Engine, store: Store, clock: Clock, *, max_deferred: int | None = None) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock
        self.max_deferred = max_deferred or os.cpu_count() or 2
        self._timer = clock.timer(self.dispatch)
        self.paused = False

    def wake(self) -> None:
        """Something changed (enqueue, completion, cancel, a condition): look again."""
        self.dispatch()

    def stop(self) -> None:
        self._timer.stop()

    def dispatch(self) -> None:
        if not self._engine.started:
            return
        now_us = self._clock.now_us()
        for task in self._store.due(State.ENQUEUED, now_us, kind=Kind.IMMEDIATE, limit=1000):
            self._engine.start_run(task)
        free = 0 if self.paused else self.max_deferred - self._engine.running_count(Kind.DEFERRED)
        if free > 0:
            for task in self._store.due(State.ENQUEUED, now_us, kind=Kind.DEFERRED, limit=free):
                self._engine.start_run(task)
        self._arm(now_us, capacity_left=free > 0)

    def _arm(self, now_us: int, *, capacity_left: bool) -> None:
        upcoming = self._store.next_due(State.ENQUEUED)
        if upcoming is None or upcoming.next_run_at is None:
            self._timer.stop()
            return
        due_us = to_us(upcoming.next_run_at)
        if due_us <= now_us and not capacity_left:
            # Full: a finishing run wakes us; a zero timer here would spin.
            self._timer.stop()
            return
        self._timer.start(max(0.0, (due_us - now_us) / 1e6))
