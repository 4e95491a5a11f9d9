"""A command's processes: starting it in a cleanup unit of its own, ending everything it
started, and the CPU priority it runs at. One interface (:class:`Processes`), one
implementation per platform, chosen from ``sys.platform`` by :func:`current`.

- **POSIX** (Linux, macOS, the BSDs; :class:`PosixProcesses`): the unit is a process
  group whose id is its leader's pid; ``killpg`` reaches every member. The group
  logic itself lives where it always did (:mod:`engine.process_groups`: leader-start
  identity, ending a dead owner's groups; :mod:`engine.reaper`: a small process that
  ends the groups when the owner dies). Priority: ``SCHED_IDLE`` plus nice +
  :data:`NICENESS` on Linux (and the autogroup's nice for a command with a session of
  its own), nice + :data:`NICENESS` on the whole group elsewhere (macOS).
- **Windows** (:mod:`engine.platforms.processes_windows`): the unit is a Job Object
  with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``, the command started suspended in a new
  process group and resumed once it is in the job, so nothing it starts escapes.
  A polite stop is CTRL_BREAK to that process group, the hard one
  ``TerminateJobObject``. The owner holds the only handle to each job: however it
  dies, Windows closes the handle and kills the job -- what the reaper does on
  POSIX. Priority: the job's priority class (``IDLE_PRIORITY_CLASS``), which every
  process in the job gets, children included.

What a unit's priority is comes from the run (:class:`engine.workers.base.Priority`,
chosen by the engine per kind): deferred and keep-running work ``IDLE``, alarms
``NORMAL`` (the engine's own priority everywhere: the call is then not made at all).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine import process_groups
from engine.platforms import spawn
from engine.platforms.spawn import Child
from engine.process_groups import Environment, Group

#: How much nicer than the engine a command runs (0 to 19) where SCHED_IDLE is not available.
NICENESS = 10


@dataclass
class Unit:
    """Everything one command started, as long as the run lasts.

    ``id`` names the unit in the run's record and to the owner's watcher (the process
    group id on POSIX; the leader's pid on Windows, where a job has no number);
    ``pid`` is the leader's; ``handle`` the Job Object's handle (Windows), else None.
    """

    id: int
    pid: int
    handle: int | None = None


class Processes(ABC):
    """Start, watch, stop and kill a command's whole tree; end what a dead owner left."""

    #: How a dead owner's runs end: "reaper" (a watching process, engine.reaper) or
    #: "kill-on-close" (the kernel ends a job when its last handle closes).
    owner_death: str

    @abstractmethod
    def spawn_options(self, *, own_session: bool) -> dict[str, Any]:
        """Keyword arguments for ``subprocess.Popen`` that start the command in a unit of
        its own (``own_session``: away from the engine's controlling terminal too)."""

    def start(self, argv: str | list[str], env: Environment, *, own_session: bool) -> Child:
        """Start ``argv`` in a unit of its own (:meth:`spawn_options`), with ``env``, stdin
        /dev/null and stdout and stderr one pipe; :meth:`adopt` it next."""
        return spawn.popen_start(argv, env, self.spawn_options(own_session=own_session))

    @abstractmethod
    def adopt(self, proc: Child) -> Unit:
        """The unit of a command just started with :meth:`spawn_options`; the command
        runs once this returns."""

    @abstractmethod
    def identity(self, pid: int, pidfd: int | None = None) -> str | None:
        """Process ``pid``'s identity: a string no other process with that pid shares (a
        recycled pid never matches); None if it is gone. ``pidfd``: one for ``pid`` the
        caller holds (Linux), which saves opening another."""

    @abstractmethod
    def lower_priority(self, unit: Unit, *, own_session: bool) -> None:
        """Run the unit, and whatever it starts later, at the lowest CPU priority there
        is. Best effort: a unit already gone or a refusal leaves it at normal priority."""

    @abstractmethod
    def alive(self, unit: Unit) -> bool:
        """Whether any process of the unit is left (an unreaped leader counts on POSIX)."""

    @abstractmethod
    def stop(self, unit: Unit) -> bool:
        """Ask every process of the unit to stop (SIGTERM; CTRL_BREAK on Windows).
        False if nobody was there to ask."""

    @abstractmethod
    def kill(self, unit: Unit) -> bool:
        """End every process of the unit now. False if nobody was there."""

    def release(self, unit: Unit) -> None:
        """The run is over: free what names the unit (the job handle on Windows, which
        also ends any process still in it). Nothing to free on POSIX."""

    @abstractmethod
    def end_left_over(self, groups: Iterable[Group], grace: float = process_groups.GRACE_PERIOD) -> list[Group]:
        """End what runs a dead owner left still run, after checking each is ours (its
        leader's identity, else its marker); returns the groups that were ended."""

    @abstractmethod
    def find_marked(self, markers: Iterable[str]) -> dict[str, set[int]]:
        """Units (by id) holding a process marked with one of ``markers``
        (engine.process_groups.MARKER): for runs whose unit was never recorded."""


class PosixProcesses(Processes):
    """Process groups, ``killpg``, the reaper: Linux and macOS."""

    owner_death = "reaper"

    def __init__(self, platform: str | None = None) -> None:
        self._linux = (platform or sys.platform).startswith("linux")

    def spawn_options(self, *, own_session: bool) -> dict[str, Any]:
        return {"start_new_session": own_session, "process_group": None if own_session else 0}

    def start(self, argv: str | list[str], env: Environment, *, own_session: bool) -> Child:
        if spawn.ENABLED and self._linux and not isinstance(argv, str):
            started = spawn.posix_start(argv, env, own_session=own_session)
            if started is not None:
                return started
        return super().start(argv, env, own_session=own_session)

    def adopt(self, proc: Child) -> Unit:
        return Unit(proc.pid, proc.pid)  # a process group leader's group id is its pid

    def identity(self, pid: int, pidfd: int | None = None) -> str | None:
        return process_groups.leader_start(pid, pidfd=pidfd)

    def lower_priority(self, unit: Unit, *, own_session: bool) -> None:
        """Give the new process group the lowest priority at once: processes the command
        starts later inherit it. (Popen's preexec_fn could do it in the child, but it is
        unsafe in a process with threads, which the engine always is.)

        SCHED_IDLE (Linux) runs the command only on CPU time nothing else wants, and a
        waking engine or window thread takes the CPU from it at once; a nice value only
        lowers its share, and the scheduler lets it finish its slice (a 4 ms tick here).
        Elsewhere, and if the policy is refused, nice +NICENESS on the whole group (on
        macOS too: psutil's ``nice()`` would reach one process, this call the group). A
        command that has its own session (see engine.workers.shell._has_terminal) is its
        own autogroup: that group is made nice too, since nice and policy weigh threads
        only within their group."""
        if sys.platform == "win32":  # POSIX only: WindowsProcesses sets the job's priority class
            raise NotImplementedError("process groups are POSIX only")
        niceness = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
        try:
            os.setpriority(os.PRIO_PGRP, unit.id, niceness)
        except OSError:  # already gone, or not permitted: it runs at normal priority
            return
        if not self._linux:
            return
        if sys.platform != "linux":  # the same test, for mypy: SCHED_IDLE is Linux's
            return
        if hasattr(os, "sched_setscheduler"):
            with contextlib.suppress(OSError):  # already gone; nice stays
                os.sched_setscheduler(unit.pid, os.SCHED_IDLE, os.sched_param(0))
        if own_session:
            try:
                with open(f"/proc/{unit.pid}/autogroup", "w") as autogroup:
                    autogroup.write(str(niceness))
            except OSError:  # no autogroup, or already gone
                pass

    def alive(self, unit: Unit) -> bool:
        return process_groups.group_alive(unit.id)

    def stop(self, unit: Unit) -> bool:
        if sys.platform == "win32":  # SIGCONT is POSIX's
            raise NotImplementedError("process groups are POSIX only")
        # SIGCONT too, so a stopped process can act on the SIGTERM.
        if not self._signal(unit, signal.SIGTERM):
            return False
        self._signal(unit, signal.SIGCONT)
        return True

    def kill(self, unit: Unit) -> bool:
        if sys.platform == "win32":  # SIGKILL is POSIX's
            raise NotImplementedError("process groups are POSIX only")
        return self._signal(unit, signal.SIGKILL)

    @staticmethod
    def _signal(unit: Unit, signum: signal.Signals) -> bool:
        if sys.platform == "win32":  # killpg is POSIX's
            raise NotImplementedError("process groups are POSIX only")
        try:
            os.killpg(unit.id, signum)
        except ProcessLookupError:
            return False
        return True

    def end_left_over(self, groups: Iterable[Group], grace: float = process_groups.GRACE_PERIOD) -> list[Group]:
        return process_groups.end_groups(groups, grace)

    def find_marked(self, markers: Iterable[str]) -> dict[str, set[int]]:
        return process_groups.find_marked(markers)


_CURRENT: Processes | None = None


def for_platform(platform: str) -> Processes:
    """The implementation for ``platform`` (a ``sys.platform`` value)."""
    if platform == "win32":
        from engine.platforms.processes_windows import WindowsProcesses

        return WindowsProcesses()
    return PosixProcesses(platform)


def current() -> Processes:
    """This platform's implementation (made once)."""
    global _CURRENT
    if _CURRENT is None:
        _CURRENT = for_platform(sys.platform)
    return _CURRENT
