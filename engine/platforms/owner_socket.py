"""The owner's local socket: where it listens, how it listens, how a command line connects.

The owner (the window, ``serve``) listens with Qt's ``QLocalServer`` on every platform:
on POSIX that is a Unix socket file, on Windows a named pipe. The command line connects
without Qt (importing QtNetwork would double its start-up, issue 14): a plain
``AF_UNIX`` socket on POSIX, the named pipe through ``_winapi`` on Windows
(:mod:`engine.platforms.named_pipe`). Only the user can connect: on POSIX the socket
file is 0600 in a 0700 folder of the user's; on Windows ``UserAccessOption`` makes Qt
give the pipe a DACL granting the user alone.

The interface (:class:`OwnerSocket`):

- ``address(digest)``: where the owner of the database with this digest listens
  (a socket path on POSIX, ``\\\\.\\pipe\\workdeck-USER-DIGEST`` on Windows, to which
  engine.owner.lock.socket_path adds the owner's secret: ``shared_namespace``);
- ``listen(server, address)`` / ``unlisten(server, address)``: the owner's side, given
  its ``QLocalServer`` (QtNetwork is imported by the owner, never here at module level);
- ``connect(address, timeout)``: the command line's side, a :class:`ClientStream` or
  None when nobody listens there.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine import private_files
from engine.errors import EnvironmentFaultError

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer

#: sun_path is 108 bytes on Linux and 104 on the BSDs and macOS (with its NUL).
MAX_SOCKET_PATH = 100


class ClientStream(Protocol):
    def send_all(self, data: bytes) -> None:
        """Send everything; BrokenPipeError or ConnectionResetError if the owner went away."""

    def receive(self, timeout: float) -> bytes:
        """What arrived (at most 64 KiB), waiting up to ``timeout`` seconds; b"" at the end of
        the stream (or a reset connection); TimeoutError when nothing came in time."""

    def close(self) -> None: ...


class OwnerSocket(Protocol):
    #: Whether addresses are one namespace for every user of the machine (Windows' pipes),
    #: not a folder of the user's: the owner then adds a secret part (engine.owner.lock.socket_path).
    shared_namespace: bool

    def address(self, digest: str) -> str: ...

    def listen(self, server: QLocalServer, address: str) -> None:
        """Make ``server`` listen at ``address`` for this user alone; EnvironmentFaultError if it cannot."""

    def unlisten(self, server: QLocalServer, address: str) -> None: ...

    def connect(self, address: str, timeout: float) -> ClientStream | None: ...


def owner_socket() -> OwnerSocket:
    """The implementation for the platform this runs on (macOS and the BSDs are POSIX)."""
    if sys.platform == "win32":
        return WindowsOwnerSocket()
    return PosixOwnerSocket()


def _listen_for_user_only(server: QLocalServer, address: str) -> None:
    from PySide6.QtNetwork import QLocalServer

    server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    if not server.listen(address):
        raise EnvironmentFaultError(f"cannot listen on {address}: {server.errorString()}")


# ---------------------------------------------------------------- POSIX


class PosixOwnerSocket:
    """A Unix socket file in the user's runtime folder (0700), itself 0600."""

    shared_namespace = False

    def address(self, digest: str) -> str:
        if sys.platform == "win32":  # tells mypy the rest is POSIX's
            raise OSError("Unix sockets are POSIX's")
        path = runtime_dir() / f"{digest}.sock"
        if len(os.fsencode(path)) > MAX_SOCKET_PATH:
            # macOS's runtime dir (~/Library/Caches/TemporaryItems) can be this long.
            import tempfile  # rarely needed: not on every command line's path

            folder = Path(tempfile.gettempdir())
            if len(os.fsencode(folder)) > MAX_SOCKET_PATH - 40:  # a very long $TMPDIR
                folder = Path("/tmp")
            path = _private_dir(folder / f"workdeck-{os.getuid()}") / f"{digest}.sock"
        return str(path)

    def listen(self, server: QLocalServer, address: str) -> None:
        from PySide6.QtNetwork import QLocalServer

        QLocalServer.removeServer(address)  # a crash's leftover: safe, only the lock holder listens
        _listen_for_user_only(server, address)
        os.chmod(address, private_files.FILE_MODE)  # Qt's UserAccessOption leaves it 0700

    def unlisten(self, server: QLocalServer, address: str) -> None:
        from PySide6.QtNetwork import QLocalServer

        server.close()  # new command lines now fall back to the database
        QLocalServer.removeServer(address)

    def connect(self, address: str, timeout: float) -> ClientStream | None:
        if sys.platform == "win32":
            raise OSError("Unix sockets are POSIX's")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
            sock.close()
            return None
        except BaseException:
            sock.close()
            raise
        return _UnixStream(sock)


class _UnixStream:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def send_all(self, data: bytes) -> None:
        self._sock.sendall(data)

    def receive(self, timeout: float) -> bytes:
        self._sock.settimeout(timeout)
        try:
            return self._sock.recv(65536)
        except ConnectionResetError:
            return b""

    def close(self) -> None:
        self._sock.close()


def runtime_dir() -> Path:
    """The user's runtime dir for Workdeck (``$XDG_RUNTIME_DIR/workdeck``), mode 0700."""
    path = _xdg_runtime_dir()
    if path is not None:
        return _private_dir(path)
    import platformdirs

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp/runtime-UID;
        # the fallback is fine for us because we create it 0700 and check its owner.
        warnings.simplefilter("ignore")
        path = Path(platformdirs.user_runtime_dir("workdeck"))
    return _private_dir(path)


def _xdg_runtime_dir() -> Path | None:
    """``$XDG_RUNTIME_DIR/workdeck`` when the variable names what the XDG spec asks for (an
    absolute path to a real directory of ours, mode 0700): platformdirs' answer in that,
    the usual, case. Answered here because importing platformdirs (it compiles regular
    expressions) was a tenth of every command line's start-up; any other case is its."""
    if sys.platform == "win32":  # no runtime folder there: the owner listens on a named pipe
        return None
    value = os.environ.get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(value):
        return None
    try:
        info = os.lstat(value)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return Path(value) / "workdeck"


def _private_dir(path: Path) -> Path:
    try:
        path.mkdir(mode=private_files.FOLDER_MODE, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise EnvironmentFaultError(f"cannot create the runtime folder {path}: {exc.strerror or exc}") from None
    if sys.platform == "win32":
        # Windows has ACLs, not modes (st_uid is always 0 there); folders under the
        # user's profile are the user's alone by their inherited ACL.
        return path
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise EnvironmentFaultError(
            f"the runtime folder {path} must belong to you with mode 0700 (it has {info.st_mode & 0o777:o}): "
            "fix or remove it"
        )
    return path


# ---------------------------------------------------------------- Windows


class WindowsOwnerSocket:
    """A named pipe: ``QLocalServer`` creates it, the command line opens it with ``_winapi``.

    Pipe names are one namespace for the whole machine, not a folder of the user's: the
    name carries the user's name and the database's digest, and the owner adds a secret
    part (engine.owner.lock.socket_path), so no one else can create our pipe before us;
    the DACL (Qt's ``UserAccessOption``) keeps other users out of ours.
    """

    shared_namespace = True

    PREFIX = "\\\\.\\pipe\\"

    def __init__(self, pipe_api: Any = None) -> None:
        self._pipe_api = pipe_api  # None: CPython's _winapi (tests pass a stand-in)

    def address(self, digest: str) -> str:
        user = "".join(c if c.isalnum() or c in "-_." else "_" for c in _user_name())
        return f"{self.PREFIX}workdeck-{user}-{digest}"

    def listen(self, server: QLocalServer, address: str) -> None:
        # No file to remove before (a pipe goes with its last handle) or to chmod after.
        _listen_for_user_only(server, address)

    def unlisten(self, server: QLocalServer, address: str) -> None:
        server.close()

    def connect(self, address: str, timeout: float) -> ClientStream | None:
        from engine.platforms.named_pipe import connect

        return connect(address, timeout, api=self._pipe_api)


def _user_name() -> str:
    """The login name without a lookup in the user database (no ``pwd`` on Windows)."""
    for variable in ("USERNAME", "USER", "LOGNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    return "user"
