"""Writes the database refused for want of space (or an I/O error), held and retried.

An owner whose disk fills must not lose what it knows: a run that ended while nothing
could be written would stay ``running`` in the database for ever, and the tasks that
wait for it (``--after``) with it. The engine hands such a write here as a callable;
it is kept in memory, in order, and tried again

- on a timer with exponential backoff (:data:`FIRST_RETRY` doubling up to
  :data:`MAX_RETRY`): never a busy loop, however long the disk stays full;
- at once after the next write that succeeds (:meth:`committed`, wired to the
  store's ``on_commit``): someone freed space and a command line wrote.

A write that need not be kept (a claim to start a task: the task simply stays due)
only reports the fault (:meth:`failed`); the engine's ``on_recovered`` looks again
when writes work. If the owner stops with writes still held, the next start finds
their runs open and records them as interrupted (Engine._recover_interrupted_runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from engine.clock import Clock
from engine.errors import EnvironmentFaultError

log = logging.getLogger(__name__)

#: Seconds before the first retry; doubled after each failure, up to MAX_RETRY.
FIRST_RETRY = 1.0
MAX_RETRY = 60.0


class PendingWrites:
    """Held writes and the store's fault, for one engine (its thread only)."""

    def __init__(
        self,
        clock: Clock,
        *,
        on_fault: Callable[[str], None],
        on_recovered: Callable[[], None],
        is_stale: Callable[[EnvironmentFaultError], bool] = lambda exc: False,
    ) -> None:
        self._writes: list[tuple[str, Callable[[], None]]] = []
        self._timer = clock.timer(self.flush)
        self._delay = FIRST_RETRY
        self._armed_delay = FIRST_RETRY
        self._flushing = False
        self._recover_due = False  # something failed since the last on_recovered
        self._on_fault = on_fault
        self._on_recovered = on_recovered
        self._is_stale = is_stale
        #: The last refusal, while writes fail; None when the database takes writes.
        self.fault: str | None = None

    def __len__(self) -> int:
        return len(self._writes)

    @property
    def held(self) -> list[str]:
        """What is held, in words, oldest first."""
        return [what for what, _ in self._writes]

    @property
    def retry_delay(self) -> float | None:
        """Seconds until the next retry if one is armed (for tests and diagnostics)."""
        return self._armed_delay if self._timer.active else None

    def write(self, what: str, write: Callable[[], None]) -> bool:
        """Do ``write`` now, or hold it if the database refuses (a full disk): True if done.
        Held writes go first, so writes keep their order."""
        if self._writes:
            self._writes.append((what, write))
            self.flush()
            return all(held is not write for _, held in self._writes)
        try:
            write()
        except EnvironmentFaultError as exc:
            if self._is_stale(exc):
                raise
            self._writes.append((what, write))
            self.failed(exc)
            return False
        return True

    def failed(self, exc: EnvironmentFaultError) -> None:
        """A write was refused: say so once per fault, retry later with backoff."""
        message = str(exc)
        if self.fault is None:
            log.warning(
                "cannot write the database: %s. Runs that end are kept in memory and recorded when writes "
                "work again; no task starts until then", message,
            )
            self._on_fault(message)
        self.fault = message
        self._recover_due = True
        if not self._timer.active:
            self._armed_delay = self._delay
            self._timer.start(self._delay)
            self._delay = min(self._delay * 2, MAX_RETRY)

    def committed(self) -> None:
        """Some write succeeded: space is back, so retry at once (from the event loop)."""
        if self.fault is None:
            return
        log.info("the database takes writes again")
        self.fault = None
        self._delay = FIRST_RETRY
        if not self._flushing:
            self._timer.start(0)

    def flush(self) -> None:
        """Try the held writes in order; stop at the first refusal."""
        if self._flushing:
            return
        self._timer.stop()
        self._flushing = True
        try:
            while self._writes:
                what, write = self._writes[0]
                try:
                    write()
                except EnvironmentFaultError as exc:
                    if not self._is_stale(exc):
                        self.failed(exc)
                        return
                    log.warning("held write dropped, another writer changed its task: %s (%s)", what, exc)
                self._writes.pop(0)
        finally:
            self._flushing = False
        if self._recover_due:
            # Every held write is in; let the engine retry what it did not hold (claims,
            # output). If that fails again, failed() re-arms the timer with a longer delay.
            self._recover_due = False
            self._on_recovered()

    def stop(self) -> None:
        """A last try at stop; what is still held is lost (the next start recovers it)."""
        self.flush()
        self._timer.stop()
        for what, _ in self._writes:
            log.error("not recorded (%s): %s; the next start records it as interrupted", self.fault, what)
        self._writes.clear()
