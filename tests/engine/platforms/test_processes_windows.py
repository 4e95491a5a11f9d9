"""The Windows and macOS implementations of engine.platforms.processes at their seams:
every Win32 call goes to a recording fake kernel32, psutil and os calls are replaced,
``sys.platform`` is set where the code branches on it. What they prove: the right calls
with the right structures in the right order, and the fallbacks when a call fails.
"""

from __future__ import annotations

import ctypes
import logging
import subprocess
from typing import Any

import psutil
import pytest

from engine import process_groups, reaper
from engine.platforms import processes, processes_windows as win
from engine.platforms.processes import PosixProcesses, Unit
from engine.platforms.processes_windows import WindowsProcesses
from engine.process_groups import MARKER, Group


class FakeKernel32:
    """Records every call; answers as a healthy Windows would unless told otherwise."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.limits: list[tuple[int, int, int]] = []  # (job, LimitFlags, PriorityClass)
        self.active = 1
        self.fail: set[str] = set()
        self.closed: list[int] = []

    def CreateJobObjectW(self, attributes: Any, name: Any) -> int:  # noqa: N802
        self.calls.append(("CreateJobObjectW", attributes, name))
        return 0 if "CreateJobObjectW" in self.fail else 0x100

    def SetInformationJobObject(self, job: int, kind: int, info: Any, size: int) -> int:  # noqa: N802
        limits = info._obj  # ctypes.byref(...) keeps the structure here
        assert kind == win.JOB_OBJECT_EXTENDED_LIMIT_INFORMATION and size == ctypes.sizeof(win.ExtendedLimits)
        self.calls.append(("SetInformationJobObject", job))
        self.limits.append((job, limits.BasicLimitInformation.LimitFlags, limits.BasicLimitInformation.PriorityClass))
        return 0 if "SetInformationJobObject" in self.fail else 1

    def QueryInformationJobObject(self, job: int, kind: int, info: Any, size: int, returned: Any) -> int:  # noqa: N802
        assert kind == win.JOB_OBJECT_BASIC_ACCOUNTING_INFORMATION and size == ctypes.sizeof(win.Accounting)
        info._obj.ActiveProcesses = self.active
        return 1

    def AssignProcessToJobObject(self, job: int, process: int) -> int:  # noqa: N802
        self.calls.append(("AssignProcessToJobObject", job, process))
        return 0 if "AssignProcessToJobObject" in self.fail else 1

    def TerminateJobObject(self, job: int, exit_code: int) -> int:  # noqa: N802
        self.calls.append(("TerminateJobObject", job, exit_code))
        self.active = 0
        return 1

    def OpenProcess(self, access: int, inherit: int, pid: int) -> int:  # noqa: N802
        self.calls.append(("OpenProcess", access, inherit, pid))
        return 0x200

    def GenerateConsoleCtrlEvent(self, event: int, group: int) -> int:  # noqa: N802
        self.calls.append(("GenerateConsoleCtrlEvent", event, group))
        return 1

    def CloseHandle(self, handle: int) -> int:  # noqa: N802
        self.closed.append(handle)
        return 1


class _Proc:
    pid = 4242


@pytest.fixture
def k32() -> FakeKernel32:
    return FakeKernel32()


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    resumed: list[int] = []
    monkeypatch.setattr(win, "_resume", resumed.append)
    return resumed


def _adopt(k32: FakeKernel32) -> tuple[WindowsProcesses, Unit]:
    impl = WindowsProcesses(k32)
    return impl, impl.adopt(_Proc())  # type: ignore[arg-type]


def test_the_structures_have_windows_sizes() -> None:
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        assert ctypes.sizeof(win.ExtendedLimits) == 144 and ctypes.sizeof(win.Accounting) == 48


def test_a_command_starts_suspended_in_a_process_group_without_a_console_window() -> None:
    flags = WindowsProcesses(FakeKernel32()).spawn_options(own_session=True)["creationflags"]
    assert flags == win.CREATE_SUSPENDED | win.CREATE_NEW_PROCESS_GROUP | win.CREATE_NO_WINDOW


def test_adopt_puts_the_suspended_command_in_a_kill_on_close_job_then_resumes_it(
    k32: FakeKernel32, resumed: list[int]
) -> None:
    _, unit = _adopt(k32)
    assert unit == Unit(4242, 4242, 0x100)
    assert [c[0] for c in k32.calls] == ["CreateJobObjectW", "SetInformationJobObject", "OpenProcess",
                                         "AssignProcessToJobObject"]
    assert k32.calls[0][1:] == (None, None)  # no security attributes: the handle is not inheritable
    assert k32.limits == [(0x100, win.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, 0)]
    assert k32.calls[2][1:] == (win.PROCESS_SET_QUOTA | win.PROCESS_TERMINATE, 0, 4242)
    assert k32.calls[3][1:] == (0x100, 0x200) and k32.closed == [0x200]  # the process handle, not the job
    assert resumed == [4242]


@pytest.mark.parametrize("failing", ["CreateJobObjectW", "SetInformationJobObject", "AssignProcessToJobObject"])
def test_without_a_job_the_command_still_runs_and_falls_back_to_its_leader(
    k32: FakeKernel32, resumed: list[int], failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    k32.fail.add(failing)
    with caplog.at_level(logging.WARNING, "engine.platforms.processes_windows"):
        impl, unit = _adopt(k32)
    assert unit.handle is None and resumed == [4242]
    if failing != "CreateJobObjectW":
        assert 0x100 in k32.closed  # the job made in vain is not left open
    assert "no job object for pid 4242" in caplog.text


def test_idle_priority_is_the_jobs_priority_class(k32: FakeKernel32, resumed: list[int]) -> None:
    impl, unit = _adopt(k32)
    impl.lower_priority(unit, own_session=False)
    assert k32.limits[-1] == (0x100, win.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | win.JOB_OBJECT_LIMIT_PRIORITY_CLASS,
                              win.IDLE_PRIORITY_CLASS)


def test_without_a_job_the_leader_gets_the_idle_class_through_psutil(
    k32: FakeKernel32, monkeypatch: pytest.MonkeyPatch
) -> None:
    classes: list[tuple[int, int]] = []

    class Proc:
        def __init__(self, pid: int) -> None:
            self.pid = pid

        def nice(self, value: int) -> None:
            classes.append((self.pid, value))

    monkeypatch.setattr(psutil, "Process", Proc)
    WindowsProcesses(k32).lower_priority(Unit(7, 7, None), own_session=False)
    assert classes == [(7, win.IDLE_PRIORITY_CLASS)]


def test_alive_stop_kill_release_speak_to_the_job(k32: FakeKernel32, resumed: list[int]) -> None:
    impl, unit = _adopt(k32)
    k32.calls.clear()
    k32.active = 2
    assert impl.alive(unit)
    assert impl.stop(unit)
    assert k32.calls == [("GenerateConsoleCtrlEvent", win.CTRL_BREAK_EVENT, 4242)]
    assert impl.kill(unit) and k32.calls[-1] == ("TerminateJobObject", 0x100, 1)
    assert not impl.alive(unit)  # ActiveProcesses is 0 now
    k32.calls.clear()
    assert not impl.stop(unit) and not impl.kill(unit) and k32.calls == []  # nobody there: nothing sent
    impl.release(unit)
    impl.release(unit)
    assert k32.closed.count(0x100) == 1 and unit.handle is None


def test_a_dead_owners_leftovers_are_found_and_ended_by_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    """What kill-on-close missed (a process never in a job): the leader if its start
    matches, anything carrying the run's marker; a recycled pid with another start is
    spared."""
    killed: list[int] = []

    class Proc:
        def __init__(self, pid: int, env: dict[str, str]) -> None:
            self.pid, self._env = pid, env
            self.info = {"pid": pid}

        def environ(self) -> dict[str, str]:
            return self._env

        def kill(self) -> None:
            killed.append(self.pid)

    table = {10: Proc(10, {MARKER: "t.1"}), 11: Proc(11, {MARKER: "t.1"}), 12: Proc(12, {}), 20: Proc(20, {})}
    monkeypatch.setattr(psutil, "process_iter", lambda attrs=None: list(table.values()))
    monkeypatch.setattr(psutil, "Process", lambda pid: table[pid])
    monkeypatch.setattr(psutil, "wait_procs", lambda procs, timeout=None: (procs, []))
    monkeypatch.setattr(process_groups, "leader_start", lambda pid: f"psutil/{pid}.0" if pid in table else None)
    impl = WindowsProcesses(FakeKernel32())
    assert impl.find_marked({"t.1", "u.1"}) == {"t.1": {10, 11}}
    ours, recycled = Group(10, "psutil/10.0", "t.1"), Group(20, "psutil/20.5", "u.1")
    assert impl.end_left_over([ours, recycled]) == [ours]
    assert sorted(killed) == [10, 11]


def test_the_platform_is_chosen_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(processes.for_platform("win32"), WindowsProcesses)
    assert type(processes.for_platform("darwin")) is PosixProcesses
    assert processes.for_platform("win32").owner_death == "kill-on-close"
    assert processes.for_platform("linux").owner_death == "reaper"
    with pytest.raises(OSError, match="Windows only"):
        win.load_kernel32()  # this is not Windows: the DLL is never loaded here


def test_on_windows_the_owner_starts_no_reaper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kill-on-close does the reaper's work: nothing is started, watching is a no-op."""
    started: list[object] = []
    monkeypatch.setattr(processes, "current", lambda: WindowsProcesses(FakeKernel32()))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    guard = reaper.Reaper()
    guard.watch(5, None, "t.1")
    guard.forget(5)
    guard.close()
    assert started == [] and guard.pid is None


# ---------------------------------------------------------------- macOS


def test_macos_lowers_the_whole_group_by_nice_without_linux_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(processes.os, "getpriority", lambda which, who: 0)
    monkeypatch.setattr(processes.os, "setpriority", lambda *a: calls.append(("setpriority", *a)))
    monkeypatch.setattr(processes.os, "sched_setscheduler", lambda *a: calls.append(("sched", *a)), raising=False)
    PosixProcesses("darwin").lower_priority(Unit(31, 31), own_session=True)
    assert calls == [("setpriority", processes.os.PRIO_PGRP, 31, processes.NICENESS)]


def test_off_linux_start_times_and_environments_come_from_psutil(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS has no /proc: the leader's identity is psutil's create time, a process's
    environment psutil's (this test process, read both ways)."""
    import os

    monkeypatch.setattr(process_groups, "_LINUX", False)
    start = process_groups.leader_start(os.getpid())
    assert start == f"psutil/{psutil.Process().create_time():.6f}"
    assert f"PATH={os.environ['PATH']}".encode() in process_groups._environ(os.getpid())
    monkeypatch.setattr(process_groups, "_LINUX", True)
    assert process_groups.leader_start(os.getpid()) != start
