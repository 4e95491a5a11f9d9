"""Test doubles that behave like Windows, built on Linux's own primitives.

They stand in for the Win32 calls only; the code under test is the real Windows
implementation (engine.platforms.file_lock.WindowsFileLock,
engine.platforms.named_pipe), so the contract suites run it here next to the POSIX one.

- :func:`lockfileex_double`: ``LockFileEx``/``UnlockFileEx`` as Windows has them --
  byte-range locks, shared or exclusive, owned by the handle (a second handle of the
  same file in the same process conflicts), dropped when the handle closes or the
  process dies, failing at once with ``ERROR_LOCK_VIOLATION`` -- made of Linux's
  open-file-description byte-range locks (``F_OFD_SETLK``), which have exactly those
  properties. Not emulated: Windows' mandatory locking (others cannot read an
  exclusively locked range; WindowsFileLock locks a byte no one reads), and a handle
  re-locking its own range (OwnerLock never does).
- :class:`PipeNamespace`: ``_winapi``'s named-pipe calls over the Unix sockets Qt's
  ``QLocalServer`` makes on Linux for a name that is not a path (in ``$TMPDIR``), so the
  owner's real QLocalServer answers the Windows client. Errors come as Windows reports
  them: no such pipe (2), broken pipe (109, raised by ``GetOverlappedResult`` as
  multiprocessing expects), no data on write (232), a cancelled read (995); reads are
  overlapped (``ERROR_IO_PENDING``, then ``WaitForMultipleObjects`` with a timeout)
  unless data is there already, as on Windows.
"""

from __future__ import annotations

import itertools
import os
import select
import socket
import struct
from pathlib import Path
from typing import Any

from engine.platforms import named_pipe
from engine.platforms.file_lock import ERROR_LOCK_VIOLATION, LOCKFILE_EXCLUSIVE_LOCK, WindowsFileApi


def _windows_error(code: int, what: str) -> OSError:
    error = OSError(None, f"{what} (Windows error {code})")
    error.winerror = code  # type: ignore[attr-defined]  # set by CPython itself on Windows
    return error


def lockfileex_double() -> WindowsFileApi:
    """WindowsFileLock's seam, as Windows behaves, on F_OFD_SETLK (see the module docstring)."""
    import fcntl  # here, not at the top: PipeNamespace is imported where fcntl does not exist

    last_error = [0]

    def set_lock(fd: int, kind: int, offset: int, length: int) -> bool:
        record = struct.pack("hhqqi4x", kind, os.SEEK_SET, offset, length, 0)
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, record)
        except (BlockingIOError, PermissionError):
            last_error[0] = ERROR_LOCK_VIOLATION
            return False
        return True

    def lock_range(handle: int, flags: int, offset: int, length: int) -> bool:
        kind = fcntl.F_WRLCK if flags & LOCKFILE_EXCLUSIVE_LOCK else fcntl.F_RDLCK
        return set_lock(handle, kind, offset, length)

    def unlock_range(handle: int, offset: int, length: int) -> bool:
        return set_lock(handle, fcntl.F_UNLCK, offset, length)

    return WindowsFileApi(os_handle=lambda fd: fd, lock_range=lock_range, unlock_range=unlock_range,
                          last_error=lambda: last_error[0])


class _Event:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


class _Overlapped:
    """An overlapped operation: done already, or a read that completes when waited for."""

    def __init__(self, sock: socket.socket, size: int, data: bytes | None = None, error: int = 0) -> None:
        self.event = _Event(sock)
        self._size, self._data, self._error = size, data, error
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def GetOverlappedResult(self, wait: bool) -> tuple[int, int]:  # noqa: N802 - _winapi's name
        if self._data is None:
            if self.cancelled:
                return 0, named_pipe.ERROR_OPERATION_ABORTED
            self._data = _receive(self.event.sock, self._size)
        if self._error:
            return len(self._data), self._error
        return len(self._data), 0

    def getbuffer(self) -> bytes:
        assert self._data is not None
        return self._data


def _receive(sock: socket.socket, size: int) -> bytes:
    try:
        data = sock.recv(size)
    except ConnectionResetError:
        data = b""
    if not data:
        raise _windows_error(named_pipe.ERROR_BROKEN_PIPE, "The pipe has been ended")
    return data


class PipeNamespace:
    """``_winapi`` for named pipes (the calls engine.platforms.named_pipe makes); the pipe
    ``\\\\.\\pipe\\NAME`` is the Unix socket ``folder/\\\\.\\pipe\\NAME``, where Qt's
    QLocalServer listens when ``$TMPDIR`` is ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._handles: dict[int, socket.socket] = {}
        self._numbers = itertools.count(100)
        self.closed: list[int] = []

    def CreateFile(self, name: str, access: int, share: int, security: int, disposition: int,  # noqa: N802
                   flags: int, template: int) -> int:
        assert disposition == named_pipe.OPEN_EXISTING and flags & named_pipe.FILE_FLAG_OVERLAPPED
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.folder / name))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise _windows_error(named_pipe.ERROR_FILE_NOT_FOUND, "The system cannot find the file specified")
        handle = next(self._numbers)
        self._handles[handle] = sock
        return handle

    def WaitNamedPipe(self, name: str, milliseconds: int) -> None:  # noqa: N802
        if not (self.folder / name).exists():
            raise _windows_error(named_pipe.ERROR_FILE_NOT_FOUND, "The system cannot find the file specified")

    def WriteFile(self, handle: int, data: bytes, overlapped: bool = False) -> tuple[Any, int]:  # noqa: N802
        sock = self._handles[handle]
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            raise _windows_error(named_pipe.ERROR_NO_DATA, "The pipe is being closed") from None
        return _Overlapped(sock, 0, data=bytes(data)), 0

    def ReadFile(self, handle: int, size: int, overlapped: bool = False) -> tuple[Any, int]:  # noqa: N802
        sock = self._handles[handle]
        ready, _, _ = select.select([sock], [], [], 0)
        if ready:  # data (or the end) is there: Windows completes the read at once
            return _Overlapped(sock, size, data=_receive(sock, size)), 0
        return _Overlapped(sock, size), named_pipe.ERROR_IO_PENDING

    def WaitForMultipleObjects(self, events: list[Any], wait_all: bool, milliseconds: int) -> int:  # noqa: N802
        timeout = None if milliseconds == named_pipe.INFINITE else milliseconds / 1000
        ready, _, _ = select.select([e.sock for e in events], [], [], timeout)
        return named_pipe.WAIT_OBJECT_0 if ready else named_pipe.WAIT_TIMEOUT

    def CloseHandle(self, handle: int) -> None:  # noqa: N802
        self._handles.pop(handle).close()
        self.closed.append(handle)

    @property
    def open_handles(self) -> int:
        return len(self._handles)
