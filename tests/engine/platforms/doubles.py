"""Test doubles that behave like the other platforms' implementations, on Linux.

They exist so each contract suite runs twice here: once against the real Linux
implementation, once against a double with the other platforms' semantics, which
keeps the suite from leaning on what only Linux does (process groups, /proc, timerfd).
The doubles are not proof that Windows or macOS work: the real implementations are
unit-tested at their seams (test_processes_windows.py, test_sleep_windows.py), and CI
runs the contract suites against them on their own runners.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import psutil

from engine.platforms.processes import Unit
from engine.platforms.spawn import Child
from engine.platforms.processes_windows import WindowsProcesses
from engine.process_groups import MARKER


class JobObjectDouble(WindowsProcesses):
    """Behaves like :class:`WindowsProcesses`, with real Linux processes.

    - The command gets no process group of its own (``spawn_options`` adds nothing):
      on Windows its console process group is invisible to ``killpg``.
    - The unit is a job: every process started from the command, whatever group or
      session it makes for itself. Modelled by the run's marker (``WORKDECK_RUN``),
      which every descendant inherits as it would inherit its job.
    - A polite stop reaches every member (CTRL_BREAK; SIGTERM here), ``kill`` ends
      every member (``TerminateJobObject``), ``release`` ends whatever is left
      (kill-on-close), the priority is the lowest class for every member (nice 19).
    - ``identity``, ``end_left_over`` and ``find_marked`` are the Windows
      implementation's own code (psutil), inherited unchanged.
    """

    def __init__(self) -> None:
        super().__init__(kernel32=None)
        self._marks: dict[int, str] = {}

    def spawn_options(self, *, own_session: bool) -> dict[str, Any]:
        return {}

    def adopt(self, proc: Child) -> Unit:
        # Just after exec, /proc/PID/environ can read empty for a moment: ask again.
        deadline = time.monotonic() + 5
        while MARKER not in (env := psutil.Process(proc.pid).environ()) and time.monotonic() < deadline:
            time.sleep(0.001)
        self._marks[proc.pid] = env[MARKER]
        return Unit(proc.pid, proc.pid, handle=proc.pid)

    def members(self, unit: Unit) -> list[psutil.Process]:
        mark = self._marks[unit.pid]
        found = []
        for proc in psutil.process_iter(["pid", "status"]):
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue  # a job counts processes that run, not exit records
            try:
                if proc.environ().get(MARKER) == mark:
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def lower_priority(self, unit: Unit, *, own_session: bool) -> None:
        for proc in self.members(unit):
            try:
                proc.nice(19)
            except psutil.Error:
                pass

    def alive(self, unit: Unit) -> bool:
        return bool(self.members(unit))

    def stop(self, unit: Unit) -> bool:
        return self._send(unit, signal.SIGTERM)

    def kill(self, unit: Unit) -> bool:
        return self._send(unit, signal.SIGKILL)

    def _send(self, unit: Unit, signum: signal.Signals) -> bool:
        members = self.members(unit)
        for proc in members:
            try:
                proc.send_signal(signum)
            except psutil.Error:
                pass
        return bool(members)

    def release(self, unit: Unit) -> None:
        if unit.handle is not None:
            self.kill(unit)  # kill-on-close
            unit.handle = None


class FakeUser32:
    """user32 as the Windows power watch uses it, with a scripted message queue.

    ``post(message, wparam)`` is what Windows does when it broadcasts: the message
    lands in the window thread's queue, ``GetMessageW`` takes it off, ``DispatchMessageW``
    calls the registered window procedure through its ctypes callback. The thread, the
    callback and the Qt hand-over to the owner's thread are the real ones.
    """

    def __init__(self, register_ok: bool = True) -> None:
        import queue

        self.queue: queue.Queue[tuple[int, int]] = queue.Queue()
        self.register_ok = register_ok
        self.wndproc: Any = None
        self.created_parent: Any = "unset"
        self.destroyed: list[Any] = []
        self.unregistered: list[str] = []
        self.default_calls: list[int] = []

    def post(self, message: int, wparam: int = 0) -> None:
        self.queue.put((message, wparam))

    def RegisterClassW(self, ref: Any) -> int:  # noqa: N802 - the Win32 names
        self.wndproc = ref._obj.lpfnWndProc
        return 0xC0DE if self.register_ok else 0

    def CreateWindowExW(self, *args: Any) -> int:  # noqa: N802
        self.created_parent = args[8]
        return 0x77

    def GetMessageW(self, ref: Any, hwnd: Any, low: int, high: int) -> int:  # noqa: N802
        message, wparam = self.queue.get(timeout=30)
        ref._obj.message, ref._obj.wParam = message, wparam
        return 0 if message == 0x0012 else 1  # WM_QUIT ends the loop

    def TranslateMessage(self, ref: Any) -> int:  # noqa: N802
        return 0

    def DispatchMessageW(self, ref: Any) -> int:  # noqa: N802
        return int(self.wndproc(0x77, ref._obj.message, ref._obj.wParam, 0))

    def DefWindowProcW(self, hwnd: Any, message: int, wparam: int, lparam: int) -> int:  # noqa: N802
        self.default_calls.append(message)
        return 0

    def PostThreadMessageW(self, thread_id: int, message: int, wparam: int, lparam: int) -> int:  # noqa: N802
        self.post(message, wparam)
        return 1

    def DestroyWindow(self, hwnd: Any) -> int:  # noqa: N802
        self.destroyed.append(hwnd)
        return 1

    def UnregisterClassW(self, name: str, instance: Any) -> int:  # noqa: N802
        self.unregistered.append(name)
        return 1


class FakeKernel32ForWindows:
    def GetModuleHandleW(self, name: Any) -> int:  # noqa: N802
        return 0x1

    def GetCurrentThreadId(self) -> int:  # noqa: N802
        import threading

        return threading.get_native_id()
