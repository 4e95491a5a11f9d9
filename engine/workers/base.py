"""What a worker is and what it is handed: the seam between the engine and the work.

Workers know nothing of Qt, the store or the clock. A worker's ``run`` is called on a
pool thread (or, for ``on_pool = False`` workers, on the engine's thread, and must
return at once) with a :class:`WorkContext`, and returns a :class:`WorkResult`.
Cancellation is cooperative for Python code and forceful for processes: the context
says when it is requested and calls the worker's ``on_cancel`` callbacks at once.
"""

from __future__ import annotations

import enum
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from engine import process_groups
from engine.model import Constraint, Outcome, StopReason


@dataclass(frozen=True)
class WorkResult:
    outcome: Outcome  # SUCCEEDED, FAILED or CANCELLED; the engine refines CANCELLED by stop reason
    exit_code: int | None = None
    output: dict[str, Any] | None = None  # a python worker's returned data
    error: str | None = None  # one line for the details pane; the traceback goes to the log


ProgressSink = Callable[[float | None, str], None]
TextSink = Callable[[str], None]


def _ignore_progress(fraction: float | None, message: str) -> None:
    pass


def _ignore_text(text: str) -> None:
    pass


class Priority(enum.Enum):
    """The CPU priority a run's processes get; the engine chooses it by the task's kind."""

    IDLE = "idle"  # deferred and keep-running work: only CPU time nothing else wants
    NORMAL = "normal"  # alarms: the engine's own priority, so a busy machine does not delay them


def _ignore_group(pgid: int, leader_start: str | None) -> None:
    pass


GroupSink = Callable[[int, "str | None"], None]


@dataclass
class WorkContext:
    """Everything a running worker may see and do. Thread-safe."""

    task_id: str
    attempt: int
    args: Sequence[str]
    input: dict[str, Any] = field(default_factory=dict)
    on_progress: ProgressSink = _ignore_progress
    on_log: TextSink = _ignore_text  # output text, in arrival order, newlines included
    on_notify: TextSink = _ignore_text  # a reminder message for the engine's reminder signal
    #: (pgid, leader start): the run's process group began (engine.process_groups); it
    #: ends before the worker returns. Called on the worker's thread right after the
    #: spawn, so it must be quick and thread-safe.
    on_group: GroupSink = _ignore_group
    # The Event is made on the first wait_cancelled: most runs never wait, and making one
    # was a third of the runner's per-job cost (tests/bench/bench_dispatch.py).
    _cancel_event: threading.Event | None = field(default=None, repr=False)
    _cancel_requested: bool = field(default=False, repr=False)
    _cancel_callbacks: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    stop_reason: StopReason | None = None
    priority: Priority = Priority.IDLE
    #: The engine's clock (``Clock.now``), for :meth:`mark_spawned`; None: nothing is recorded.
    now: Callable[[], datetime] | None = field(default=None, repr=False)
    #: When the work's process started (set by :meth:`mark_spawned`), recorded with the run.
    spawned_at: datetime | None = None

    def mark_spawned(self) -> None:
        """The work's process has started: stamp it on the engine's clock (any thread)."""
        if self.now is not None:
            self.spawned_at = self.now()

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Report progress: ``fraction`` in 0..1, or None when unknown."""
        if fraction is not None:
            fraction = min(1.0, max(0.0, float(fraction)))
        self.on_progress(fraction, message)

    def log(self, text: str) -> None:
        self.on_log(text)

    def notify(self, message: str) -> None:
        self.on_notify(message)

    @property
    def marker(self) -> str:
        """This run's mark in its processes' environment (engine.process_groups.MARKER)."""
        return process_groups.marker(self.task_id, self.attempt)

    @property
    def cancelled(self) -> bool:
        return self._cancel_requested

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds; True if cancellation was requested."""
        with self._lock:
            if self._cancel_requested:
                return True
            if self._cancel_event is None:
                self._cancel_event = threading.Event()
            event = self._cancel_event
        return event.wait(timeout)

    def add_cancel_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when cancellation is requested (at once if it already was)."""
        with self._lock:
            if not self._cancel_requested:
                self._cancel_callbacks.append(callback)
                return
        callback()

    def remove_cancel_callback(self, callback: Callable[[], None]) -> None:
        """Forget ``callback`` (added by :meth:`add_cancel_callback`): its work is over.

        A callback usually belongs to what holds this context (a supervisor's bound
        method), so the two keep each other alive: left here, every run waited for the
        garbage collector (issue 14). A cancel already under way on another thread may
        still call it once: it must do nothing then."""
        with self._lock:
            try:
                self._cancel_callbacks.remove(callback)  # ==: each self._wake is a new bound method
            except ValueError:  # called already (cancelled), or never added
                pass

    def cancel(self, reason: StopReason) -> None:
        """Request cancellation (the engine's side). Idempotent; the first reason wins."""
        with self._lock:
            if self._cancel_requested:
                return
            self.stop_reason = reason
            self._cancel_requested = True
            if self._cancel_event is not None:
                self._cancel_event.set()
            callbacks, self._cancel_callbacks = self._cancel_callbacks, []
        for callback in callbacks:
            callback()


class Poller(Protocol):
    """What a supervision registers its descriptors with (``select.poll``'s two calls)."""

    def register(self, fd: int, eventmask: int, /) -> None: ...

    def unregister(self, fd: int, /) -> None: ...


class Supervision(Protocol):
    """A spawned run's supervision, driven from outside by an event loop
    (:meth:`Worker.spawn`, engine.shell_loop): ``begin`` registers its descriptors,
    ``ready`` takes what one of them says, ``step`` acts on the time and says whether
    the run is over or when to step again, ``finish`` closes and gives the result."""

    ctx: WorkContext

    def begin(self, poller: Poller) -> None: ...

    def ready(self, fd: int) -> None: ...

    def step(self) -> tuple[bool, float | None]: ...

    def finish(self) -> WorkResult: ...


class Worker(ABC):
    """A kind of work. Subclasses register themselves with :func:`engine.workers.register`."""

    name: ClassVar[str]
    on_pool: ClassVar[bool] = True
    #: What deferred work of this kind always waits for (download: the network).
    implied_constraints: ClassVar[tuple[Constraint, ...]] = ()

    def validate(self, args: Sequence[str]) -> None:
        """Raise :class:`engine.errors.BadSpecError` if ``args`` cannot be run."""

    @abstractmethod
    def run(self, ctx: WorkContext) -> WorkResult: ...

    def spawn(self, ctx: WorkContext) -> Supervision | WorkResult | None:
        """Start the work's process now, on the calling thread, and return what supervises
        it from that thread's event loop (engine.shell_loop), or its result if it could
        not start; None (the default): the work needs a thread of its own."""
        return None

    def start(self, ctx: WorkContext) -> Callable[[], WorkResult] | None:
        """Start the work's process now, on the calling thread (the engine's, for an
        alarm), and return the rest of :meth:`run` for a pool thread; None (the default):
        nothing to start early, :meth:`run` does it all on the pool thread."""
        return None
