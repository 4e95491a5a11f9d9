"""Read-only databases can be read, and reading never writes (issue 11, item 7).

Read-only three ways: a chmod'd file, a chmod'd folder (root honours both: it is the
owner's intent), and a real read-only mount (a tmpfs remounted ro). Writes are refused
with one line and exit 2 (the user pointed --db at something that cannot be written:
bad input, nothing written).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Workdeck
from tests.tmpfs import mounted_tmpfs, remount


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file in ``folder`` with its size and modification time."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _made(wd: Workdeck) -> tuple[str, str]:
    """A database with a finished task (with output) and a waiting one, no owner running."""
    done = wd.ok("add", "--", "echo", "hello").strip()
    waiting = wd.ok("add", "--in", "1h", "--", "true").strip()
    serve = wd.serve()
    from tests.e2e.conftest import wait_until

    wait_until(lambda: wd.json("show", done)["state"] == "succeeded", what="the task to run")
    assert wd.stop(serve) == 0
    return done, waiting


def _reads_and_refuses_writes(wd: Workdeck, done: str, waiting: str, why: str) -> None:
    folder = wd.db.parent
    before = _listing(folder)
    assert {t["id"] for t in wd.json("list")} == {done, waiting}
    assert wd.json("show", done)["state"] == "succeeded"
    assert "hello" in wd.ok("show", waiting) or waiting in wd.ok("show", waiting)
    assert wd.ok("log", done) == "hello\n"
    assert f"[tasks.task-{waiting}]" in wd.ok("export")
    for args in (("add", "--", "true"), ("cancel", waiting), ("serve",)):
        result = wd.run(*args)
        assert result.returncode == 2, (args, result.returncode, result.stderr)
        assert result.stderr.splitlines() == [
            f"workdeck: database {wd.db} is read-only ({why}): Workdeck can only read it (list, show, log, "
            "export); choose a writable file with --db to change it"
        ], (args, result.stderr)
    assert _listing(folder) == before  # nothing created, nothing written


def test_a_read_only_file_is_read_and_never_written(wd: Workdeck) -> None:
    done, waiting = _made(wd)
    wd.db.chmod(0o444)
    _reads_and_refuses_writes(wd, done, waiting, "the file is read-only")


@pytest.mark.posix
def test_a_read_only_folder_is_read_and_never_written(wd: Workdeck, tmp_path: Path) -> None:
    done, waiting = _made(wd)
    (tmp_path / "e2e.db.lock").unlink()  # as a folder made read-only after use might be
    tmp_path.chmod(0o555)
    try:
        _reads_and_refuses_writes(wd, done, waiting, f"its folder {tmp_path} is read-only")
    finally:
        tmp_path.chmod(0o755)


@pytest.fixture
def mount(tmp_path: Path, wd: Workdeck) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "mnt", "4m") as where:
        try:
            yield where
        finally:
            wd.cleanup()
            remount(where, "rw")


@pytest.mark.linux
def test_a_read_only_mount_is_read_and_never_written(wd: Workdeck, mount: Path) -> None:
    wd.db = mount / "deck.db"
    done, waiting = _made(wd)
    (mount / "deck.db.lock").unlink()
    remount(mount, "ro")
    _reads_and_refuses_writes(wd, done, waiting, f"{mount} is on a read-only mount")


@pytest.mark.linux
def test_a_crash_left_log_on_a_read_only_mount_is_read_or_refused_in_one_line(wd: Workdeck, mount: Path,
                                                                               tmp_path: Path) -> None:
    """Changes still in the -wal (an owner died before a checkpoint) are read through the
    -shm; without a -shm SQLite cannot read them read-only: one line, never stale data."""
    source = tmp_path / "src.db"
    wd.ok("add", "--in", "1h", "--", "true")  # a Workdeck database to copy
    shutil.copy(wd.db, source)
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE tasks SET attempts = 7")
    writer.commit()
    for suffix in ("", "-wal", "-shm"):  # the files as a crash leaves them
        shutil.copy(f"{source}{suffix}", mount / f"deck.db{suffix}")
    writer.close()
    wd.db = mount / "deck.db"
    remount(mount, "ro")
    assert [t["attempts"] for t in wd.json("list")] == [7]
    remount(mount, "rw")
    (mount / "deck.db-shm").unlink()
    remount(mount, "ro")
    result = wd.run("list")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "its write-ahead log deck.db-wal holds changes" in result.stderr


def test_reading_an_empty_or_missing_file_writes_nothing(wd: Workdeck, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    wd.db = missing
    assert wd.run("list").stdout == "" and wd.ok("list", "--json").strip() == "[]"
    assert wd.run("show", "abc").returncode == 3 and wd.run("log", "abc").returncode == 3
    assert "version = 1" in wd.ok("export")
    assert not missing.exists() and sorted(os.listdir(tmp_path)) == []

    empty = tmp_path / "empty.db"
    empty.touch()
    wd.db = empty
    result = wd.run("list")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert wd.ok("list", "--json").strip() == "[]"
    assert wd.run("show", "abc").returncode == 3
    assert empty.stat().st_size == 0 and sorted(os.listdir(tmp_path)) == ["empty.db"]  # no schema written
