"""The real Windows implementations at their seams, with the Win32 calls mocked.

The contract suites (test_file_lock_contract.py, test_owner_socket_contract.py) run
them over doubles that behave like Windows; here each call they make is checked: the
ctypes binding of LockFileEx, the named-pipe client's handling of every error Windows
reports, and the Windows branches of the file checks (no owner ids, no modes).
"""

from __future__ import annotations

import ctypes
import os
import stat
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from engine.platforms import file_lock, named_pipe
from engine.platforms.file_lock import (
    ERROR_LOCK_VIOLATION,
    LOCK_OFFSET,
    LOCKFILE_EXCLUSIVE_LOCK,
    LOCKFILE_FAIL_IMMEDIATELY,
    WindowsFileLock,
)
from engine.platforms.owner_socket import PosixOwnerSocket, WindowsOwnerSocket, owner_socket

# ---------------------------------------------------------------- LockFileEx through ctypes


class _Kernel32Function:
    def __init__(self, results: list[bool]) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.results = results
        self.argtypes: Any = None
        self.restype: Any = None

    def __call__(self, *args: Any) -> int:
        handle, *numbers, overlapped_ref = args
        overlapped = overlapped_ref._obj  # what ctypes.byref() points at
        self.calls.append((handle, *numbers, overlapped.Offset, overlapped.OffsetHigh))
        return int(self.results.pop(0))


@pytest.fixture
def kernel32(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """sys.platform "win32", with kernel32 and msvcrt as stand-ins: windows_file_api's branch runs."""
    fake = types.SimpleNamespace(LockFileEx=_Kernel32Function([]), UnlockFileEx=_Kernel32Function([]))
    state: dict[str, Any] = {"kernel32": fake, "last_error": 0, "loaded": []}

    def win_dll(name: str, use_last_error: bool = False) -> Any:
        state["loaded"].append((name, use_last_error))
        return fake

    monkeypatch.setattr(ctypes, "WinDLL", win_dll, raising=False)
    monkeypatch.setattr(ctypes, "get_last_error", lambda: state["last_error"], raising=False)
    monkeypatch.setitem(sys.modules, "msvcrt", types.SimpleNamespace(get_osfhandle=lambda fd: 1000 + fd))
    monkeypatch.setattr(sys, "platform", "win32")
    return state


def test_lockfileex_gets_the_flags_the_range_and_the_os_handle(kernel32: dict[str, Any]) -> None:
    api = file_lock.windows_file_api()
    locks = WindowsFileLock(api)
    kernel32["kernel32"].LockFileEx.results = [True, True]
    assert locks.try_lock(7, shared=False) and locks.try_lock(8, shared=True)
    exclusive, shared = kernel32["kernel32"].LockFileEx.calls
    # handle, flags, reserved, length low/high, offset low/high (OVERLAPPED)
    assert exclusive == (1007, LOCKFILE_FAIL_IMMEDIATELY | LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, 0, 1)
    assert shared == (1008, LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, 0, 1)
    assert LOCK_OFFSET == 1 << 32  # past any holder's record: Windows' locks are mandatory
    assert kernel32["loaded"] == [("kernel32", True)]  # errors read with ctypes.get_last_error
    kernel32["kernel32"].UnlockFileEx.results = [True]
    locks.unlock(7)
    assert kernel32["kernel32"].UnlockFileEx.calls == [(1007, 0, 1, 0, 0, 1)]


def test_a_lock_violation_is_a_no_and_other_errors_are_raised(kernel32: dict[str, Any]) -> None:
    locks = WindowsFileLock(file_lock.windows_file_api())
    kernel32["kernel32"].LockFileEx.results = [False, False]
    kernel32["last_error"] = ERROR_LOCK_VIOLATION
    assert locks.try_lock(3, shared=False) is False
    kernel32["last_error"] = 6  # ERROR_INVALID_HANDLE
    with pytest.raises(OSError, match="LockFileEx failed \\(Windows error 6\\)"):
        locks.try_lock(3, shared=False)
    kernel32["kernel32"].UnlockFileEx.results = [False]
    with pytest.raises(OSError, match="UnlockFileEx failed"):
        locks.unlock(3)


def test_the_windows_api_is_loaded_only_when_used_and_only_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    locks = WindowsFileLock()  # constructing it touches nothing
    with pytest.raises(OSError, match="only on Windows"):
        locks.try_lock(0, shared=True)
    monkeypatch.setattr(sys, "platform", "win32")
    assert isinstance(file_lock.file_lock(), WindowsFileLock)
    assert isinstance(owner_socket(), WindowsOwnerSocket)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert isinstance(file_lock.file_lock(), file_lock.PosixFileLock)
    assert isinstance(owner_socket(), PosixOwnerSocket)


# ---------------------------------------------------------------- the named-pipe client


def _error(code: int) -> OSError:
    exc = OSError(None, f"Windows error {code}")
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


class _Overlapped:
    def __init__(self, result: tuple[int, int] | OSError, data: bytes = b"") -> None:
        self.event = object()
        self.result, self.data = result, data
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def GetOverlappedResult(self, wait: bool) -> tuple[int, int]:  # noqa: N802
        assert wait
        if isinstance(self.result, OSError):
            raise self.result
        return self.result

    def getbuffer(self) -> memoryview:
        return memoryview(self.data)


class _Winapi:
    """Scripted: each call takes the next outcome from its list (an exception is raised)."""

    def __init__(self, **outcomes: list[Any]) -> None:
        self.outcomes = outcomes
        self.calls: list[tuple[Any, ...]] = []

    def _next(self, name: str, *args: Any) -> Any:
        self.calls.append((name, *args))
        outcome = self.outcomes[name].pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def CreateFile(self, *args: Any) -> Any:  # noqa: N802
        return self._next("CreateFile", *args)

    def WaitNamedPipe(self, *args: Any) -> Any:  # noqa: N802
        return self._next("WaitNamedPipe", *args)

    def ReadFile(self, handle: int, size: int, overlapped: bool = False) -> Any:  # noqa: N802
        assert overlapped
        return self._next("ReadFile", handle, size)

    def WriteFile(self, handle: int, data: bytes, overlapped: bool = False) -> Any:  # noqa: N802
        assert overlapped
        return self._next("WriteFile", handle, data)

    def WaitForMultipleObjects(self, *args: Any) -> Any:  # noqa: N802
        return self._next("WaitForMultipleObjects", *args)

    def CloseHandle(self, handle: int) -> None:  # noqa: N802
        self.calls.append(("CloseHandle", handle))


PIPE = "\\\\.\\pipe\\workdeck-me-0123"


def test_connect_opens_the_pipe_for_overlapped_reading_and_writing() -> None:
    api = _Winapi(CreateFile=[42])
    stream = named_pipe.connect(PIPE, 5.0, api=api)
    assert isinstance(stream, named_pipe.PipeStream)
    assert api.calls == [("CreateFile", PIPE, named_pipe.GENERIC_READ | named_pipe.GENERIC_WRITE, 0, 0,
                          named_pipe.OPEN_EXISTING, named_pipe.FILE_FLAG_OVERLAPPED, 0)]
    stream.close()
    stream.close()
    assert api.calls[1:] == [("CloseHandle", 42)]


def test_no_pipe_is_no_owner_and_a_busy_one_is_waited_for() -> None:
    assert named_pipe.connect(PIPE, 5.0, api=_Winapi(CreateFile=[_error(2)])) is None
    api = _Winapi(CreateFile=[_error(231), 43], WaitNamedPipe=[None])
    assert named_pipe.connect(PIPE, 5.0, api=api) is not None
    assert api.calls[1][0:2] == ("WaitNamedPipe", PIPE) and 0 < api.calls[1][2] <= 5000
    gone = _Winapi(CreateFile=[_error(231)], WaitNamedPipe=[_error(2)])
    assert named_pipe.connect(PIPE, 5.0, api=gone) is None
    with pytest.raises(TimeoutError):
        named_pipe.connect(PIPE, 5.0, api=_Winapi(CreateFile=[_error(231)], WaitNamedPipe=[_error(121)]))
    with pytest.raises(PermissionError):  # anything else is not ours to hide
        named_pipe.connect(PIPE, 5.0, api=_Winapi(CreateFile=[PermissionError(13, "access denied")]))


def test_reads_wait_with_the_timeout_and_cancel_when_it_runs_out() -> None:
    done = _Overlapped((5, 0), b"hello")
    api = _Winapi(ReadFile=[(done, 0)])
    assert named_pipe.PipeStream(1, api).receive(2.0) == b"hello"
    pending = _Overlapped((3, 0), b"hi\n")
    api = _Winapi(ReadFile=[(pending, named_pipe.ERROR_IO_PENDING)], WaitForMultipleObjects=[named_pipe.WAIT_OBJECT_0])
    assert named_pipe.PipeStream(1, api).receive(2.5) == b"hi\n"
    assert api.calls[1] == ("WaitForMultipleObjects", [pending.event], False, 2500)
    silent = _Overlapped((0, named_pipe.ERROR_OPERATION_ABORTED))
    api = _Winapi(ReadFile=[(silent, named_pipe.ERROR_IO_PENDING)], WaitForMultipleObjects=[named_pipe.WAIT_TIMEOUT])
    with pytest.raises(TimeoutError):
        named_pipe.PipeStream(1, api).receive(0.1)
    assert silent.cancelled


def test_the_end_of_the_pipe_reads_as_empty_however_windows_says_it() -> None:
    assert named_pipe.PipeStream(1, _Winapi(ReadFile=[_error(109)])).receive(1.0) == b""
    ended = _Overlapped(_error(109))
    api = _Winapi(ReadFile=[(ended, named_pipe.ERROR_IO_PENDING)], WaitForMultipleObjects=[named_pipe.WAIT_OBJECT_0])
    assert named_pipe.PipeStream(1, api).receive(1.0) == b""
    broken = _Overlapped((0, 233))
    assert named_pipe.PipeStream(1, _Winapi(ReadFile=[(broken, 0)])).receive(1.0) == b""
    odd = _Overlapped((0, 87))  # ERROR_INVALID_PARAMETER: a bug, raised
    with pytest.raises(OSError, match="Windows error 87"):
        named_pipe.PipeStream(1, _Winapi(ReadFile=[(odd, 0)])).receive(1.0)


def test_writes_report_a_closed_pipe_as_a_broken_pipe() -> None:
    written = _Overlapped((4, 0))
    api = _Winapi(WriteFile=[(written, named_pipe.ERROR_IO_PENDING)], WaitForMultipleObjects=[named_pipe.WAIT_OBJECT_0])
    named_pipe.PipeStream(1, api).send_all(b"ping")
    assert api.calls[1] == ("WaitForMultipleObjects", [written.event], False, named_pipe.INFINITE)
    with pytest.raises(BrokenPipeError):
        named_pipe.PipeStream(1, _Winapi(WriteFile=[_error(232)])).send_all(b"ping")
    with pytest.raises(BrokenPipeError):
        named_pipe.PipeStream(1, _Winapi(WriteFile=[(_Overlapped((0, 109)), 0)])).send_all(b"ping")
    with pytest.raises(OSError, match="wrote 2 of 4"):
        named_pipe.PipeStream(1, _Winapi(WriteFile=[(_Overlapped((2, 0)), 0)])).send_all(b"ping")


def test_winapi_is_cpythons_own_and_only_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OSError, match="Windows'"):
        named_pipe.winapi()
    stand_in = types.ModuleType("_winapi")
    monkeypatch.setitem(sys.modules, "_winapi", stand_in)
    monkeypatch.setattr(sys, "platform", "win32")
    assert named_pipe.winapi() is stand_in


def test_the_pipe_name_carries_the_user_and_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USERNAME", "Ada Lovelace\\x")
    assert WindowsOwnerSocket().address("0123456789abcdef0123") == "\\\\.\\pipe\\workdeck-Ada_Lovelace_x-0123456789abcdef0123"


# ---------------------------------------------------------------- files: no owner ids, no modes


@pytest.fixture
def windows_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """What os has on Windows (O_NOINHERIT, O_BINARY) and lacks (geteuid, getuid, fchmod, statvfs)."""
    monkeypatch.setattr(os, "O_NOINHERIT", os.O_CLOEXEC, raising=False)
    monkeypatch.setattr(os, "O_BINARY", 0, raising=False)
    for name in ("geteuid", "getuid", "fchmod", "statvfs"):
        monkeypatch.delattr(os, name)
    monkeypatch.setattr(sys, "platform", "win32")


def test_private_files_skip_modes_and_owners_on_windows(tmp_path: Path, windows_files: None) -> None:
    from engine import private_files

    existing = tmp_path / "work.db.lock"
    existing.write_text("")
    existing.chmod(0o644)
    fd = private_files.open_private(existing, os.O_RDWR | os.O_CREAT)
    os.close(fd)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644  # ACLs decide there, not modes
    (tmp_path / "link").symlink_to(existing)
    with pytest.raises(private_files.UnsafePathError, match="symbolic link"):
        private_files.open_private(tmp_path / "link", os.O_RDWR)
    assert private_files.check_database(existing) == existing
    private_files.tighten(existing)
    assert private_files.private_folder(tmp_path / "data") == tmp_path / "data"


def test_the_manifest_check_and_the_disk_checks_work_without_owner_ids(
    tmp_path: Path, windows_files: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from engine import store_faults
    from engine.manifest.model import refuse_if_others_can_write

    manifest = tmp_path / "manifest.toml"
    manifest.write_text("")
    manifest.chmod(0o666)
    refuse_if_others_can_write(manifest)  # no modes to judge on Windows: not refused
    asked: list[str] = []
    # GetDiskFreeSpaceExW on Windows; here (statvfs removed) a stand-in that says what it was asked
    monkeypatch.setattr(shutil, "disk_usage", lambda path: asked.append(path) or shutil._ntuple_diskusage(9, 5, 4))
    assert store_faults.free_bytes(str(tmp_path / "work.db")) == 4
    assert asked == [str(tmp_path)]
    assert store_faults.is_writable(tmp_path)
    assert store_faults.read_only_reason(str(manifest)) is None


# ---------------------------------------------------------------- start at login: the Run key


class _Winreg:
    """winreg's calls Autostart makes, on a dict of (key path, value name) -> value."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 0x2
    REG_SZ = 1

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[int, str]] = {}
        self.keys: set[str] = set()

    class _Key:
        def __init__(self, path: str) -> None:
            self.path = path

        def __enter__(self) -> _Winreg._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, path: str, reserved: int = 0, access: int = 0) -> _Key:  # noqa: N802
        if f"{root}\\{path}" not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self._Key(f"{root}\\{path}")

    def CreateKeyEx(self, root: str, path: str, reserved: int, access: int) -> _Key:  # noqa: N802
        assert access == self.KEY_SET_VALUE
        self.keys.add(f"{root}\\{path}")
        return self._Key(f"{root}\\{path}")

    def QueryValueEx(self, key: _Key, name: str) -> tuple[str, int]:  # noqa: N802
        if (key.path, name) not in self.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        kind, value = self.values[key.path, name]
        return value, kind

    def SetValueEx(self, key: _Key, name: str, reserved: int, kind: int, value: str) -> None:  # noqa: N802
        self.values[key.path, name] = (kind, value)

    def DeleteValue(self, key: _Key, name: str) -> None:  # noqa: N802
        if self.values.pop((key.path, name), None) is None:
            raise FileNotFoundError(2, "The system cannot find the file specified")


def test_start_at_login_writes_and_removes_the_run_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.autostart import RUN_KEY, RUN_VALUE, Autostart

    registry = _Winreg()
    monkeypatch.setattr(Autostart, "_winreg", lambda self: registry)
    argv = ["C:\\Program Files\\Workdeck\\pythonw.exe", "-m", "ui.cli", "--db", "D:\\work\\tasks.db", "--hidden"]
    auto = Autostart(argv, platform="win32")
    assert auto.path is None and not auto.enabled()
    auto.disable()  # nothing there: no error
    auto.enable()
    assert auto.enabled()
    # one command line, quoted as Windows parses it (the space in Program Files)
    assert registry.values[f"HKCU\\{RUN_KEY}", RUN_VALUE] == (
        _Winreg.REG_SZ, '"C:\\Program Files\\Workdeck\\pythonw.exe" -m ui.cli --db D:\\work\\tasks.db --hidden')
    auto.disable()
    assert not auto.enabled() and registry.values == {}


def test_the_windows_client_path_loads_no_qt() -> None:
    """Issue 14: a command line talking to the owner starts without Qt; on Windows too."""
    import subprocess

    code = (
        "import sys\n"
        "from engine import ipc\n"
        "from engine.platforms import owner_socket\n"
        "class NoPipe:\n"
        "    def CreateFile(self, *args):\n"
        "        error = OSError(None, 'no pipe'); error.winerror = 2; raise error\n"
        "owner_socket.owner_socket = lambda: owner_socket.WindowsOwnerSocket(pipe_api=NoPipe())\n"
        "sys.platform = 'win32'\n"
        "assert ipc.call(owner_socket.owner_socket().address('0' * 20), {'op': 'ping'}) is None\n"
        "print(sorted(n for n in sys.modules if n.startswith(('PySide6', 'shiboken6', 'platformdirs'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[3], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
