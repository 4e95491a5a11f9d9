"""The shell worker's supervisor without ``select``: Windows' (and any platform's).

:class:`engine.workers.shell._Supervisor` waits on the output pipe, its thread's
wake-up descriptor and a pidfd with ``poll``. Windows' ``select`` takes sockets only, so there a run could
not even start waiting. This supervisor waits on one queue instead, fed by

- one reader thread on the output pipe: a blocking ``os.read`` of up to 64 KiB, each
  chunk put on the queue as it arrives, then the end of the pipe. stderr is that same
  pipe (``stderr=STDOUT``, a real ``2>&1``, for both supervisors): with two pipes, two
  reader threads would race for the interpreter lock once both are woken, so a stderr
  line written before a stdout one could be passed on after it (it was, in the tests);
- one waiter thread: ``Popen.wait()`` (``WaitForSingleObject`` on Windows, ``waitpid``
  on POSIX), which reaps the leader and puts its exit status on the queue;
- the cancel callback, which puts a wake-up on the queue (any thread may cancel).

Everything else is the selector supervisor's own code, inherited unchanged: the
partial-line delay, the looks at the unit after the leader exits, the polite stop,
the grace period and the kill of the whole unit through
:mod:`engine.platforms.processes`, the drain timeout and the :class:`WorkResult`.
The tests run both supervisors on real processes (tests/engine/test_shell_worker.py),
so the one Windows uses is proven here too.

Where it differs, and why:

- The threads own their pipes and close them at the pipe's end. A reader blocked in
  ``read`` cannot be woken portably, and closing its file descriptor under it would
  free the number for reuse while the read still holds it. So when the run stops
  reading output held open by a process outside the task (the drain timeout), that
  reader keeps reading and drops what it reads until the pipe ends, where the
  selector supervisor closes the pipe (the writer then gets EPIPE). On Windows a
  command cannot leave its job, so only a process started with breakaway rights
  could hold a pipe that long.
- Two threads a run, each parked in a kernel wait; the selector supervisor uses the
  worker's own thread only. POSIX keeps ``poll`` (measured in tests/bench/bench_shell.py).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import IO

from engine.platforms import processes as platform_processes
from engine.platforms.spawn import Child
from engine.workers import shell
from engine.workers.base import WorkContext, WorkResult

#: An event on the queue: (stream index, a chunk; b"" at the pipe's end),
#: (_EXIT, exit status) or (_WAKE, None).
_Event = tuple[int, "bytes | int | None"]
_EXIT = -1
_WAKE = -2


class ThreadSupervisor(shell._Supervisor):
    """Runs one process to its end with threads and a queue (see the module docstring)."""

    def __init__(self, proc: Child, ctx: WorkContext, grace: float,
                 processes: platform_processes.Processes, unit: platform_processes.Unit) -> None:
        # Not super().__init__(): that makes the poll object and takes the pidfd this class
        # replaces. The state below is what the inherited methods read and write.
        self.proc, self.ctx, self.grace = proc, ctx, grace
        self.processes, self.unit = processes, unit
        self.leader_fd: int | None = None  # no pidfd: a waiter thread reaps the leader
        self.streams: dict[int, shell._Stream] = {}
        self.returncode: int | None = None
        self.group_empty = False
        self.next_look: float | None = None
        self.kill_deadline: float | None = None
        self.killed_at: float | None = None
        self.events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self._readers: dict[int, threading.Thread] = {}
        self._waiter: threading.Thread | None = None
        self._stopped_reading = threading.Event()  # readers drop what they read from now on

    # -- the cancel callback: any thread ------------------------------------------

    def _wake(self) -> None:
        self.events.put((_WAKE, None))

    # -- the threads ---------------------------------------------------------------

    def _read(self, index: int, pipe: IO[bytes]) -> None:
        fd = pipe.fileno()
        try:
            while True:
                try:
                    data = os.read(fd, shell._READ_SIZE)
                except OSError:  # a broken pipe (Windows reports the writer's end so): the end
                    data = b""
                if not self._stopped_reading.is_set():
                    self.events.put((index, data))
                if not data:
                    return
        finally:
            pipe.close()

    def _wait_for_leader(self) -> None:
        self.events.put((_EXIT, self.proc.wait()))

    def _start(self, target: Callable[..., None], *args: object) -> threading.Thread:
        # Daemon threads: a reader left on a pipe held by a process outside the task
        # must not keep the engine from exiting.
        thread = threading.Thread(target=target, args=args, name=f"workdeck-run-{self.proc.pid}", daemon=True)
        thread.start()
        return thread

    # -- the loop ------------------------------------------------------------------

    def run(self) -> WorkResult:
        assert self.proc.stdout is not None
        try:
            for index, pipe in enumerate(p for p in (self.proc.stdout, self.proc.stderr) if p is not None):
                self.streams[index] = shell._Stream(pipe.fileno())
                self._readers[index] = self._start(self._read, index, pipe)
            self._waiter = self._start(self._wait_for_leader)
            self.ctx.add_cancel_callback(self._wake)
            self._loop()
        finally:
            self._close()
        assert self.returncode is not None
        return self._result(self.returncode)

    def _wait(self, timeout: float | None) -> None:
        # The selector supervisor's loop runs unchanged; only this step differs.
        try:
            event = self.events.get(timeout=timeout)
        except queue.Empty:
            return
        self._on_event(*event)

    def _on_event(self, what: int, value: bytes | int | None) -> None:
        if what == _EXIT:
            assert isinstance(value, int)
            self._on_leader_exit()  # its proc.wait() returns the status at once: reaped
        elif what == _WAKE:
            pass  # the loop looks at ctx.cancelled
        elif isinstance(value, bytes):
            self._log(self.streams[what].feed(value, time.monotonic()))
            if not value:
                del self.streams[what]

    def _close(self) -> None:
        self.ctx.remove_cancel_callback(self._wake)  # it holds self, which holds ctx: a cycle only gc frees
        self._stopped_reading.set()
        for stream in list(self.streams.values()):
            self._log(stream.take_pending())
        if self.returncode is None:  # an exception got us here: leave no process behind
            self._kill_group()
            self.returncode = self.proc.wait()
        # Threads whose work is over end now (a run leaves none behind); a reader whose
        # pipe is held by a process outside the task ends when that process lets go.
        for index, reader in self._readers.items():
            if index not in self.streams:
                reader.join()
        if self._waiter is not None:
            self._waiter.join()
        self.processes.release(self.unit)
