"""Ownership (the lock, the socket) and the request protocol, in one process.

The blocking client runs on a helper thread while the test's thread runs Qt's loop
through ``qtbot.waitUntil``; real processes are in tests/e2e.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import ipc
from engine.errors import AlreadyOwnedError, EnvironmentFaultError, NotAWorkdeckDatabaseError
from engine.model import Kind, State, TaskSpec
from engine.owner.host import EngineHost, OwnerLock, lock_path, socket_path
from tests.contract import assert_task_json


@pytest.fixture(autouse=True)
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short: a socket path must fit in sun_path (~104 bytes); pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="wd-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "work.db"


@pytest.fixture
def host(db: Path, clock: Any, qapp: Any) -> Iterator[EngineHost]:
    owner = EngineHost.open(db, role="serve", clock=clock)
    owner.start()
    yield owner
    owner.stop()


def call_in_thread(qtbot: Any, path: str, request: dict[str, Any]) -> Any:
    """ipc.call blocks; run it beside Qt's loop and wait for its answer."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["reply"] = ipc.call(path, request, timeout=5.0)
        except Exception as exc:  # handed to the test thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    try:
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    finally:
        thread.join(5)
    if "error" in box:
        raise box["error"]
    return box["reply"]


# ---------------------------------------------------------------- the lock


def test_the_lock_is_exclusive_and_names_its_holder(db: Path) -> None:
    first, second = OwnerLock(db), OwnerLock(db)
    assert first.try_acquire("serve")
    with pytest.raises(AlreadyOwnedError) as caught:
        second.acquire("window", cli_wait=5.0)  # an owner holds it: no waiting
    assert caught.value.pid == os.getpid() and caught.value.role == "serve"
    assert f"workdeck serve (pid {os.getpid()})" in str(caught.value)
    first.release()
    assert second.try_acquire("window")
    second.release()


def test_a_command_line_holder_is_reported_when_the_wait_runs_out(db: Path) -> None:
    cli = OwnerLock(db)
    assert cli.try_acquire("cli")
    with pytest.raises(AlreadyOwnedError, match="workdeck cli"):
        OwnerLock(db).acquire("serve", cli_wait=0)
    cli.release()


@pytest.mark.realtime
def test_an_owner_waits_for_a_command_lines_short_write(db: Path) -> None:
    cli = OwnerLock(db)
    assert cli.try_acquire("cli")
    releaser = threading.Timer(0.05, cli.release)
    releaser.start()
    owner = OwnerLock(db)
    try:
        owner.acquire("serve", cli_wait=3.0)
        assert owner.held and owner.holder() == {"pid": os.getpid(), "role": "serve"}
    finally:
        releaser.join()
        owner.release()


def test_two_spellings_of_one_database_share_a_lock_and_a_socket(tmp_path: Path, db: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path)
    other = tmp_path / "link" / "work.db"
    assert lock_path(other) == lock_path(db)
    assert socket_path(other) == socket_path(db)
    assert socket_path(tmp_path / "another.db") != socket_path(db)
    assert len(os.fsencode(socket_path(db))) <= 104


def test_an_unusable_database_gets_no_lock_file(tmp_path: Path, qapp: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n")
    with pytest.raises(NotAWorkdeckDatabaseError):
        EngineHost.open(notes, role="serve")
    assert notes.read_text() == "not a database\n"
    assert not lock_path(notes).exists()


# ---------------------------------------------------------------- the host


def test_a_second_host_is_refused_while_the_first_owns(host: EngineHost, db: Path) -> None:
    with pytest.raises(AlreadyOwnedError, match=f"serve \\(pid {os.getpid()}\\)"):
        EngineHost.open(db, role="window")


def test_stop_frees_the_database_and_the_socket(db: Path, clock: Any, qapp: Any) -> None:
    owner = EngineHost.open(db, role="serve", clock=clock)
    owner.start()
    assert os.path.exists(owner.socket_path)
    owner.stop()
    assert not os.path.exists(owner.socket_path)
    assert ipc.call(owner.socket_path, {"op": "ping"}) is None
    again = EngineHost.open(db, role="window", clock=clock)
    again.stop()  # never started: stop still releases


def test_the_first_due_run_starts_with_the_reaper_watching_and_the_socket_listening(
        db: Path, clock: Any, qapp: Any, qtbot: Any) -> None:
    """Issue 14: what protects the user's work comes before the first run (the lock, the
    socket, the reaper told of every group, the engine's recovery); the pruner and the
    manifest's receivers come after it, so the first run does not wait for them."""
    from engine.engine import Engine
    from engine.store import Store

    store = Store(db)
    task = Engine(store, clock).enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED))
    store.close()
    owner = EngineHost.open(db, role="serve", clock=clock)
    seen: list[tuple[Any, ...]] = []
    owner.engine.run_started.connect(lambda run: seen.append((
        run.task_id, owner.engine.group_watcher is not None and owner.engine.group_watcher is owner._reaper,
        owner._server is not None, os.path.exists(owner.socket_path), owner.pruner, owner.manifest_receivers)))
    owner.start()
    try:
        assert seen == [(task.id, True, True, True, None, None)]
        assert os.path.exists(owner.socket_path) and owner.pruner is not None and owner.manifest_receivers is not None
        qtbot.waitUntil(lambda: owner.engine.task(task.id).state is State.SUCCEEDED, timeout=10_000)
        reply = call_in_thread(qtbot, owner.socket_path, {"op": "ping"})
        assert reply is not None and reply["role"] == "serve"
    finally:
        owner.stop()


def test_a_stale_socket_from_a_crash_is_replaced(db: Path, clock: Any, qapp: Any, qtbot: Any) -> None:
    Path(socket_path(db)).write_text("left by a crash")
    owner = EngineHost.open(db, role="serve", clock=clock)
    owner.start()
    try:
        reply = call_in_thread(qtbot, owner.socket_path, {"op": "ping"})
        assert reply == {"ok": True, "hello": "workdeck", "pid": os.getpid(), "role": "serve", "v": 1}
    finally:
        owner.stop()


def test_no_owner_means_no_reply(db: Path) -> None:
    assert ipc.call(socket_path(db), {"op": "ping"}) is None


def test_add_goes_through_the_engine(host: EngineHost, qtbot: Any, clock: Any) -> None:
    spec = TaskSpec(worker="shell", args=("echo", "hi"), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1),
                    tags=("t",))
    with qtbot.waitSignal(host.engine.task_added):
        reply = call_in_thread(qtbot, host.socket_path, {"op": "add", "spec": spec.to_json()})
    assert reply["ok"] is True
    assert_task_json(reply["task"])
    assert reply["task"]["state"] == "enqueued" and reply["task"]["command"] == ["echo", "hi"]
    stored = host.engine.task(reply["task"]["id"])
    assert stored.spec == spec


@pytest.mark.parametrize(
    ("request_", "status", "words"),
    [
        ({"op": "add", "spec": {"worker": "shell", "args": [], "kind": "immediate"}}, 2, "needs a command"),
        ({"op": "add", "spec": {"worker": "shell", "args": ["x"], "kind": "sometime"}}, 2, "malformed task spec"),
        ({"op": "add"}, 2, "malformed task spec"),
        ({"op": "cancel", "id": "nope"}, 3, "no such task: nope"),
        ({"op": "cancel", "tag": "nothing"}, 3, "no such task: tag nothing"),
        ({"op": "cancel"}, 2, "needs an id"),
        ({"op": "import", "path": "relative.toml"}, 2, "absolute path"),
        ({"op": "import"}, 2, "absolute path"),
        ({"op": "activate"}, 1, "has no window"),
        ({"op": "reboot"}, 1, "does not know the request"),
    ],
)
def test_refusals_carry_the_exit_status(
    host: EngineHost, qtbot: Any, request_: dict[str, Any], status: int, words: str
) -> None:
    reply = call_in_thread(qtbot, host.socket_path, request_)
    assert reply["ok"] is False and reply["exit"] == status
    assert words in reply["error"] and "\n" not in reply["error"]


def test_import_adds_the_file_s_tasks_in_the_owner(host: EngineHost, qtbot: Any, tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text('[tasks.later]\nrun = ["true"]\nkind = "deferred"\nat = "2099-01-01T00:00:00"\n')
    manifest.chmod(0o600)
    with qtbot.waitSignal(host.engine.task_added):
        reply = call_in_thread(qtbot, host.socket_path, {"op": "import", "path": str(manifest)})
    assert reply["ok"] is True and reply["receivers"] == 0
    (item,) = reply["imported"]
    assert (item["name"], item["added"]) == ("later", True)
    assert host.engine.task(item["id"]).name == "later"
    manifest.write_text('[tasks.a]\nrun = ["true"]\nretries = "x"\n')
    reply = call_in_thread(qtbot, host.socket_path, {"op": "import", "path": str(manifest)})
    assert reply["ok"] is False and reply["exit"] == 2
    assert reply["problems"] == [f"{manifest}:3: tasks.a.retries: must be an integer, not a string"]


def test_cancel_answers_with_the_cancelled_task(host: EngineHost, qtbot: Any, clock: Any) -> None:
    spec = TaskSpec(worker="shell", args=("true",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1),
                    tags=("batch",))
    ids = [host.engine.enqueue(spec).id for _ in range(2)]
    reply = call_in_thread(qtbot, host.socket_path, {"op": "cancel", "tag": "batch"})
    assert reply["ok"] is True
    assert sorted(t["id"] for t in reply["tasks"]) == sorted(ids)
    assert all(t["state"] == "cancelled" for t in reply["tasks"])
    assert all(host.engine.task(i).state is State.CANCELLED for i in ids)


def test_activate_asks_the_window_to_show(db: Path, clock: Any, qapp: Any, qtbot: Any) -> None:
    owner = EngineHost.open(db, role="window", clock=clock)
    owner.start()
    try:
        with qtbot.waitSignal(owner.activate_requested):
            reply = call_in_thread(qtbot, owner.socket_path, {"op": "activate"})
        assert reply["ok"] is True and reply["role"] == "window"
    finally:
        owner.stop()


def test_serve_yields_when_a_window_asks(host: EngineHost, qtbot: Any) -> None:
    with qtbot.waitSignal(host.yield_requested):
        reply = call_in_thread(qtbot, host.socket_path, {"op": "yield"})
    assert reply["ok"] is True and reply["role"] == "serve"


def test_a_window_does_not_yield(db: Path, clock: Any, qapp: Any, qtbot: Any) -> None:
    owner = EngineHost.open(db, role="window", clock=clock)
    owner.start()
    try:
        reply = call_in_thread(qtbot, owner.socket_path, {"op": "yield"})
        assert reply["ok"] is False and reply["exit"] == 1 and "does not hand it over" in reply["error"]
    finally:
        owner.stop()


def test_a_line_that_is_not_json_gets_an_error_and_the_connection_lives_on(host: EngineHost, qtbot: Any) -> None:
    import socket

    box: dict[str, Any] = {}

    def target() -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(host.socket_path)
            sock.sendall(b"{nope\n" + ipc.encode({"op": "ping"}))
            data = b""
            while data.count(b"\n") < 3:
                data += sock.recv(4096)
            box["lines"] = data.decode().splitlines()

    thread = threading.Thread(target=target)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    thread.join(5)
    hello, bad, pong = (__import__("json").loads(line) for line in box["lines"])
    assert hello["hello"] == "workdeck"
    assert bad == {"ok": False, "error": "a request must be one line of JSON", "exit": 2}
    assert pong["ok"] is True and pong["role"] == "serve"


@pytest.mark.posix
def test_the_socket_is_private(host: EngineHost, runtime_dir: Path) -> None:
    assert (runtime_dir / "workdeck").stat().st_mode & 0o777 == 0o700
    assert os.stat(host.socket_path).st_mode & 0o077 == 0


def test_the_owner_prunes_history_on_its_idle_timer(db: Path, clock: Any, qapp: Any) -> None:
    from engine.history.pruner import FIRST_DELAY
    from engine.store import Store
    from tests.engine.history_helpers import DAY, add_runs, add_task, finish_task, run_ids
    from engine.model import Outcome

    setup = Store(db)
    add_task(setup, clock, "busy")
    add_runs(setup, "busy", [(60 * DAY, Outcome.SUCCEEDED)] * 700, now_us=clock.now_us())
    add_task(setup, clock, "old")
    finish_task(setup, clock, "old", State.SUCCEEDED, days_ago=45)
    setup.close()
    owner = EngineHost.open(db, role="serve", clock=clock)
    removed: list[str] = []
    owner.engine.task_removed.connect(removed.append)
    try:
        owner.start()
        assert owner.pruner is not None and owner.pruner.active
        clock.advance(FIRST_DELAY + 5)
        assert len(run_ids(owner.store, "busy")) == 100 and removed == ["old"]
        assert owner.store.task("busy", with_runs=False).totals.total == 700
    finally:
        owner.stop()
    assert owner.pruner is not None and not owner.pruner.active  # nothing left armed


def test_an_owner_that_cannot_listen_starts_nothing(db: Path, clock: Any, qapp: Any) -> None:
    """Listening comes before the first run: a serve that cannot publish its socket fails
    with every due task as it was, rather than interrupting the runs it had begun."""
    from engine.engine import Engine
    from engine.store import Store

    store = Store(db)
    task = Engine(store, clock).enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED))
    store.close()
    owner = EngineHost.open(db, role="serve", clock=clock)
    blocked = Path(owner.socket_path)
    blocked.mkdir()  # a directory where the socket goes: neither removable nor bindable
    (blocked / "in-the-way").write_text("")
    try:
        with pytest.raises(EnvironmentFaultError, match="cannot listen"):
            owner.start()
        assert owner.engine.runner.running() == []
    finally:
        owner.stop()
        (blocked / "in-the-way").unlink()
        blocked.rmdir()
    store = Store(db)
    try:
        left = Engine(store, clock).task(task.id)
        assert left.state is State.ENQUEUED and left.attempts == 0 and left.runs == ()
    finally:
        store.close()
