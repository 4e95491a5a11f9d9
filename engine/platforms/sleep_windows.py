"""Windows: resumes and clock sets, from the broadcasts every top-level window gets.

``WM_POWERBROADCAST`` with ``PBT_APMRESUMEAUTOMATIC`` (every resume) or
``PBT_APMRESUMESUSPEND`` (a resume a user started) is a resume; ``WM_TIMECHANGE`` is a
clock set (the user, w32time's step). Both are broadcast to top-level windows only, not
to message-only ones (``HWND_MESSAGE``), so a thread of ours registers a window class
and creates a top-level window that is never shown, and pumps its messages
(``GetMessageW``); the window procedure hands each announcement to the owner's thread
through a queued Qt signal. ``stop`` posts ``WM_QUIT`` to that thread and joins it.

Why a thread of our own and ctypes, not a Qt native event filter in ui/: the engine
also runs headless (``workdeck serve``), where no window of Qt's exists to receive a
broadcast, and engine/ may not import QtGui or QtWidgets. Every Win32 call goes
through the ``user32``/``kernel32`` objects given to :class:`WindowsSleepWatch`, the
seam the tests replace; the DLLs are loaded only when it starts on Windows.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.platforms.sleep import Announce, SleepWatch

log = logging.getLogger(__name__)

# <winuser.h>: fixed values.
WM_TIMECHANGE = 0x001E
WM_POWERBROADCAST = 0x0218
WM_QUIT = 0x0012
PBT_APMRESUMESUSPEND = 0x0007
PBT_APMRESUMEAUTOMATIC = 0x0012
CLASS_NAME = "WorkdeckPowerWatch"
#: Seconds ``stop`` waits for the message thread to end.
JOIN_TIMEOUT = 5.0

# WNDPROC: LRESULT CALLBACK (HWND, UINT, WPARAM, LPARAM). WINFUNCTYPE is Windows' only;
# elsewhere (the tests) the C calling convention stands in for stdcall.
_FUNCTYPE: Any = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)
WNDPROC = _FUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_uint, ctypes.c_size_t, ctypes.c_ssize_t)


class WNDCLASSW(ctypes.Structure):
    _fields_ = [
        ("style", ctypes.c_uint), ("lpfnWndProc", WNDPROC), ("cbClsExtra", ctypes.c_int),
        ("cbWndExtra", ctypes.c_int), ("hInstance", ctypes.c_void_p), ("hIcon", ctypes.c_void_p),
        ("hCursor", ctypes.c_void_p), ("hbrBackground", ctypes.c_void_p), ("lpszMenuName", ctypes.c_wchar_p),
        ("lpszClassName", ctypes.c_wchar_p),
    ]


class MSG(ctypes.Structure):
    _fields_ = [
        ("hwnd", ctypes.c_void_p), ("message", ctypes.c_uint), ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t), ("time", ctypes.c_uint32), ("pt_x", ctypes.c_int32), ("pt_y", ctypes.c_int32),  # POINT: two 32-bit LONGs
        ("lPrivate", ctypes.c_uint32),
    ]


def load_dlls() -> tuple[Any, Any]:
    """user32 and kernel32, with the argument types 64-bit Windows needs."""
    if sys.platform == "win32":
        user32: Any = ctypes.WinDLL("user32", use_last_error=True)
        kernel32: Any = ctypes.WinDLL("kernel32", use_last_error=True)
        user32.DefWindowProcW.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_size_t, ctypes.c_ssize_t]
        user32.DefWindowProcW.restype = ctypes.c_ssize_t
        user32.CreateWindowExW.restype = ctypes.c_void_p
        user32.CreateWindowExW.argtypes = [
            ctypes.c_uint32, ctypes.c_wchar_p, ctypes.c_wchar_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_int,
            ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
        ]
        kernel32.GetModuleHandleW.restype = ctypes.c_void_p
        return user32, kernel32
    raise OSError("user32 exists on Windows only")


class _Relay(QObject):
    """Lives on the owner's thread: the window thread emits, the owner's loop delivers."""

    fired = Signal(str)

    def __init__(self, parent: QObject, announce: Announce) -> None:
        super().__init__(parent)
        self._announce: Announce | None = announce
        self.fired.connect(self._deliver)  # queued when emitted from the window thread

    @Slot(str)
    def _deliver(self, source: str) -> None:
        if self._announce is not None:
            self._announce(source)

    def close(self) -> None:
        self._announce = None  # an announcement still queued is dropped
        self.deleteLater()


class WindowsSleepWatch(SleepWatch):
    """A hidden top-level window on a thread of its own (see the module's docstring)."""

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        self._user32, self._kernel32 = user32, kernel32
        self._relay: _Relay | None = None
        self._thread: threading.Thread | None = None
        self._thread_id = 0
        self._ready = threading.Event()
        self._listening = False
        # Kept referenced while the window lives: Windows calls into it.
        self._wndproc = WNDPROC(self.window_procedure)

    @property
    def kernel_watch(self) -> bool:
        return self._listening

    def start(self, parent: QObject, announce: Announce) -> None:
        if self._user32 is None:
            try:
                self._user32, self._kernel32 = load_dlls()
            except OSError as exc:
                log.warning("no power broadcasts (%s): resumes are measured by the periodic check", exc)
                return
        self._relay = _Relay(parent, announce)
        self._ready.clear()
        self._thread = threading.Thread(target=self._pump, name="workdeck-power-watch", daemon=True)
        self._thread.start()
        self._ready.wait(JOIN_TIMEOUT)

    def stop(self) -> None:
        if self._thread is not None:
            if self._thread_id:
                self._user32.PostThreadMessageW(self._thread_id, WM_QUIT, 0, 0)
            self._thread.join(JOIN_TIMEOUT)
            if self._thread.is_alive():
                log.warning("the power-broadcast thread did not end in %.0f s", JOIN_TIMEOUT)
            self._thread = None
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        self._listening = False

    def window_procedure(self, hwnd: Any, message: int, wparam: int, lparam: int) -> int:
        """Called by Windows on the window thread for every message to the window."""
        if message == WM_POWERBROADCAST and wparam in (PBT_APMRESUMEAUTOMATIC, PBT_APMRESUMESUSPEND):
            self._emit("WM_POWERBROADCAST")
            return 1  # TRUE: handled
        if message == WM_TIMECHANGE:
            self._emit("WM_TIMECHANGE")
            return 0
        return int(self._user32.DefWindowProcW(hwnd, message, wparam, lparam))

    def _emit(self, source: str) -> None:
        relay = self._relay
        if relay is not None:
            relay.fired.emit(source)

    def _pump(self) -> None:
        user32, kernel32 = self._user32, self._kernel32
        instance = kernel32.GetModuleHandleW(None)
        window_class = WNDCLASSW()
        window_class.lpfnWndProc = self._wndproc
        window_class.hInstance = instance
        window_class.lpszClassName = CLASS_NAME
        hwnd = None
        try:
            if not user32.RegisterClassW(ctypes.byref(window_class)):
                log.warning("RegisterClassW failed: resumes are measured by the periodic check")
                return
            # Top-level (no parent, not HWND_MESSAGE), style 0, never shown.
            hwnd = user32.CreateWindowExW(0, CLASS_NAME, "Workdeck power watch", 0, 0, 0, 0, 0,
                                          None, None, instance, None)
            if not hwnd:
                log.warning("CreateWindowExW failed: resumes are measured by the periodic check")
                return
            self._thread_id = kernel32.GetCurrentThreadId()
            self._listening = True
            self._ready.set()
            message = MSG()
            while user32.GetMessageW(ctypes.byref(message), None, 0, 0) > 0:
                user32.TranslateMessage(ctypes.byref(message))
                user32.DispatchMessageW(ctypes.byref(message))
        finally:
            self._listening = False
            self._thread_id = 0
            if hwnd:
                user32.DestroyWindow(hwnd)
            user32.UnregisterClassW(CLASS_NAME, instance)
            self._ready.set()
