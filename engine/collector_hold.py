"""Python's cyclic garbage collector kept from starting in the last stretch before an alarm.

Measured under one CPU hog per core (issue 14), the engine's thread stopped for a
collection now and then: a full (generation 2) one took 147 ms, a young one up to
25 ms, and a collection started by any allocation on any thread holds the interpreter
lock, so the alarm's timer callback waited for it. Those stops were most of the p99 of
``fired_at`` (84 ms; 18 ms in rounds where no full collection ran). The alarm scheduler
holds the collector off from the wake before the alarm's last wait (engine.exact.NEAR)
until its command was started, then lets it run: whatever became due runs at the next
allocation, right after the spawn.

The collector is the process's: holds are counted, and one made while it was already
off (the application turned it off itself) changes nothing.
"""

from __future__ import annotations

import gc

_holders = 0  # holds in force, over every scheduler in the process
_disabled_by_us = False


class CollectorHold:
    """One scheduler's hold: :meth:`hold` and :meth:`release` may be called any number of times."""

    def __init__(self) -> None:
        self.held = False

    def hold(self) -> None:
        global _holders, _disabled_by_us
        if self.held:
            return
        self.held = True
        _holders += 1
        if _holders == 1 and gc.isenabled():
            gc.disable()
            _disabled_by_us = True

    def release(self) -> None:
        global _holders, _disabled_by_us
        if not self.held:
            return
        self.held = False
        _holders -= 1
        if _holders == 0 and _disabled_by_us:
            _disabled_by_us = False
            gc.enable()
