"""How long the user has been idle, where the OS answers with one cheap call.

- **Windows**: user32's ``GetLastInputInfo`` (the tick of the last keyboard or mouse
  input in this session) against kernel32's ``GetTickCount``; both are 32-bit
  milliseconds, so the difference is taken modulo 2**32 (the tick wraps after 49.7 days).
- **macOS**: CoreGraphics' ``CGEventSourceSecondsSinceLastEventType`` for any input
  event on the HID system state (the hardware's input, not events posted by programs).
  Chosen over ``ioreg``'s HIDIdleTime: a function call instead of a process every poll,
  and no output to parse.
- **Linux and the BSDs**: no such call; :class:`engine.conditions.idle.IdleSource` asks the
  session over D-Bus (GNOME's IdleMonitor, org.freedesktop.ScreenSaver) instead.

Both calls return at once, so :class:`engine.conditions.idle.IdleSource` makes them on the
UI thread. Through ctypes: no new dependency. The libraries are parameters, so the
readers are tested here with stand-ins for user32, kernel32 and CoreGraphics.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import Any

#: Seconds the user has been idle; raises OSError if the platform cannot tell.
IdleReader = Callable[[], float]

#: CGEventSourceStateID kCGEventSourceStateHIDSystemState; CGEventType kCGAnyInputEventType (~0).
_HID_SYSTEM_STATE = 1
_ANY_INPUT_EVENT = 0xFFFFFFFF
_CORE_GRAPHICS = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics"


class LastInputInfo(ctypes.Structure):
    """Win32 LASTINPUTINFO."""

    _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]


def windows_idle_seconds(user32: Any, kernel32: Any) -> float:
    info = LastInputInfo(ctypes.sizeof(LastInputInfo), 0)
    if not user32.GetLastInputInfo(ctypes.byref(info)):
        raise OSError("GetLastInputInfo failed")
    now = int(kernel32.GetTickCount()) & 0xFFFFFFFF
    return ((now - int(info.dwTime)) & 0xFFFFFFFF) / 1000.0


def macos_idle_seconds(core_graphics: Any) -> float:
    seconds = float(core_graphics.CGEventSourceSecondsSinceLastEventType(_HID_SYSTEM_STATE, _ANY_INPUT_EVENT))
    if seconds < 0:  # documented as never negative; a broken answer is "cannot tell"
        raise OSError("CoreGraphics gave a negative idle time")
    return seconds


def reader_for(platform: str) -> IdleReader | None:
    """The reader for ``platform`` (a ``sys.platform`` value), its library loaded; None
    where the session bus is asked instead. Raises OSError if the library is missing."""
    if platform == "win32":
        user32, kernel32 = load_user32(), load_kernel32()
        return lambda: windows_idle_seconds(user32, kernel32)
    if platform == "darwin":
        core_graphics = load_core_graphics()
        return lambda: macos_idle_seconds(core_graphics)
    return None


def load_user32() -> Any:
    if sys.platform == "win32":  # mypy checks this branch only with --platform win32
        dll = ctypes.WinDLL("user32", use_last_error=True)
        dll.GetLastInputInfo.argtypes = [ctypes.POINTER(LastInputInfo)]
        dll.GetLastInputInfo.restype = ctypes.c_int
        return dll
    raise OSError("user32 exists on Windows only")


def load_kernel32() -> Any:
    if sys.platform == "win32":
        dll = ctypes.WinDLL("kernel32", use_last_error=True)
        dll.GetTickCount.argtypes = []
        dll.GetTickCount.restype = ctypes.c_uint32
        return dll
    raise OSError("kernel32 exists on Windows only")


def load_core_graphics() -> Any:
    dll = ctypes.CDLL(_CORE_GRAPHICS)  # OSError where it does not exist
    function = dll.CGEventSourceSecondsSinceLastEventType
    function.argtypes = [ctypes.c_int32, ctypes.c_uint32]
    function.restype = ctypes.c_double
    return dll
