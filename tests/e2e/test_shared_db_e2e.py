"""End to end: many command lines at once, private files, other users (issue 11, items 3, 4, 11)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import ipc
from engine.model import State
from engine.owner.lock import socket_path
from tests.e2e.conftest import ROOT, Workdeck, wait_until

pytestmark = pytest.mark.e2e

PARALLEL_ADDS = 200


@pytest.mark.timeout(900)  # 200 Python processes start on a small shared machine
def test_parallel_adds_with_no_owner_all_commit(wd: Workdeck) -> None:
    """Scripts and cron jobs start adds side by side: none may fail for want of the lock."""
    procs = [
        subprocess.Popen(wd.argv("add", "--name", f"job{i}", "--", "true"), env=wd.env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(PARALLEL_ADDS)
    ]
    wd.processes.extend(procs)
    failures = []
    ids = set()
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            failures.append((proc.returncode, err.strip()))
        else:
            ids.add(out.strip())
    assert not failures, f"{len(failures)} of {PARALLEL_ADDS} adds failed, e.g. {failures[:3]}"
    with wd.store() as store:
        tasks = store.tasks()
    assert {t.id for t in tasks} == ids and len(ids) == PARALLEL_ADDS
    assert all(t.state is State.ENQUEUED for t in tasks)
    assert sorted(t.spec.name or "" for t in tasks) == sorted(f"job{i}" for i in range(PARALLEL_ADDS))


# ---------------------------------------------------------------- private files (item 4)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common default umask: files 0644, folders 0755 unless Workdeck says otherwise.
    Processes the test starts inherit it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.posix
def test_a_new_default_database_is_private_whatever_the_umask(wd: Workdeck, tmp_path: Path, umask_022: None) -> None:
    data_home = tmp_path / "home-data"
    env = {**wd.env, "XDG_DATA_HOME": str(data_home)}
    argv = [arg for arg in wd.argv("add", "--", "true") if arg not in ("--db", str(wd.db))]
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    folder = data_home / "workdeck"
    db = folder / "workdeck.db"
    serve = subprocess.Popen([*argv[:3], "serve"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    wd.processes.append(serve)
    socket = Path(socket_path(db))
    wait_until(lambda: ipc.call(str(socket), {"op": "ping"}, timeout=5.0) is not None, what="serve to answer")
    assert _mode(folder) == 0o700
    for file in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.lock"), socket):
        assert _mode(file) == 0o600, f"{file} is {_mode(file):o}"
    wd.stop(serve)


@pytest.mark.posix
def test_an_existing_0644_database_is_tightened_at_start_with_a_log_line(
    wd: Workdeck, umask_022: None
) -> None:
    wd.ok("add", "--", "true")
    for file in (wd.db, Path(f"{wd.db}.lock")):
        os.chmod(file, 0o644)  # as main left them
    serve = wd.serve()
    assert _mode(wd.db) == 0o600 and _mode(Path(f"{wd.db}.lock")) == 0o600
    for side in (Path(f"{wd.db}-wal"), Path(f"{wd.db}-shm")):
        assert _mode(side) == 0o600  # SQLite gives them the database file's mode
    serve.terminate()
    _, log = serve.communicate(timeout=20)
    assert f"tightened {wd.db} from mode 644 to 600" in log, log


# ---------------------------------------------------------------- other users (item 11)


@pytest.fixture
def other_user() -> Iterator[tuple[int, int]]:
    """A second real local user (uid, gid), removed at teardown."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a second user (CI runs as root)")
    import pwd  # POSIX's: imported here so the module still loads on Windows

    name = f"wdt{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True,
                   capture_output=True)
    try:
        info = pwd.getpwnam(name)
        yield info.pw_uid, info.pw_gid
    finally:
        subprocess.run(["userdel", name], check=True, capture_output=True)


@pytest.fixture
def shared_folder(tmp_path: Path) -> Path:
    """A folder every user may write in, not sticky (a group project folder): there the
    kernel's protected_symlinks does not stop root from following another user's link."""
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    os.chmod(tmp_path, 0o755)
    return folder


def _planted_symlink(link: Path, target: Path, owner: tuple[int, int]) -> None:
    link.symlink_to(target)
    os.lchown(link, *owner)


def _refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and words in result.stderr, result.stderr


@pytest.mark.linux
def test_another_users_symlink_at_the_lock_path_is_not_followed(
    wd: Workdeck, other_user: tuple[int, int], shared_folder: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    db = shared_folder / "x.db"
    _planted_symlink(shared_folder / "x.db.lock", victim, other_user)
    _refused(wd.run("add", "--", "true", db=db), "symbolic link")
    assert victim.read_text() == "precious\n"
    assert not db.exists()


@pytest.mark.linux
def test_another_users_symlink_at_the_database_path_is_refused(
    wd: Workdeck, other_user: tuple[int, int], shared_folder: Path, tmp_path: Path
) -> None:
    unrelated = tmp_path / "unrelated.empty"
    unrelated.write_bytes(b"")
    db = shared_folder / "x.db"
    _planted_symlink(db, unrelated, other_user)
    _refused(wd.run("add", "--", "true", db=db), "symbolic link")
    assert unrelated.read_bytes() == b""
    assert not list(tmp_path.glob("unrelated.empty-*"))


@pytest.mark.posix
def test_my_own_symlink_to_my_own_database_is_followed(wd: Workdeck, tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    first = wd.run("add", "--", "true", db=real)
    assert first.returncode == 0, first.stderr
    link = tmp_path / "link.db"
    link.symlink_to(real)
    second = wd.run("add", "--", "true", db=link)
    assert second.returncode == 0, second.stderr
    listed = wd.run("list", "--json", db=real)
    assert {t["id"] for t in json.loads(listed.stdout)} == {first.stdout.strip(), second.stdout.strip()}


@pytest.mark.linux
def test_root_refuses_to_serve_a_database_another_user_owns(
    wd: Workdeck, other_user: tuple[int, int], shared_folder: Path, tmp_path: Path
) -> None:
    db = shared_folder / "theirs.db"
    witness = tmp_path / "ran-as-root"
    assert wd.run("add", "--", "touch", str(witness), db=db).returncode == 0
    for file in shared_folder.iterdir():
        os.chown(file, *other_user)  # as if they had made it
    serve = wd.popen("serve", db=db)
    _, err = serve.communicate(timeout=60)
    assert serve.returncode == 2, err
    assert f"owned by uid {other_user[0]}" in err
    assert not witness.exists()
    _refused(wd.run("add", "--", "true", db=db), f"owned by uid {other_user[0]}")
