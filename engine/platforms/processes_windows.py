"""Windows: a command's processes in a Job Object that kills them all when it closes.

Through ctypes (kernel32), no new dependency: five calls with fixed structures, where
pywin32 would add a 10 MB platform wheel for the same five calls (its ``win32job``
wraps exactly these). How a run goes:

1. ``Popen`` with ``CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW``:
   the command exists but has run no instruction yet, so it cannot start a child
   outside the job; it leads a console process group of its own (the target of
   CTRL_BREAK) and pops no console window on the user's desktop.
2. ``CreateJobObjectW`` (an unnamed, non-inheritable handle: no command ever holds it)
   with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``; ``AssignProcessToJobObject``; then
   resume (psutil's ``resume()``, i.e. ``NtResumeProcess``). Everything the command
   starts from now on is in the job too.
3. Lower priority: the job's ``JOB_OBJECT_LIMIT_PRIORITY_CLASS`` with
   ``IDLE_PRIORITY_CLASS``, which Windows applies to every process in the job,
   present and future (the Linux ``SCHED_IDLE``: only CPU time nobody else wants).
   Alarms skip it and keep the owner's priority class.
4. Stop politely: ``GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, leader)``; it reaches
   only consoles we share, so it is best effort, and after the grace period
   ``TerminateJobObject`` ends the rest. A job is empty when its
   ``ActiveProcesses`` count is 0.
5. When the run is over the handle is closed; if the owner dies first, Windows closes
   it and kill-on-close ends the job: what :mod:`engine.reaper` does on POSIX.

If a job cannot be made or assigned (a restricted sandbox), the command still runs,
resumed, and the unit falls back to its leader alone (``handle`` None), through psutil.

Every Win32 call goes through :class:`Kernel32`, the seam the tests replace; the
module imports on every platform and loads the DLLs only when used on Windows.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Iterable
from typing import Any, Protocol

from engine import process_groups
from engine.platforms.processes import Processes, Unit
from engine.platforms.spawn import Child
from engine.process_groups import MARKER, Group

log = logging.getLogger(__name__)

# <winbase.h>, <winnt.h>, <wincon.h>: fixed values.
CREATE_SUSPENDED = 0x00000004
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000
JOB_OBJECT_LIMIT_PRIORITY_CLASS = 0x00000020
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
IDLE_PRIORITY_CLASS = 0x00000040
BELOW_NORMAL_PRIORITY_CLASS = 0x00004000
CTRL_BREAK_EVENT = 1
PROCESS_TERMINATE = 0x0001
PROCESS_SET_QUOTA = 0x0100
JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION = 1  # JOBOBJECTINFOCLASS
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9


class BasicLimits(ctypes.Structure):
    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32), ("SchedulingClass", ctypes.c_uint32),
    ]


class IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class ExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows)."""

    _fields_ = [
        ("BasicLimitInformation", BasicLimits), ("IoInfo", IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


class Accounting(ctypes.Structure):
    """JOBOBJECT_BASIC_ACCOUNTING_INFORMATION."""

    _fields_ = [
        ("TotalUserTime", ctypes.c_int64), ("TotalKernelTime", ctypes.c_int64),
        ("ThisPeriodTotalUserTime", ctypes.c_int64), ("ThisPeriodTotalKernelTime", ctypes.c_int64),
        ("TotalPageFaultCount", ctypes.c_uint32), ("TotalProcesses", ctypes.c_uint32),
        ("ActiveProcesses", ctypes.c_uint32), ("TotalTerminatedProcesses", ctypes.c_uint32),
    ]


class Kernel32(Protocol):
    """The kernel32 functions used, as ctypes exposes them (``WinDLL("kernel32")``)."""

    def CreateJobObjectW(self, attributes: Any, name: Any) -> int: ...  # noqa: N802 - the Win32 names
    def SetInformationJobObject(self, job: int, kind: int, info: Any, size: int) -> int: ...  # noqa: N802
    def QueryInformationJobObject(self, job: int, kind: int, info: Any, size: int, returned: Any) -> int: ...  # noqa: N802
    def AssignProcessToJobObject(self, job: int, process: int) -> int: ...  # noqa: N802
    def TerminateJobObject(self, job: int, exit_code: int) -> int: ...  # noqa: N802
    def OpenProcess(self, access: int, inherit: int, pid: int) -> int: ...  # noqa: N802
    def GenerateConsoleCtrlEvent(self, event: int, group: int) -> int: ...  # noqa: N802
    def CloseHandle(self, handle: int) -> int: ...  # noqa: N802


def load_kernel32() -> Kernel32:
    if sys.platform == "win32":
        dll: Any = ctypes.WinDLL("kernel32", use_last_error=True)
        dll.CreateJobObjectW.restype = ctypes.c_void_p
        dll.OpenProcess.restype = ctypes.c_void_p
        for name in ("SetInformationJobObject", "QueryInformationJobObject", "AssignProcessToJobObject",
                     "TerminateJobObject", "CloseHandle"):
            getattr(dll, name).argtypes = None  # handles go out as c_void_p below
        return dll  # type: ignore[no-any-return]
    raise OSError("kernel32 exists on Windows only")


def _last_error() -> OSError:
    if sys.platform == "win32":
        return ctypes.WinError(ctypes.get_last_error())
    return OSError("a Win32 call failed")


def _resume(pid: int) -> None:
    import psutil

    psutil.Process(pid).resume()  # NtResumeProcess: every thread of the suspended process


class WindowsProcesses(Processes):
    """Job Objects with kill-on-close (see the module's docstring)."""

    owner_death = "kill-on-close"

    def __init__(self, kernel32: Kernel32 | None = None) -> None:
        self._kernel32 = kernel32

    @property
    def k32(self) -> Kernel32:
        if self._kernel32 is None:
            self._kernel32 = load_kernel32()
        return self._kernel32

    def spawn_options(self, *, own_session: bool) -> dict[str, Any]:
        # own_session has no meaning here: a command in a new process group and without
        # a console window never reads the console the engine was started from.
        return {"creationflags": CREATE_SUSPENDED | CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW}

    def adopt(self, proc: Child) -> Unit:
        job: int | None = None
        try:
            job = self._new_job()
            self._assign(job, proc.pid)
        except OSError as exc:
            log.warning("no job object for pid %d (%s): only the command itself is stopped at its end",
                        proc.pid, exc)
            if job is not None:
                self.k32.CloseHandle(job)
                job = None
        finally:
            _resume(proc.pid)  # a command must never stay suspended, job or not
        return Unit(proc.pid, proc.pid, job)

    def _new_job(self) -> int:
        job = self.k32.CreateJobObjectW(None, None)  # no security attributes: not inheritable
        if not job:
            raise _last_error()
        try:
            self._set_limits(job, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)
        except OSError:
            self.k32.CloseHandle(job)
            raise
        return int(job)

    def _set_limits(self, job: int, flags: int, priority_class: int = 0) -> None:
        limits = ExtendedLimits()
        limits.BasicLimitInformation.LimitFlags = flags
        limits.BasicLimitInformation.PriorityClass = priority_class
        if not self.k32.SetInformationJobObject(job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(limits),
                                                ctypes.sizeof(limits)):
            raise _last_error()

    def _assign(self, job: int, pid: int) -> None:
        process = self.k32.OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, 0, pid)
        if not process:
            raise _last_error()
        try:
            if not self.k32.AssignProcessToJobObject(job, process):
                raise _last_error()
        finally:
            self.k32.CloseHandle(process)

    def identity(self, pid: int, pidfd: int | None = None) -> str | None:
        return process_groups.leader_start(pid)  # psutil's create time off Linux; no pidfds

    def lower_priority(self, unit: Unit, *, own_session: bool) -> None:
        if unit.handle is not None:
            try:
                self._set_limits(unit.handle, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_PRIORITY_CLASS,
                                 IDLE_PRIORITY_CLASS)
                return
            except OSError as exc:
                log.debug("job priority refused (%s): the command alone is lowered", exc)
        import psutil

        try:
            psutil.Process(unit.pid).nice(IDLE_PRIORITY_CLASS)
        except psutil.Error:  # already gone, or not permitted: it runs at normal priority
            pass

    def alive(self, unit: Unit) -> bool:
        if unit.handle is None:
            return _leader_alive(unit.pid)
        info = Accounting()
        if not self.k32.QueryInformationJobObject(unit.handle, JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION,
                                                  ctypes.byref(info), ctypes.sizeof(info), None):
            return _leader_alive(unit.pid)
        return bool(info.ActiveProcesses > 0)

    def stop(self, unit: Unit) -> bool:
        if not self.alive(unit):
            return False
        # Reaches the command's process group only where it shares our console: best
        # effort; the grace period ends with kill() either way.
        self.k32.GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, unit.pid)
        return True

    def kill(self, unit: Unit) -> bool:
        if not self.alive(unit):
            return False
        if unit.handle is not None and self.k32.TerminateJobObject(unit.handle, 1):
            return True
        import psutil

        try:
            psutil.Process(unit.pid).kill()
        except psutil.Error:
            return False
        return True

    def release(self, unit: Unit) -> None:
        if unit.handle is not None:
            self.k32.CloseHandle(unit.handle)  # kill-on-close: anything left in the job ends now
            unit.handle = None

    def end_left_over(self, groups: Iterable[Group], grace: float = process_groups.GRACE_PERIOD) -> list[Group]:
        """A dead owner's jobs closed with it (kill-on-close), so what is left is a
        process that was never in a job: its leader, if its identity matches, and
        whatever carries the run's marker. Ended hard: there is no console to ask."""
        import psutil

        ended: list[Group] = []
        doomed: list[psutil.Process] = []
        for group in groups:
            procs = _left_of(group)
            if procs:
                ended.append(group)
                doomed.extend(procs)
        for proc in doomed:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(doomed, timeout=process_groups.KILL_WAIT)
        return ended

    def find_marked(self, markers: Iterable[str]) -> dict[str, set[int]]:
        import psutil

        wanted = set(markers)
        found: dict[str, set[int]] = {}
        if not wanted:
            return found
        for proc in psutil.process_iter(["pid"]):
            mark = _marker_of(proc)
            if mark in wanted:
                found.setdefault(mark, set()).add(proc.pid)
        return found


def _leader_alive(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).is_running())
    except psutil.Error:
        return False


def _marker_of(proc: Any) -> str | None:
    import psutil

    try:
        value = proc.environ().get(MARKER)
    except psutil.Error:
        return None
    return None if value is None else str(value)


def _left_of(group: Group) -> list[Any]:
    import psutil

    procs: dict[int, Any] = {}
    start = process_groups.leader_start(group.pgid)
    if start is not None and start == group.leader_start:
        try:
            procs[group.pgid] = psutil.Process(group.pgid)
        except psutil.Error:
            pass
    for proc in psutil.process_iter(["pid"]):
        if proc.pid not in procs and _marker_of(proc) == group.marker:
            procs[proc.pid] = proc
    return list(procs.values())
