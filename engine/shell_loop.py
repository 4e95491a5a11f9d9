"""Deferred shell runs supervised from the runner's event loop (Linux), not a pool thread each.

Why: draining a backlog of short commands is CPU-bound, and the hand-offs between a
pool thread supervising each run and the main thread recording it cost more CPU than
the supervision itself. Per run a condition variable woke a pool thread, a queued
signal woke the main thread back, and every system call of either passed the
interpreter's lock to the other and back. Measured on 3,000 shell ``true`` runs, two at
a time: ~400 us of pool-thread CPU a run, against ~190 us for the same supervision on
one thread with nothing else running (issue 14).

Here the runner's thread spawns the command (:meth:`engine.workers.base.Worker.spawn`)
and one ``epoll`` holds every supervised run's descriptors: its output pipe and its
leader's pidfd. One QSocketNotifier on that epoll wakes the loop, one timer covers the
runs' deadlines (a quiet partial line, the grace period, the next look at a group),
and one eventfd carries cancels from any thread. The supervision's logic is the
worker's own (``begin``, ``ready``, ``step``, ``finish``), the same a pool thread runs.

Only deferred work comes here: its slots are bounded by the dispatcher
(engine.deferred), so the loop never starts more commands than there are slots.
Immediate work stays on the pool, which bounds it; so do Python workers, which need a
thread, and every system but Linux (epoll and pidfds are Linux's).
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import sys
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Qt, QTimer

from engine.workers.base import Supervision, WorkResult

#: Whether this system can supervise runs from the event loop (see the module docstring).
AVAILABLE = sys.platform == "linux"


@dataclass(eq=False)
class _Run:
    supervision: Supervision
    token: Any  # the caller's (the runner's job), handed back with the result
    fds: set[int] = field(default_factory=set)  # registered with the epoll for this run
    deadline: float | None = None  # time.monotonic() at which it must step again


class _Registrar:
    """A run's side of the shared epoll: what its supervision registers with.

    It holds its run weakly (the loop holds it until it ends): the supervision keeps its
    registrar, so a strong reference back made every run, with its supervision, job,
    context and their closures (~31 objects), a cycle that only the garbage collector
    could free. Draining 3,000 shell runs, its collections (full ones among them) took
    18-24 us a run; 1-2 us without the cycles (issue 14)."""

    def __init__(self, loop: LoopSupervision, run: _Run) -> None:
        self._loop, self._run = loop, weakref.ref(run)

    def register(self, fd: int, eventmask: int, /) -> None:
        run = self._run()
        if run is None:
            raise RuntimeError("the run has ended: its supervision cannot watch a descriptor")
        self._loop._register(fd, run)

    def unregister(self, fd: int, /) -> None:
        run = self._run()
        if run is None:
            raise RuntimeError("the run has ended: its descriptors are no longer watched")
        self._loop._unregister(fd, run)


class LoopSupervision(QObject):
    """Supervises runs from the event loop of the thread that made it.

    ``ended(token, outcome)`` is called on that thread once per run, with its
    WorkResult, or with the exception its supervision raised (the run's group is
    killed and its descriptors closed first).
    """

    # Declared here for the other platforms' type check: they never make one.
    _ended: Callable[[Any, WorkResult | BaseException], None]
    _batch: Callable[[], AbstractContextManager[None]]
    _runs: list[_Run]
    _owners: dict[int, _Run]
    _epoll: Any  # select.epoll
    _wake_fd: int
    _closed: bool
    _notifier: QSocketNotifier
    _timer: QTimer

    def __init__(self, ended: Callable[[Any, WorkResult | BaseException], None],
                 parent: QObject | None = None,
                 batch: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext) -> None:
        super().__init__(parent)
        if sys.platform != "linux":  # epoll is Linux's: the runner keeps such runs on its pool
            raise NotImplementedError("runs are supervised from the event loop on Linux only")
        self._ended = ended
        #: Around each batch of events the event loop delivers (the runner hands on the
        #: results after it, without another trip through the loop).
        self._batch = batch
        self._runs: list[_Run] = []
        self._owners: dict[int, _Run] = {}  # descriptor -> the run that registered it
        self._epoll = select.epoll()
        self._wake_fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._epoll.register(self._wake_fd, select.EPOLLIN)
        self._closed = False
        self._notifier = QSocketNotifier(self._epoll.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_activated)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        # Deadlines are a grace period's SIGKILL and a group's next look (20 ms apart):
        # a coarse timer's early wake-ups would only cost a second step.
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer)

    @property
    def active(self) -> int:
        """Runs being supervised now."""
        return len(self._runs)

    def add(self, supervision: Supervision, token: Any) -> None:
        """Supervise a run whose command was just spawned, to its end."""
        if self._closed:
            raise RuntimeError("the loop's supervision is closed")
        run = _Run(supervision, token)
        self._runs.append(run)
        try:
            supervision.begin(_Registrar(self, run))
            supervision.ctx.add_cancel_callback(self._wake)  # at once if already cancelled
        except BaseException as exc:  # noqa: BLE001  (a supervision's failure is the run's)
            self._end(run, exc)
            return
        self._step(run)
        self._arm()

    def pump(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` seconds (None: until something happens) for the runs'
        events and deadlines, and act on them: for a caller that blocks the event loop
        (the runner's ``wait_for_done``, at shutdown)."""
        now = time.monotonic()
        wait = timeout
        earliest = self._earliest()
        if earliest is not None:
            until = max(0.0, earliest - now)
            wait = until if wait is None else min(wait, until)
        events = self._epoll.poll(-1 if wait is None else wait)
        self._handle(events)
        self._on_deadline()

    def close(self) -> None:
        """Stop watching (every run has ended: the runner's shutdown waited for them)."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._notifier.setEnabled(False)
        for run in list(self._runs):  # none, after a shutdown that waited; else end them now
            self._end(run, RuntimeError("the loop's supervision closed while the run went on"))
        self._epoll.close()
        os.close(self._wake_fd)

    # -- descriptors ---------------------------------------------------------------

    def _register(self, fd: int, run: _Run) -> None:
        if sys.platform != "linux":  # as __init__: for the other platforms' type check
            raise NotImplementedError("runs are supervised from the event loop on Linux only")
        # Level-triggered: what a step leaves unread (a long output) is reported again.
        self._epoll.register(fd, select.EPOLLIN)
        self._owners[fd] = run
        run.fds.add(fd)

    def _unregister(self, fd: int, run: _Run) -> None:
        self._epoll.unregister(fd)
        del self._owners[fd]
        run.fds.discard(fd)

    def _wake(self) -> None:
        """A cancel, from any thread: every run steps (each looks at its own ctx)."""
        if sys.platform != "linux":  # as __init__
            raise NotImplementedError("runs are supervised from the event loop on Linux only")
        if not self._closed:
            with contextlib.suppress(OSError):  # full (a wake-up is pending anyway) or closed
                os.eventfd_write(self._wake_fd, 1)

    # -- events and deadlines ------------------------------------------------------

    def _on_activated(self) -> None:
        with self._batch():
            self._handle(self._epoll.poll(0))

    def _on_timer(self) -> None:
        with self._batch():
            self._on_deadline()

    def _handle(self, events: list[tuple[int, int]]) -> None:
        if sys.platform != "linux":  # as __init__
            raise NotImplementedError("runs are supervised from the event loop on Linux only")
        touched: dict[int, _Run] = {}
        for fd, _ in events:
            if fd == self._wake_fd:
                with contextlib.suppress(BlockingIOError):
                    os.eventfd_read(self._wake_fd)
                touched.update((id(run), run) for run in self._runs)
                continue
            run = self._owners.get(fd)
            if run is None:  # unregistered by an earlier event of this batch
                continue
            try:
                run.supervision.ready(fd)
            except BaseException as exc:  # noqa: BLE001
                self._end(run, exc)
                touched.pop(id(run), None)
                continue
            touched[id(run)] = run
        for run in touched.values():
            if run in self._runs:
                self._step(run)
        self._arm()

    def _on_deadline(self) -> None:
        now = time.monotonic()
        for run in [r for r in self._runs if r.deadline is not None and r.deadline <= now]:
            self._step(run)
        self._arm()

    def _step(self, run: _Run) -> None:
        try:
            done, timeout = run.supervision.step()
        except BaseException as exc:  # noqa: BLE001
            self._end(run, exc)
            return
        if done:
            self._end(run, None)
        else:
            run.deadline = None if timeout is None else time.monotonic() + timeout

    def _earliest(self) -> float | None:
        deadlines = [run.deadline for run in self._runs if run.deadline is not None]
        return min(deadlines) if deadlines else None

    def _arm(self) -> None:
        earliest = self._earliest()
        if earliest is None:
            self._timer.stop()
            return
        # Rounded up: a step before its deadline would find nothing to do.
        self._timer.start(max(0, math.ceil((earliest - time.monotonic()) * 1000)))

    def _end(self, run: _Run, failure: BaseException | None) -> None:
        self._runs.remove(run)
        for fd in list(run.fds):  # before finish() closes them: the numbers are reused
            self._unregister(fd, run)
        outcome: WorkResult | BaseException
        try:
            outcome = run.supervision.finish()
        except BaseException as exc:  # noqa: BLE001
            outcome = exc
        if failure is not None:
            outcome = failure
        self._ended(run.token, outcome)
