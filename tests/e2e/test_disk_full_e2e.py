"""A full disk under real ``workdeck`` processes, on a real 600 KB tmpfs (issue 11, item 2)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Workdeck, wait_until
from tests.tmpfs import fill, mounted_tmpfs

pytestmark = pytest.mark.linux


@pytest.fixture
def disk(tmp_path: Path, wd: Workdeck) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "600k") as where:
        wd.db = where / "deck.db"
        try:
            yield where
        finally:
            wd.cleanup()  # every process holding a file there ends before the unmount


def _one_line_disk_full(result: object) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("workdeck: disk full: database "), lines
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr  # type: ignore[attr-defined]


def _hold_snapshot(db: Path) -> sqlite3.Connection:
    """A reader that keeps its snapshot open (as a `list` beside an owner does): SQLite
    cannot rewind the write-ahead log under it, so every write must grow the file, and
    a full file system refuses it whatever room the log had left."""
    reader = sqlite3.connect(str(db))
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM tasks").fetchone()
    return reader


def _serve(wd: Workdeck, log: Path) -> subprocess.Popen[str]:
    """``workdeck serve`` with its stderr (its log) in ``log``, off the full disk."""
    with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(wd.argv("serve"), env=wd.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=stderr, text=True)
    wd.processes.append(proc)
    wait_until(lambda: proc.poll() is not None or wd.ping() is not None, what="serve to listen")
    assert proc.poll() is None, log.read_text()
    return proc


def _state(wd: Workdeck, task_id: str) -> str:
    return str(wd.json("show", task_id)["state"])


def _free(disk: Path) -> None:
    for filler in disk.glob("filler-*"):
        filler.unlink()


def test_through_the_owner_a_full_disk_is_one_line_and_no_run_stays_running(wd: Workdeck, disk: Path,
                                                                            tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    serve = _serve(wd, log)
    go = tmp_path / "go"
    parent = wd.ok("add", "--", "sh", "-c", f"while [ ! -e {go} ]; do sleep 0.02; done; seq 4000").strip()
    child = wd.ok("add", "--after", parent, "--", "echo", "child").strip()
    wait_until(lambda: _state(wd, parent) == "running", what="the parent to run")
    reader = _hold_snapshot(wd.db)
    fill(disk)
    go.touch()  # its 4000 lines of output and its end meet a full disk
    wait_until(lambda: "cannot write the database: disk full" in log.read_text(), what="serve to log it")
    # An add bigger than the whole disk: a small one may fit in room the log file kept
    # from before the reader's snapshot (seen once under load), and then rightly succeeds.
    _one_line_disk_full(wd.run("add", "--", "echo", *["x" * 100_000] * 7))
    assert _state(wd, parent) == "running" and _state(wd, child) == "blocked"  # the end is held, not lost
    reader.close()
    _free(disk)
    wd.ok("add", "--in", "1h", "--", "true")  # a write that succeeds: the owner retries at once
    wait_until(lambda: _state(wd, child) == "succeeded", what="the child to run after the parent's end")
    assert _state(wd, parent) == "succeeded"
    assert wd.ok("log", parent).splitlines()[-1] == "4000"
    assert wd.stop(serve) == 0


def test_with_no_owner_a_full_disk_is_one_line_and_nothing_is_written(wd: Workdeck, disk: Path) -> None:
    first = wd.ok("add", "--in", "1h", "--", "true").strip()
    fill(disk)
    _one_line_disk_full(wd.run("add", "--", "echo", "hi"))
    _one_line_disk_full(wd.run("cancel", first))
    assert [t["id"] for t in wd.json("list")] == [first]  # reading works on a full disk; nothing half-written
    assert _state(wd, first) == "enqueued"
    _free(disk)
    assert wd.run("add", "--", "echo", "hi").returncode == 0


def test_serve_starts_on_a_full_disk_and_says_what_it_cannot_do(wd: Workdeck, disk: Path, tmp_path: Path) -> None:
    waiting = wd.ok("add", "--", "echo", "waited").strip()  # due now; nothing runs it yet
    reader = _hold_snapshot(wd.db)
    fill(disk)
    log = tmp_path / "serve.log"
    serve = _serve(wd, log)
    wait_until(lambda: "cannot write the database: disk full" in log.read_text(), what="serve to say it")
    assert "no task starts until then" in log.read_text()
    _one_line_disk_full(wd.run("add", "--", "echo", "hi"))
    assert _state(wd, waiting) == "enqueued"
    reader.close()
    _free(disk)
    wd.ok("add", "--in", "1h", "--", "true")
    wait_until(lambda: _state(wd, waiting) == "succeeded", what="the waiting task to run once space returned")
    assert wd.stop(serve) == 0
