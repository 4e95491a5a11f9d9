"""The ``shell`` worker: run an argv (no shell) and capture its output live.

What a run guarantees:

- The command runs in its own process group, with stdin from /dev/null, so it can
  never read the engine's stdin. When the engine has a controlling terminal (started
  from a shell) the command also gets its own session, so it can never read that
  terminal either (see :func:`_has_terminal`).
- stdout and stderr are one pipe, as with ``2>&1``, so their lines come in the order
  the command wrote them; they are passed to
  ``ctx.log`` as whole lines as they arrive (a partial line is passed on after
  :data:`PARTIAL_LINE_DELAY` seconds of quiet, so a ``\\r`` progress bar still shows).
  stderr lines carry no marker: ``workdeck log`` shows exactly what a terminal would.
- Nothing of the run outlives it (systemd's ``KillMode=control-group``): when the main
  process exits, whatever is left in its process group gets SIGTERM (and SIGCONT, so a
  stopped process can act on it), then SIGKILL after the grace period. A process that
  left the group on purpose (``setsid``, a daemon) is not ours to kill; if it still
  holds the output pipes we stop reading them after :data:`DRAIN_TIMEOUT` seconds.
- The command runs at the lowest CPU priority there is, ``SCHED_IDLE`` on Linux
  (systemd's ``CPUSchedulingPolicy=idle``), nice +:data:`NICENESS` elsewhere: work in
  the background must not starve the window that shows it
  (:meth:`engine.platforms.processes.PosixProcesses.lower_priority`).
  Unless the run asks for ``Priority.NORMAL`` (alarms: the engine's own priority, so a
  busy machine does not start an alarm's command seconds late).
- Cancellation (``ctx.cancel`` from any thread) stops the whole group the same way,
  at once, and the run ends CANCELLED.
- Leftover members are found without looking at other processes: when the main process
  (the group's leader) exits it is reaped at once and ``killpg(pgid, 0)`` tells whether
  anyone is left in its group (a zombie leader would answer for itself). A group id
  stays taken while any member lives, so the id cannot name another group while that
  answers yes. Only if every member exits and the kernel hands the same number to a new
  process that makes itself a group leader, between two of our looks (the pid counter
  must wrap around for that), could a signal reach the wrong group. Looking was a scan
  of every process on the machine, 2-10 ms a command (issue 14); this is one syscall.
- Every process of the run carries ``WORKDECK_RUN=<task id>.<attempt>`` in its
  environment, and the group id and the leader's start are handed to ``ctx.on_group``
  right after the spawn: whoever outlives a dead owner can be found and ended
  (engine.process_groups, engine.reaper, engine.recovery).

Starting the group, signalling it, asking whether it is empty and lowering its priority
go through :mod:`engine.platforms.processes` (a Job Object on Windows). The loop below
is POSIX's: it waits on the pipe with ``poll``, which Windows offers for sockets only;
Windows runs :class:`engine.workers.shell_threads.ThreadSupervisor` (reader threads and
a queue, the same loop otherwise).

Waiting is done with ``poll`` on the output pipe, the thread's wake-up descriptor
written by the cancel callback, and a pidfd (Linux) that becomes readable when the
leader exits (:mod:`engine.workers.shell_events`): nothing is looked at on a timer,
except while a command's leftovers are being stopped (no event says a group is empty,
so we look every :data:`GROUP_POLL` seconds then).
``select.poll`` rather than a ``selectors`` selector: for three descriptors it needs no
kernel object of its own (an epoll selector costs a descriptor and a system call per
register, unregister and close), and its calls are C, not Python layers on the worker's
thread, where every microsecond is one the engine's main thread may wait for the
interpreter lock (issue 14).
Deadlines use ``time.monotonic`` directly: they bound real kernel waits, which a fake
clock could not drive (workers know nothing of :mod:`engine.clock`).
"""

from __future__ import annotations

import codecs
import os
import select
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from engine import process_groups
from engine.errors import BadSpecError
from engine.model import Outcome
from engine.platforms import exit_status
from engine.platforms import processes as platform_processes
from engine.platforms.processes import NICENESS as NICENESS
from engine.platforms.shell_line import popen_args
from engine.platforms.spawn import Child
from engine.workers.base import Poller, Priority, Worker, WorkContext, WorkResult
from engine.workers.shell_events import ExitWatcher, WakeUp, open_pidfd, thread_wake_up

#: Seconds between SIGTERM and SIGKILL when a run is stopped or leaves processes behind.
GRACE_PERIOD = 2.0
#: Seconds a partial line (no newline yet) waits before it is passed on.
PARTIAL_LINE_DELAY = 0.2
#: Seconds we keep reading pipes held open by a process that escaped the group.
DRAIN_TIMEOUT = 1.0
#: Seconds we wait for SIGKILLed processes to be gone (only a hung kernel call delays it).
KILL_WAIT = 1.0
#: Seconds between looks at a group whose leader exited while members are being stopped.
GROUP_POLL = 0.02
_READ_SIZE = 65536
_MAX_PENDING = 65536  # a "line" longer than this is passed on in pieces


class ShellWorker(Worker):
    name = "shell"

    def __init__(self, grace_period: float = GRACE_PERIOD,
                 processes: platform_processes.Processes | None = None,
                 supervisor: type[_Supervisor] | None = None) -> None:
        self.grace_period = grace_period
        self.processes = processes or platform_processes.current()
        self.supervisor = supervisor or _supervisor_for(sys.platform)

    def validate(self, args: Sequence[str]) -> None:
        if not args:
            raise BadSpecError("a shell task needs a command: give it after --, e.g. workdeck add -- echo hi")
        if not all(isinstance(a, str) for a in args):
            raise BadSpecError("a shell task's command and arguments must be strings")
        if not args[0]:
            raise BadSpecError("a shell task's command must not be empty")

    def run(self, ctx: WorkContext) -> WorkResult:
        return self.start(ctx)()

    def start(self, ctx: WorkContext) -> Callable[[], WorkResult]:
        """The spawn, at once; the supervision (output, exit, group cleanup) is returned."""
        started = self._spawn(ctx)
        if isinstance(started, WorkResult):
            return lambda: started
        return started.run

    def spawn(self, ctx: WorkContext) -> _Supervisor | WorkResult | None:
        """Start the command now and return its supervisor, for the caller's event loop to
        drive (engine.shell_loop); the result at once if it could not start. None where
        runs need a thread of their own (the thread supervisor: Windows, or a test's)."""
        if self.supervisor is not _Supervisor:
            return None
        return self._spawn(ctx)

    def _spawn(self, ctx: WorkContext) -> _Supervisor | WorkResult:
        """Start the command now; its supervisor (to run on a thread or drive from an
        event loop), or the result at once if it could not start."""
        argv = list(ctx.args)
        own_session = _has_terminal()  # see _has_terminal: the scheduling cost of a session
        try:
            # posix_spawn on Linux, Popen elsewhere (engine.platforms.spawn)
            proc = self.processes.start(popen_args(argv), process_groups.marked_environment(ctx.marker),
                                        own_session=own_session)
        except FileNotFoundError:
            return _refused(ctx, f"command not found: {argv[0]}", 127)
        except PermissionError:
            return _refused(ctx, f"permission denied: {argv[0]}", 126)
        except OSError as exc:
            return _refused(ctx, f"cannot run {argv[0]}: {exc.strerror or exc}", 126)
        unit = self.processes.adopt(proc)
        ctx.mark_spawned()  # the spawn returns once the command is exec'd (Windows: adopt resumes it)
        if ctx.priority is Priority.IDLE:  # first: until then it competes with the engine's thread
            self.processes.lower_priority(unit, own_session=own_session)
        try:
            supervisor = self.supervisor(proc, ctx, self.grace_period, self.processes, unit)  # takes a pidfd
        except BaseException:  # no descriptor left for its pidfd, say: nothing may run unwatched
            self.processes.kill(unit)
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            raise
        # Named before anything else can happen to it: its leader is a zombie at worst.
        ctx.on_group(unit.id, self.processes.identity(proc.pid, supervisor.leader_fd))
        return supervisor


def _supervisor_for(platform: str) -> type[_Supervisor]:
    """``poll`` on POSIX; threads and a queue where ``select`` takes sockets only."""
    if platform == "win32":
        from engine.workers.shell_threads import ThreadSupervisor

        return ThreadSupervisor
    return _Supervisor


def _has_terminal() -> bool:
    """Whether this process has a controlling terminal a command could open.

    Only then does a command get a session of its own (which keeps it away from the
    terminal); otherwise it gets just a process group (enough for ``killpg``) in the
    engine's session. That matters on Linux with sched_autogroup (the default where
    processes live in the root cgroup): every session is a scheduling group of its own,
    weighed against the engine's as an equal, so a command's priority inside its own
    session means nothing to the engine. Measured with 8 CPU-bound commands and 200
    tasks a second finishing, window shown: in their own sessions (autogroup nice 10)
    the window's main thread waited 5-16 ms (p90-p99) on the run queue per 10 enqueues
    and its event-loop lag p99 was 11-30 ms; in the engine's session at SCHED_IDLE it
    waited 0.5-4.7 ms and the p99 was 9.9-10.3 ms.

    Windows has no controlling terminal (nor ``O_NOCTTY``): a command started without a
    console window in a console process group of its own never reads the engine's console.

    Asked once per process: opening /dev/tty (and the OSError when there is none) cost
    5-10 us of the worker thread's CPU a run (issue 14). The engine opens no terminal,
    so it never gains one later; should it lose its own (a hang-up), its commands keep
    a session of their own, still away from any terminal.
    """
    global _TERMINAL
    if sys.platform == "win32":
        return False
    if _TERMINAL is None:
        try:
            fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
        except OSError:
            _TERMINAL = False
        else:
            os.close(fd)
            _TERMINAL = True
    return _TERMINAL


#: Whether this process has a controlling terminal, once :func:`_has_terminal` asked.
_TERMINAL: bool | None = None


def _refused(ctx: WorkContext, message: str, exit_code: int | None) -> WorkResult:
    ctx.log(message + "\n")
    return WorkResult(Outcome.FAILED, exit_code=exit_code, error=message)


_new_decoder = codecs.getincrementaldecoder("utf-8")


class _Stream:
    """One output pipe: incremental UTF-8 decoding and line assembly."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        # Made at the first output: many commands write nothing (a lookup and an object
        # fewer a run on the worker's thread, issue 14).
        self.decoder: codecs.IncrementalDecoder | None = None
        self.pending = ""
        self.pending_since: float | None = None

    def feed(self, data: bytes, now: float) -> str:
        """Decode ``data``; return the complete lines it finishes (possibly "")."""
        decoder = self.decoder
        if decoder is None:
            if not data:
                return self.take_pending()  # nothing was ever written
            decoder = self.decoder = _new_decoder(errors="replace")
        text = self.pending + decoder.decode(data, final=not data)
        if not data:  # EOF: pass on everything
            self.pending, self.pending_since = "", None
            return text
        cut = text.rfind("\n") + 1
        if len(text) - cut > _MAX_PENDING:
            cut = len(text)
        ready, self.pending = text[:cut], text[cut:]
        if not self.pending:
            self.pending_since = None
        elif ready or self.pending_since is None:
            self.pending_since = now
        return ready

    def take_pending(self) -> str:
        text, self.pending, self.pending_since = self.pending, "", None
        return text


class _Supervisor:
    """Runs one process to its end: output, cancellation, group cleanup."""

    #: When we stop reading pipes that a process outside the task holds open (set once
    #: the leader is reaped and its group is empty, while output still comes).
    drain_deadline: float | None = None

    def __init__(self, proc: Child, ctx: WorkContext, grace: float,
                 processes: platform_processes.Processes, unit: platform_processes.Unit) -> None:
        self.proc, self.ctx, self.grace = proc, ctx, grace
        self.processes, self.unit = processes, unit  # the run's process group (engine.platforms.processes)
        self.watched: dict[int, object] = {}  # what each polled fd is: "pipe", "wake" or the leader
        self.streams: dict[int, _Stream] = {}
        self.leader: ExitWatcher | None = None
        self.wake_up: WakeUp | None = None  # the supervising thread's, while the loop runs
        self.returncode: int | None = None  # set when the leader is reaped
        self.group_empty = False  # nobody is left in the group (looked after the leader was reaped)
        self.next_look: float | None = None  # when to look at the group again
        self.kill_deadline: float | None = None  # SIGKILL the group at this instant
        self.killed_at: float | None = None  # when the group got SIGKILL
        #: A pidfd for the leader (Linux), taken at once: it names the leader's identity
        #: too (ShellWorker.start) and becomes the exit watcher's descriptor; None elsewhere.
        self.leader_fd: int | None = None
        if sys.platform == "win32":  # select takes sockets only there: ThreadSupervisor runs instead
            raise NotImplementedError("the selector supervisor is POSIX only")
        self.leader_fd = open_pidfd(proc.pid)
        self.poller: Poller | None = None  # set by begin
        self._poll: Any = None  # the thread's select.poll, while run() supervises

    # -- the cancel callback: any thread ------------------------------------------

    def _wake(self) -> None:
        wake_up = self.wake_up
        if wake_up is not None:  # None: the loop has not started or is over (it looks at ctx.cancelled)
            wake_up.wake(self)

    # -- the loop ------------------------------------------------------------------

    def begin(self, poller: Poller) -> None:
        """Watch the output pipe and the leader's exit through ``poller``: this thread's
        ``select.poll`` (:meth:`run`), or the engine loop's shared epoll (engine.shell_loop)."""
        if sys.platform == "win32":  # as in __init__: ThreadSupervisor replaces this there
            raise NotImplementedError("the selector supervisor is POSIX only")
        assert self.proc.stdout is not None
        self.poller = poller
        # The pipe stays blocking: it is read only when poll says it is readable, and
        # nobody else reads it, so a read never waits (an ioctl fewer a run).
        fd = self.proc.stdout.fileno()
        self.streams[fd] = _Stream(fd)
        self._watch(fd, "pipe")
        self.leader = ExitWatcher.leader(self.proc, self.leader_fd)
        self.leader_fd = None  # the watcher closes it
        self._watch(self.leader.fd, self.leader)

    def run(self) -> WorkResult:
        """Supervise the run on this thread to its end."""
        if sys.platform == "win32":  # as in __init__: ThreadSupervisor replaces this loop there
            raise NotImplementedError("the selector supervisor is POSIX only")
        try:
            self._poll = select.poll()
            self.begin(self._poll)
            wake_up = thread_wake_up()
            if not wake_up.arm(self):  # another run's loop on this thread (nested): one of its own
                wake_up = WakeUp()
                wake_up.arm(self)
            self.wake_up = wake_up
            self._watch(wake_up.fd, "wake")
            self.ctx.add_cancel_callback(self._wake)
            self._loop()
        except BaseException:
            self._close()
            raise
        return self.finish()

    def finish(self) -> WorkResult:
        """Close what the run holds and give its result: after :meth:`step` said the run
        is over, or at once (a failure of the supervision: the group is killed first)."""
        self._close()
        assert self.returncode is not None
        return self._result(self.returncode)

    def _loop(self) -> None:
        while True:
            done, timeout = self.step()
            if done:
                return
            self._wait(timeout)

    def step(self) -> tuple[bool, float | None]:
        """Do what the time and the run's state call for (pass on a quiet partial line,
        stop or kill the group, look at it again): (True, None) once the run is over,
        else (False, seconds until the next deadline, or None if only an event can
        change anything). The thread's loop calls it between waits; the engine's event
        loop calls it after the events of a run it supervises (engine.shell_loop)."""
        now = time.monotonic()
        self._flush_quiet_partials(now)
        if self.ctx.cancelled and self.kill_deadline is None:
            self._terminate_group(now)
        if self.returncode is not None and not self.group_empty and self.next_look is not None \
                and now >= self.next_look:
            self._look_at_group(now)
        if self.kill_deadline is not None and now >= self.kill_deadline and self.killed_at is None \
                and not self.group_empty:
            self._kill_group()
        if self.returncode is not None and self._group_done(now):
            if not self.streams:
                return True, None
            if self.drain_deadline is None:
                self.drain_deadline = now + DRAIN_TIMEOUT
            elif now >= self.drain_deadline:
                self._log("workdeck: stopped reading output held open by a process outside the task\n")
                return True, None
        return False, self._timeout(now, self.drain_deadline)

    def _wait(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` for output, the leader's exit or a cancel, and take
        what came (the one step the thread supervisor does its own way)."""
        if sys.platform == "win32":  # as in __init__: ThreadSupervisor replaces this step there
            raise NotImplementedError("the selector supervisor is POSIX only")
        # poll's timeout is in milliseconds, rounded up: a wait never ends early.
        for fd, _ in self._poll.poll(None if timeout is None else timeout * 1000):
            self.ready(fd)

    def ready(self, fd: int) -> None:
        """Watched descriptor ``fd`` is readable (or hung up): take what came."""
        what = self.watched.get(fd)
        if what is not None:  # None: unwatched by an earlier event of this round
            self._on_ready(what, fd)

    def _watch(self, fd: int, what: object) -> None:
        if sys.platform == "win32":  # as in __init__
            raise NotImplementedError("the selector supervisor is POSIX only")
        assert self.poller is not None
        self.poller.register(fd, select.POLLIN)  # end of file and hang-up are reported too
        self.watched[fd] = what

    def _unwatch(self, fd: int) -> None:
        if sys.platform == "win32":  # as in __init__
            raise NotImplementedError("the selector supervisor is POSIX only")
        assert self.poller is not None
        self.poller.unregister(fd)
        del self.watched[fd]

    def _timeout(self, now: float, drain_deadline: float | None) -> float | None:
        deadlines = [s.pending_since + PARTIAL_LINE_DELAY for s in self.streams.values() if s.pending_since]
        if self.kill_deadline is not None and self.killed_at is None and not self.group_empty:
            deadlines.append(self.kill_deadline)
        if self.next_look is not None and not self.group_empty:
            deadlines.append(self.next_look)
        if drain_deadline is not None:
            deadlines.append(drain_deadline)
        return max(0.0, min(deadlines) - now) if deadlines else None

    def _on_ready(self, what: object, fd: int) -> None:
        if what == "pipe":
            stream = self.streams[fd]
            try:
                data = os.read(fd, _READ_SIZE)
            except BlockingIOError:
                return
            self._log(stream.feed(data, time.monotonic()))
            if not data:
                self._unwatch(fd)
                del self.streams[fd]
        elif what == "wake":
            assert self.wake_up is not None
            self.wake_up.take()
        elif isinstance(what, ExitWatcher):
            self._unwatch(fd)
            what.exited = True
            self._on_leader_exit()

    def _on_leader_exit(self) -> None:
        # Reap it now (it has exited: no wait), then ask the kernel whether its group
        # still has members: see the module docstring.
        self.returncode = self.proc.wait()
        now = time.monotonic()
        self._look_at_group(now)
        if self.group_empty or self.kill_deadline is not None:
            return  # done, or already stopping the group (cancelled)
        # Say so: a user whose background helper vanished should learn why.
        self._log("workdeck: the command left processes running; stopping them\n")
        self._terminate_group(now)

    def _look_at_group(self, now: float) -> None:
        self.group_empty = not self.processes.alive(self.unit)
        self.next_look = None if self.group_empty else now + GROUP_POLL

    def _group_done(self, now: float) -> bool:
        """True when the leader is reaped and nobody is left in its group.

        Ended means gone, not just signalled: a run that returns has released whatever
        its processes held (files, ports). Only a process stuck in the kernel (D state)
        outlives SIGKILL; we give up on those after KILL_WAIT.
        """
        if self.group_empty:
            return True
        return self.killed_at is not None and now >= self.killed_at + KILL_WAIT

    # -- signals -------------------------------------------------------------------

    def _terminate_group(self, now: float) -> None:
        self.kill_deadline = now + self.grace
        self._signal_group(self.processes.stop)  # SIGTERM and SIGCONT

    def _kill_group(self) -> None:
        self._signal_group(self.processes.kill)  # SIGKILL
        self.killed_at = time.monotonic()

    def _signal_group(self, send: Callable[[platform_processes.Unit], bool]) -> None:
        if self.group_empty:
            return  # its id is free: it may name someone else's group one day
        if not send(self.unit):  # nobody was there
            self.group_empty = self.returncode is not None

    # -- output and result ---------------------------------------------------------

    def _log(self, text: str) -> None:
        if text:
            self.ctx.log(text)

    def _flush_quiet_partials(self, now: float) -> None:
        for stream in self.streams.values():
            if stream.pending_since is not None and now - stream.pending_since >= PARTIAL_LINE_DELAY:
                self._log(stream.take_pending())

    def _result(self, returncode: int) -> WorkResult:
        if self.ctx.cancelled:
            return WorkResult(Outcome.CANCELLED, exit_code=returncode)
        if returncode == 0:
            return WorkResult(Outcome.SUCCEEDED, exit_code=0)
        # A signal's name on POSIX, an NTSTATUS code's words on Windows (engine.platforms.exit_status).
        return WorkResult(Outcome.FAILED, exit_code=returncode, error=exit_status.describe(returncode, sys.platform))

    def _close(self) -> None:
        wake_up, self.wake_up = self.wake_up, None  # a late cancel callback wakes nothing now
        if wake_up is not None:  # supervised on this thread (run): the cancel callback is ours
            self.ctx.remove_cancel_callback(self._wake)  # it holds self, which holds ctx: a cycle only gc frees
            wake_up.disarm()
            if wake_up is not thread_wake_up():  # a nested run's own
                wake_up.close()
        for stream in list(self.streams.values()):
            self._log(stream.take_pending())
        if self.leader is not None:
            self.leader.close()
        elif self.leader_fd is not None:  # the loop never began
            os.close(self.leader_fd)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        if self.returncode is None:  # an exception got us here: leave no process behind
            self._kill_group()
            self.returncode = self.proc.wait()
        self.processes.release(self.unit)
