"""The owner lock's primitive: a shared or an exclusive lock on an open file, never waiting.

:class:`engine.owner.lock.OwnerLock` takes it exclusively for an owner (the window,
``serve``) and shared for a command line writing with no owner. Both implementations
give the semantics it relies on:

- the lock belongs to the open file (the descriptor), not to the process: a second
  descriptor of the same file in the same process conflicts with the first (the
  owner's "are the holders command lines?" probe opens one);
- the operating system drops it when the descriptor is closed or the process dies,
  however it dies: no stale lock to clean up;
- it does not stop anyone from reading the file: the holder's ``{"pid", "role"}``
  record at its start stays readable for the message the next one gets.

POSIX (Linux, macOS, the BSDs): ``flock(2)``. Windows: ``LockFileEx`` on one byte far
past the end of the file. Windows locks are mandatory (an exclusively locked range
cannot be read by anyone else), so the locked byte is one nobody reads or writes;
locking past the end of a file is allowed. ``msvcrt.locking`` has no shared mode and
``QLockFile`` neither (and it would pull Qt into the command line), hence ctypes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class FileLock(Protocol):
    def try_lock(self, fd: int, *, shared: bool) -> bool:
        """Lock the open file ``fd``; False at once if another holder's lock conflicts."""

    def unlock(self, fd: int) -> None:
        """Give the lock up (closing ``fd`` does too)."""


def file_lock() -> FileLock:
    """The implementation for the platform this runs on."""
    if sys.platform == "win32":
        return WindowsFileLock()
    return PosixFileLock()


class PosixFileLock:
    """``flock(2)``: whole-file, per open file description."""

    def try_lock(self, fd: int, *, shared: bool) -> bool:
        if sys.platform == "win32":  # tells mypy the rest is POSIX's
            raise OSError("flock is POSIX's")
        import fcntl

        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(self, fd: int) -> None:
        if sys.platform == "win32":
            raise OSError("flock is POSIX's")
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


# ---------------------------------------------------------------- Windows

LOCKFILE_FAIL_IMMEDIATELY = 0x1
LOCKFILE_EXCLUSIVE_LOCK = 0x2
ERROR_LOCK_VIOLATION = 33
ERROR_IO_PENDING = 997
#: The locked byte: far past any record we write (locking past the end is no error).
LOCK_OFFSET = 1 << 32
LOCK_LENGTH = 1


@dataclass(frozen=True)
class WindowsFileApi:
    """The calls :class:`WindowsFileLock` makes, as one seam: the real ones come from
    :func:`windows_file_api`; tests pass their own.

    ``lock_range(handle, flags, offset, length)`` and ``unlock_range(handle, offset,
    length)`` are ``LockFileEx``/``UnlockFileEx`` (True on success, else see
    ``last_error``); ``os_handle`` is ``msvcrt.get_osfhandle``.
    """

    os_handle: Callable[[int], int]
    lock_range: Callable[[int, int, int, int], bool]
    unlock_range: Callable[[int, int, int], bool]
    last_error: Callable[[], int]


class WindowsFileLock:
    """``LockFileEx`` on :data:`LOCK_OFFSET`: per handle, dropped when it closes."""

    def __init__(self, api: WindowsFileApi | None = None) -> None:
        self._api = api

    @property
    def api(self) -> WindowsFileApi:
        if self._api is None:
            self._api = windows_file_api()
        return self._api

    def try_lock(self, fd: int, *, shared: bool) -> bool:
        flags = LOCKFILE_FAIL_IMMEDIATELY | (0 if shared else LOCKFILE_EXCLUSIVE_LOCK)
        if self.api.lock_range(self.api.os_handle(fd), flags, LOCK_OFFSET, LOCK_LENGTH):
            return True
        error = self.api.last_error()
        # ERROR_IO_PENDING: a handle opened for overlapped I/O (os.open never does that).
        if error in (ERROR_LOCK_VIOLATION, ERROR_IO_PENDING):
            return False
        raise _winerror(error, "LockFileEx")

    def unlock(self, fd: int) -> None:
        if not self.api.unlock_range(self.api.os_handle(fd), LOCK_OFFSET, LOCK_LENGTH):
            raise _winerror(self.api.last_error(), "UnlockFileEx")


def _winerror(code: int, call: str) -> OSError:
    # OSError(None, message, None, winerror) is how the stdlib maps a Windows error code
    # to errno (and to a subclass such as PermissionError) on Windows.
    return OSError(None, f"{call} failed (Windows error {code})", None, code)


def windows_file_api() -> WindowsFileApi:
    """kernel32's ``LockFileEx``/``UnlockFileEx`` through ctypes, and msvcrt's handles."""
    if sys.platform == "win32":  # mypy checks this branch only with --platform win32
        import ctypes
        import msvcrt
        from ctypes import wintypes

        class _Overlapped(ctypes.Structure):
            # OVERLAPPED with the Offset/OffsetHigh union member spelled out.
            _fields_ = [("Internal", ctypes.c_void_p), ("InternalHigh", ctypes.c_void_p),
                        ("Offset", wintypes.DWORD), ("OffsetHigh", wintypes.DWORD), ("hEvent", wintypes.HANDLE)]

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        lock_file_ex = kernel32.LockFileEx
        lock_file_ex.argtypes = [wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
                                 ctypes.POINTER(_Overlapped)]
        lock_file_ex.restype = wintypes.BOOL
        unlock_file_ex = kernel32.UnlockFileEx
        unlock_file_ex.argtypes = [wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
                                   ctypes.POINTER(_Overlapped)]
        unlock_file_ex.restype = wintypes.BOOL

        def overlapped(offset: int) -> _Overlapped:
            return _Overlapped(0, 0, offset & 0xFFFFFFFF, offset >> 32, None)

        def lock_range(handle: int, flags: int, offset: int, length: int) -> bool:
            return bool(lock_file_ex(handle, flags, 0, length & 0xFFFFFFFF, length >> 32,
                                     ctypes.byref(overlapped(offset))))

        def unlock_range(handle: int, offset: int, length: int) -> bool:
            return bool(unlock_file_ex(handle, 0, length & 0xFFFFFFFF, length >> 32, ctypes.byref(overlapped(offset))))

        return WindowsFileApi(os_handle=msvcrt.get_osfhandle, lock_range=lock_range, unlock_range=unlock_range,
                              last_error=ctypes.get_last_error)
    raise OSError("LockFileEx exists only on Windows")
