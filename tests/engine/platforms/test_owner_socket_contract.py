"""The owner's socket behaves the same on every platform (engine.platforms.owner_socket).

One suite, run against the real POSIX implementation (a Unix socket file) and against
the real Windows implementation (QLocalServer's named pipe, opened by the command line
through ``_winapi``) with ``_winapi`` replaced by a double that behaves as Windows does
(tests/engine/platforms/ownership_doubles.py). The owner's side is a real ``QLocalServer`` in
both; the client is blocking, so it runs on a helper thread while the test's thread
runs Qt's loop. Last, a real EngineHost answers ``ipc.call`` through each.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from engine import ipc
from engine.platforms import owner_socket as owner_socket_module
from engine.platforms.owner_socket import OwnerSocket, PosixOwnerSocket, WindowsOwnerSocket
from tests.engine.platforms.ownership_doubles import PipeNamespace


@pytest.fixture
def short_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short: a Unix socket's path must fit in sun_path; pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="wd-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    monkeypatch.setenv("TMPDIR", str(path))  # where QLocalServer puts a name that is not a path
    yield path
    shutil.rmtree(path, ignore_errors=True)


# A Unix socket file, and the named-pipe double made of Unix sockets: POSIX both.
@pytest.fixture(params=[pytest.param("posix", marks=pytest.mark.posix),
                        pytest.param("windows-double", marks=pytest.mark.posix)])
def sockets(request: pytest.FixtureRequest, short_dir: Path) -> OwnerSocket:
    if request.param == "posix":
        return PosixOwnerSocket()
    return WindowsOwnerSocket(pipe_api=PipeNamespace(short_dir))


@pytest.fixture
def address(sockets: OwnerSocket) -> str:
    return sockets.address("0123456789abcdef0123")


@pytest.fixture
def server(qapp: Any) -> Iterator[QLocalServer]:
    listening = QLocalServer()
    yield listening
    listening.close()


def in_thread(qtbot: Any, work: Callable[[], Any]) -> Any:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    try:
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    finally:
        thread.join(5)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def serve_with(server: QLocalServer, on_connection: Callable[[QLocalSocket], None]) -> list[QLocalSocket]:
    kept: list[QLocalSocket] = []

    def accept() -> None:
        while (sock := server.nextPendingConnection()) is not None:
            kept.append(sock)
            on_connection(sock)

    server.newConnection.connect(accept)
    return kept


def test_nobody_listening_means_none(sockets: OwnerSocket, address: str) -> None:
    assert sockets.connect(address, 1.0) is None


def test_a_line_each_way(sockets: OwnerSocket, address: str, server: QLocalServer, qtbot: Any) -> None:
    sockets.listen(server, address)

    def greet(sock: QLocalSocket) -> None:
        sock.write(b'{"hello": "workdeck"}\n')
        sock.readyRead.connect(lambda: sock.canReadLine() and sock.write(b"echo " + bytes(sock.readLine().data())))

    kept = serve_with(server, greet)

    def client() -> list[bytes]:
        stream = sockets.connect(address, 5.0)
        assert stream is not None
        try:
            received = b""
            while received.count(b"\n") < 1:
                received += stream.receive(5.0)
            stream.send_all(b"ping\n")
            while received.count(b"\n") < 2:
                received += stream.receive(5.0)
            return received.splitlines()
        finally:
            stream.close()

    assert in_thread(qtbot, client) == [b'{"hello": "workdeck"}', b"echo ping"]
    assert len(kept) == 1


def test_the_end_of_the_stream_is_empty_bytes(sockets: OwnerSocket, address: str, server: QLocalServer,
                                              qtbot: Any) -> None:
    sockets.listen(server, address)
    serve_with(server, lambda sock: sock.disconnectFromServer())

    def client() -> bytes:
        stream = sockets.connect(address, 5.0)
        assert stream is not None
        try:
            return stream.receive(5.0)
        finally:
            stream.close()

    assert in_thread(qtbot, client) == b""


def test_silence_is_a_timeout(sockets: OwnerSocket, address: str, server: QLocalServer, qtbot: Any) -> None:
    sockets.listen(server, address)
    kept = serve_with(server, lambda sock: None)

    def client() -> None:
        stream = sockets.connect(address, 5.0)
        assert stream is not None
        try:
            stream.receive(0.2)
        finally:
            stream.close()

    with pytest.raises(TimeoutError):
        in_thread(qtbot, client)
    assert len(kept) == 1


def test_only_the_user_may_connect(sockets: OwnerSocket, address: str, server: QLocalServer) -> None:
    sockets.listen(server, address)
    assert server.socketOptions() == QLocalServer.SocketOption.UserAccessOption
    if isinstance(sockets, PosixOwnerSocket):
        assert stat.S_IMODE(os.stat(address).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(address)).st_mode) == 0o700


def test_after_unlisten_nobody_answers(sockets: OwnerSocket, address: str, server: QLocalServer) -> None:
    sockets.listen(server, address)
    sockets.unlisten(server, address)
    assert not server.isListening()
    assert sockets.connect(address, 1.0) is None


def test_addresses_are_stable_and_one_per_database(sockets: OwnerSocket) -> None:
    one = sockets.address("0123456789abcdef0123")
    assert one == sockets.address("0123456789abcdef0123")
    assert one != sockets.address("fedcba98765432100123")
    if isinstance(sockets, WindowsOwnerSocket):
        assert one.startswith("\\\\.\\pipe\\workdeck-")
    else:
        assert len(os.fsencode(one)) <= 104  # macOS's sun_path


def test_the_windows_client_closes_its_handles(short_dir: Path, server: QLocalServer, qtbot: Any) -> None:
    pipes = PipeNamespace(short_dir)
    sockets = WindowsOwnerSocket(pipe_api=pipes)
    address = sockets.address("0123456789abcdef0123")
    sockets.listen(server, address)
    serve_with(server, lambda sock: sock.write(b"hi\n"))

    def client() -> bytes:
        stream = sockets.connect(address, 5.0)
        assert stream is not None
        data = stream.receive(5.0)
        stream.close()
        stream.close()  # twice is harmless
        return data

    assert in_thread(qtbot, client) == b"hi\n"
    assert pipes.open_handles == 0 and len(pipes.closed) == 1


# ---------------------------------------------------------------- a real owner, through each


def test_a_real_owner_answers_through_each(sockets: OwnerSocket, monkeypatch: pytest.MonkeyPatch, short_dir: Path,
                                           tmp_path: Path, clock: Any, qtbot: Any) -> None:
    from engine.owner import host as owner_module
    from engine.owner import lock as owner_lock
    from engine.owner.host import EngineHost

    for module in (owner_socket_module, owner_module, owner_lock):  # the chooser, wherever it was imported
        monkeypatch.setattr(module, "owner_socket", lambda: sockets)
    host = EngineHost.open(tmp_path / "work.db", role="serve", clock=clock)
    host.start()
    try:
        if isinstance(sockets, WindowsOwnerSocket):
            assert host.socket_path.startswith("\\\\.\\pipe\\workdeck-")
            assert host.socket_path.endswith("-" + owner_lock.OwnerLock(host.store.path).holder()["pipe"])
        else:
            assert Path(host.socket_path).parent == short_dir / "workdeck"
        reply = in_thread(qtbot, lambda: ipc.call(host.socket_path, {"op": "ping"}, timeout=5.0))
        assert reply["ok"] is True and reply["role"] == "serve" and reply["pid"] == os.getpid()
        bad = in_thread(qtbot, lambda: ipc.call(host.socket_path, {"op": "cancel"}, timeout=5.0))
        assert bad == {"ok": False, "error": "cancel needs an id, a tag or a name", "exit": 2}
    finally:
        host.stop()
    assert ipc.call(host.socket_path, {"op": "ping"}, timeout=1.0) is None


@pytest.mark.posix
def test_a_long_runtime_folder_still_gives_a_socket_path_macos_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS's sun_path holds 104 bytes, and its runtime folder (platformdirs:
    ~/Library/Caches/TemporaryItems) can be long: the socket then goes to a short folder
    of ours, even when $TMPDIR is long too."""
    long_runtime = tmp_path / ("r" * 60)
    long_runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(long_runtime))
    short_tmp = Path(tempfile.mkdtemp(prefix="wd-"))
    slash_tmp = Path(f"/tmp/workdeck-{os.getuid()}")
    existed = slash_tmp.exists()
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))
        in_tmp = PosixOwnerSocket().address("0123456789abcdef0123")
        assert in_tmp == f"{short_tmp}/workdeck-{os.getuid()}/0123456789abcdef0123.sock"
        assert stat.S_IMODE(os.stat(os.path.dirname(in_tmp)).st_mode) == 0o700
        monkeypatch.setattr(tempfile, "tempdir", str(long_runtime))
        in_slash_tmp = PosixOwnerSocket().address("0123456789abcdef0123")
        assert in_slash_tmp == f"/tmp/workdeck-{os.getuid()}/0123456789abcdef0123.sock"
        assert max(len(os.fsencode(p)) for p in (in_tmp, in_slash_tmp)) <= 104
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)
        if not existed:
            shutil.rmtree(slash_tmp, ignore_errors=True)


# ---------------------------------------------------------------- Windows: no squatting on the pipe's name


def _use(monkeypatch: pytest.MonkeyPatch, sockets: OwnerSocket) -> None:
    from engine.owner import host as owner_module
    from engine.owner import lock as owner_lock

    for module in (owner_socket_module, owner_module, owner_lock):
        monkeypatch.setattr(module, "owner_socket", lambda: sockets)


def test_another_user_s_pipe_of_the_computable_name_never_hears_a_request(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Any, qtbot: Any
) -> None:
    """Pipe names are machine-wide: a squatter may create the name it can compute from
    the user's name and the database's path. The owner's real name has a random part
    that only its lock record (in the user's folder) tells."""
    from engine.owner.host import EngineHost

    sockets = WindowsOwnerSocket(pipe_api=PipeNamespace(short_dir))
    _use(monkeypatch, sockets)
    db = tmp_path / "work.db"
    computable = sockets.address(hashlib.sha256(os.fsencode(db.resolve())).hexdigest()[:20])
    squatter = QLocalServer()
    assert squatter.listen(computable)
    heard = serve_with(squatter, lambda sock: sock.write(b'{"hello": "workdeck", "pid": 1}\n{"ok": true}\n'))
    host = EngineHost.open(db, role="serve", clock=clock)
    host.start()
    try:
        assert host.socket_path != computable and host.socket_path.startswith(computable + "-")
        reply = in_thread(qtbot, lambda: ipc.call(host.socket_path, {"op": "ping"}, timeout=5.0))
        assert reply["pid"] == os.getpid()
    finally:
        host.stop()
        squatter.close()
    assert heard == []


def test_with_no_record_to_read_the_command_line_does_not_guess_a_pipe(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Any, qapp: Any
) -> None:
    from engine.owner import lock as owner_lock
    from engine.owner.host import EngineHost

    _use(monkeypatch, WindowsOwnerSocket(pipe_api=PipeNamespace(short_dir)))
    db = tmp_path / "work.db"
    assert owner_lock.socket_path(db) == ""  # nobody owns it: no record
    assert ipc.call("", {"op": "ping"}) is None

    def disk_full(role: str) -> dict[str, Any]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(owner_lock.OwnerLock, "_record", staticmethod(disk_full))
    host = EngineHost.open(db, role="serve", clock=clock)  # the lock is what owns; the record only informs
    try:
        assert host.socket_path == "" and owner_lock.socket_path(db) == ""
        host.start()  # starts, unreachable, and says so in the log
        assert ipc.call(owner_lock.socket_path(db), {"op": "ping"}) is None
    finally:
        host.stop()


def test_posix_socket_paths_carry_no_secret(short_dir: Path, tmp_path: Path) -> None:
    from engine.owner import lock as owner_lock

    assert not PosixOwnerSocket.shared_namespace
    path = owner_lock.socket_path(tmp_path / "work.db")
    assert Path(path).parent == short_dir / "workdeck" and path.endswith(".sock")
