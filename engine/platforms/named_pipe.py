"""The command line's end of the owner's named pipe on Windows, through ``_winapi``.

``_winapi`` is CPython's own binding of the Win32 calls ``multiprocessing`` uses for its
pipes (built in, so nothing to import from outside and quick to load); we use it the way
``multiprocessing.connection.PipeConnection`` does, with overlapped I/O so every wait has
a timeout, but on the byte stream Qt's ``QLocalServer`` speaks (multiprocessing's own
connection objects frame messages their own way and could not talk to it).

Windows reports what a Unix socket reports with other words, mapped here onto the
:class:`~engine.platforms.owner_socket.ClientStream` contract:

=============================  ==========================================
Windows                        ClientStream
=============================  ==========================================
no such pipe (error 2)         ``connect`` returns None: nobody listens
all instances busy (231)       wait for one (``WaitNamedPipe``) until the timeout
broken pipe (109), no data     ``receive`` returns b"" (end of stream)
(232) on write                 ``send_all`` raises BrokenPipeError
a wait that times out          TimeoutError (the pending read is cancelled)
=============================  ==========================================
"""

from __future__ import annotations

import sys
import time
from types import ModuleType
from typing import Any

GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
OPEN_EXISTING = 3
FILE_FLAG_OVERLAPPED = 0x40000000
INFINITE = 0xFFFFFFFF
WAIT_OBJECT_0 = 0
WAIT_TIMEOUT = 0x102
ERROR_FILE_NOT_FOUND = 2
ERROR_BROKEN_PIPE = 109
ERROR_SEM_TIMEOUT = 121
ERROR_PIPE_BUSY = 231
ERROR_NO_DATA = 232
ERROR_PIPE_NOT_CONNECTED = 233
ERROR_MORE_DATA = 234
ERROR_OPERATION_ABORTED = 995
ERROR_IO_PENDING = 997
READ_SIZE = 65536
_ENDED = (ERROR_BROKEN_PIPE, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED)


def winapi() -> ModuleType:
    """CPython's ``_winapi`` (only on Windows; tests pass a stand-in to :func:`connect`)."""
    if sys.platform == "win32":
        import _winapi

        return _winapi
    raise OSError("named pipes are Windows'")


def _winerror(exc: OSError) -> int | None:
    # On Windows OSError carries .winerror; a stand-in on another platform sets it by hand.
    code = getattr(exc, "winerror", None)
    return code if isinstance(code, int) else None


def connect(address: str, timeout: float, *, api: Any = None) -> PipeStream | None:
    """Open the pipe ``address``; None if nobody listens there."""
    api = winapi() if api is None else api
    deadline = time.monotonic() + timeout
    while True:
        try:
            handle = api.CreateFile(address, GENERIC_READ | GENERIC_WRITE, 0, 0, OPEN_EXISTING,
                                    FILE_FLAG_OVERLAPPED, 0)
            return PipeStream(handle, api)
        except OSError as exc:
            code = _winerror(exc)
            if code == ERROR_FILE_NOT_FOUND:
                return None
            if code != ERROR_PIPE_BUSY:
                raise
        # Every instance is taken: QLocalServer makes another as it accepts; wait for it.
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        try:
            api.WaitNamedPipe(address, max(1, int(left * 1000)))
        except OSError as exc:
            code = _winerror(exc)
            if code == ERROR_FILE_NOT_FOUND:  # the owner went meanwhile
                return None
            if code != ERROR_SEM_TIMEOUT:
                raise
            raise TimeoutError from None


def _result(overlapped: Any) -> tuple[int, int]:
    """``GetOverlappedResult``, waiting: (bytes moved, Windows error code). It raises for a
    broken pipe (as ``multiprocessing`` expects); that becomes an error code here."""
    try:
        moved, error = overlapped.GetOverlappedResult(True)
    except OSError as exc:
        code = _winerror(exc)
        if code is None:
            raise
        return 0, code
    return int(moved), int(error)


class PipeStream:
    """One connection to the owner's pipe (a ``ClientStream``)."""

    def __init__(self, handle: int, api: Any) -> None:
        self._handle: int | None = handle
        self._api = api

    def send_all(self, data: bytes) -> None:
        try:
            overlapped, error = self._api.WriteFile(self._handle, data, overlapped=True)
        except OSError as exc:
            if _winerror(exc) in _ENDED:
                raise BrokenPipeError(str(exc)) from None
            raise
        try:
            if error == ERROR_IO_PENDING:
                self._api.WaitForMultipleObjects([overlapped.event], False, INFINITE)
        except BaseException:
            overlapped.cancel()
            raise
        finally:
            written, error = _result(overlapped)
        if error in _ENDED:
            raise BrokenPipeError(f"the owner closed the pipe (Windows error {error})")
        if error or written != len(data):
            raise OSError(None, f"WriteFile wrote {written} of {len(data)} bytes (Windows error {error})")

    def receive(self, timeout: float) -> bytes:
        try:
            overlapped, error = self._api.ReadFile(self._handle, READ_SIZE, overlapped=True)
        except OSError as exc:
            if _winerror(exc) in _ENDED:
                return b""
            raise
        timed_out = False
        try:
            if error == ERROR_IO_PENDING:
                waited = self._api.WaitForMultipleObjects([overlapped.event], False, max(0, int(timeout * 1000)))
                if waited == WAIT_TIMEOUT:
                    timed_out = True
                    overlapped.cancel()
        except BaseException:
            overlapped.cancel()
            raise
        finally:
            _, error = _result(overlapped)
        if error in (0, ERROR_MORE_DATA):  # MORE_DATA: message-mode pipes only; the rest comes next read
            return bytes(overlapped.getbuffer())
        if error in _ENDED:
            return b""
        if timed_out or error == ERROR_OPERATION_ABORTED:
            raise TimeoutError
        raise OSError(None, f"ReadFile failed (Windows error {error})")

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._api.CloseHandle(handle)
