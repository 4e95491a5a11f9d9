"""The command line is a thin client of a running owner (issue 14).

On the owner's path a command parses its arguments, sends the request and prints the
answer: ``python -X importtime`` shows it loads neither Qt, nor the workers, nor httpx.
What needs the engine (the workers' checks, the repeat rules) the owner checks, and
its refusal is the same one line, exit 2, nothing written, as the direct path's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ipc
from engine.owner.lock import socket_path
from engine.store import Store
from tests.e2e.conftest import ROOT, Workdeck, wait_until

pytestmark = pytest.mark.e2e

HEAVY = ("PySide6", "shiboken6", "httpx", "engine.workers")
#: What a plain ``add`` through an owner (ui.cli.thin) no longer loads, each of which
#: cost it a millisecond or more: it imports little more than ``import socket, json``.
#: (typing is back on the path with engine.platforms.owner_socket's Protocol classes.)
QUICK_ADD_SKIPS = ("argparse", "gettext", "engine.model", "dataclasses", "inspect", "datetime", "zoneinfo",
                   "ui.cli.spec", "ui.cli.history", "engine.timeparse", "engine.clock", "hashlib", "_hashlib",
                   "logging", "sqlite3", "platformdirs", "engine.store_faults")


def imported_modules(stderr: str) -> list[str]:
    """The modules ``-X importtime`` reports, by their dotted name."""
    names = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":  # the header line
                names.append(name)
    return names


def importtime(wd: Workdeck, *args: str, env: dict[str, str] | None = None,
               db: bool = True) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    argv = [sys.executable, "-X", "importtime", "-m", "ui.cli", *(("--db", str(wd.db)) if db else ()), *args]
    result = subprocess.run(argv, env=env or wd.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    return result, imported_modules(result.stderr)


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


def test_the_owner_path_of_every_client_command_imports_no_qt_workers_or_httpx(wd: Workdeck, tmp_path: Path) -> None:
    wd.serve()
    manifest = tmp_path / "tasks.toml"
    manifest.write_text('[tasks.nightly]\nrun = ["true"]\n')
    manifest.chmod(0o600)

    result, modules = importtime(wd, "add", "--", "true")
    assert result.returncode == 0, result.stderr
    task_id = result.stdout.strip()
    # The measurement is honest: the header was parsed and the light modules are there.
    assert "ui.cli.thin" in modules and "engine.ipc" in modules and "socket" in modules
    assert heavy(modules) == []
    assert [m for m in modules if m in QUICK_ADD_SKIPS] == []
    # ui.cli is a package whose __init__ imports no command's module: thin is the only one.
    assert [m for m in modules if m.startswith("ui.cli.")] == ["ui.cli.thin"]
    with wd.store() as store:  # the owner wrote it (the command line never opened the database)
        assert store.task(task_id).spec.args == ("true",)

    # The same for the options the quick path knows, and for the default database
    # (found without platformdirs: XDG_DATA_HOME's workdeck/workdeck.db).
    result, modules = importtime(wd, "add", "--defer", "--name", "n", "--tag", "a", "--tag", "b", "--json", "--", "true")
    assert result.returncode == 0, result.stderr
    task = json.loads(result.stdout)
    assert (task["kind"], task["name"], task["tags"]) == ("deferred", "n", ["a", "b"]), task
    assert "ui.cli.thin" in modules and [m for m in modules if m in QUICK_ADD_SKIPS] == []
    data_home = tmp_path / "data"
    (data_home / "workdeck").mkdir(parents=True, mode=0o700)
    default_env = {**wd.env, "XDG_DATA_HOME": str(data_home)}
    default_db = data_home / "workdeck" / "workdeck.db"
    serve = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve"], env=default_env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    wd.processes.append(serve)
    wait_until(lambda: ipc.call(socket_path(default_db), {"op": "ping"}, timeout=5.0) is not None,
               what="serve on the default database")
    result, modules = importtime(wd, "add", "--", "true", env=default_env, db=False)
    assert result.returncode == 0, result.stderr
    assert "ui.cli.thin" in modules and [m for m in modules if m in QUICK_ADD_SKIPS] == []
    assert count_tasks(default_db) == 1
    assert wd.stop(serve) == 0
    # Any other form takes the full command line (and still no Qt, workers or httpx).
    result, modules = importtime(wd, "add", "--in", "1h", "--", "true")
    assert result.returncode == 0, result.stderr
    assert "ui.cli.spec" in modules and heavy(modules) == []

    for args in (
        ("remind", "--in", "1h", "tea"),
        ("add", "--at", "23:59", "--cron", "0 8 * * 1", "--tag", "t", "--", "echo", "x"),
        ("list",), ("list", "--json"), ("show", task_id), ("show", task_id, "--json"), ("log", task_id),
        ("import", str(manifest)),
        ("cancel", "--tag", "t"),
    ):
        result, modules = importtime(wd, *args)
        assert result.returncode == 0, (args, result.stderr[-2000:])
        assert heavy(modules) == [], (args, heavy(modules))


# Refusals only the engine can make (the workers' and the repeat rules' checks, an
# alarm's first occurrence): the owner makes them on its path.
ENGINE_REFUSALS = [
    (["add", "--cron", "* *", "--", "true"], "invalid cron expression"),
    (["add", "--defer", "--rrule", "FREQ=SOMETIMES", "--", "true"], "invalid RRULE"),
    (["add", "--", ""], "command must not be empty"),
    (["add", "--defer", "--tag", " ", "--", "true"], "a tag must not be empty"),
    (["add", "--name", " ", "--", "true"], "unique name must not be empty"),
    (["add", "--at", "2001-01-01T00:00:00+00:00", "--rrule", "FREQ=DAILY;COUNT=2", "--", "true"],
     "no occurrence after now"),
    (["add", "--after", "000000000000", "--", "true"], "no such task"),
    (["remind", "--at", "2001-02-03T04:05:06", "tea"], "that time has passed"),
    # More than the owner reads in a request (1 MiB): it dropped the connection, and the
    # command line waited 10 s for the lock and said the database was owned (exit 1).
    (["add", "--", "echo", *["x" * 120_000] * 9], "the task is too large"),
    (["add", "--in", "1h", "--", "echo", *["x" * 120_000] * 9], "the task is too large"),
    (["remind", "--in", "1h", *["x" * 120_000] * 9], "the task is too large"),
]


def snapshot(folder: Path) -> dict[str, bytes]:
    """The folder's files and contents; the lock file's holder record (a pid) aside:
    refusals that read the database take the lock for that moment."""
    return {
        p.name: b"" if p.name.endswith(".lock") else p.read_bytes()
        for p in folder.iterdir() if p.is_file() and not p.name.endswith("-shm")
    }


def count_tasks(db: Path) -> int:
    store = Store(db)
    try:
        return len(store.tasks())
    finally:
        store.close()


def test_refusals_are_the_same_line_and_exit_2_through_the_owner_and_directly(wd: Workdeck, tmp_path: Path) -> None:
    direct_db = tmp_path / "direct" / "work.db"
    direct_db.parent.mkdir()
    assert wd.run("add", "--defer", "--", "true", db=direct_db).returncode == 0  # the lock file exists from here on
    direct_before = snapshot(direct_db.parent)

    def refuse(args: list[str], db: Path) -> str:
        result = wd.run(*args, db=db)
        assert (result.returncode, result.stdout) == (2, ""), (args, result.returncode, result.stderr)
        assert result.stderr.startswith("workdeck: ") and result.stderr.count("\n") == 1, (args, result.stderr)
        return result.stderr

    direct = {tuple(args): refuse(args, direct_db) for args, _ in ENGINE_REFUSALS}
    assert snapshot(direct_db.parent) == direct_before  # nothing written, no stray file

    wd.serve()
    assert wd.run("add", "--defer", "--", "true").returncode == 0
    for args, words in ENGINE_REFUSALS:
        line = refuse(args, wd.db)
        assert words in line, (args, line)
        assert line == direct[tuple(args)], (args, line, direct[tuple(args)])
    assert count_tasks(wd.db) == 1  # the owner wrote none of them


# ---------------------------------------------------------------- serve's way to its first run

#: What ``serve`` imports only after its first due run started, or when a task needs it
#: (issue 14: each was milliseconds on the way to the first run). Not among them: ctypes,
#: which the first command's spawn loads (~1.6 ms) to keep the engine's descriptors out
#: of the command (engine.platforms.spawn; the clock watch's piece waits), and QtNetwork:
#: the owner listens before it starts anything (EngineHost.start).
SERVE_LATER = ("PySide6.QtGui", "PySide6.QtDBus", "httpx", "psutil", "tomllib", "platformdirs",
               "ui.workers.thumbnails", "ui.cli.spec", "ui.cli.history", "engine.manifest", "engine.receivers",
               "engine.history.pruner", "engine.history.bucket_reads", "engine.platforms.sleep_linux",
               "engine.workers.extra", "engine.workers.download")
#: serve under ``-X importtime``, saying on stderr when its first run started, then quitting.
#: engine.engine is imported first, to hook run_started: serve imports it before its
#: first run in any case, so the modules before the mark are the same.
FIRST_RUN_MARK = "=== the first run started"
SERVE_UNTIL_FIRST_RUN = f"""
import sys
from engine.engine import Engine
from PySide6.QtCore import QCoreApplication, QTimer

start = Engine.start

def marked_start(self):
    def first(run):
        if not getattr(self, "_marked", False):
            self._marked = True
            print({FIRST_RUN_MARK!r}, file=sys.stderr, flush=True)
            QTimer.singleShot(0, QCoreApplication.instance().quit)
    self.run_started.connect(first)
    start(self)

Engine.start = marked_start
from ui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_serve_imports_only_what_its_first_due_run_needs_before_it(wd: Workdeck) -> None:
    assert wd.run("add", "--defer", "--", "true").returncode == 0  # no owner: written to the database
    argv = [sys.executable, "-X", "importtime", "-c", SERVE_UNTIL_FIRST_RUN, "--db", str(wd.db), "serve"]
    result = subprocess.run(argv, env=wd.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    before, mark, after = result.stderr.partition(FIRST_RUN_MARK)
    assert mark, result.stderr[-3000:]
    early, late = imported_modules(before), imported_modules(after)
    # The measurement is honest: the run's own modules come before the mark, what the owner
    # does after its first run (the manifest's receivers) after it.
    assert "engine.workers.shell" in early and "PySide6.QtNetwork" in early
    assert "engine.receivers" in late
    assert [m for m in early if m.startswith(SERVE_LATER)] == []


def test_an_owner_whose_tasks_and_manifest_need_no_condition_loads_none_of_them(wd: Workdeck) -> None:
    """Issue 14: every start read AC power (psutil), loaded Qt's network backend, joined
    the session bus and imported TOML and OpenSSL's hashlib for a manifest, before its
    first runs' ends were recorded. With no manifest and no constraint, none of it runs
    (the condition sources connect at their first use; the manifest's parser loads
    with a manifest)."""
    assert wd.run("add", "--defer", "--", "true").returncode == 0
    argv = [sys.executable, "-X", "importtime", "-c", SERVE_UNTIL_FIRST_RUN, "--db", str(wd.db), "serve"]
    result = subprocess.run(argv, env=wd.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    _, mark, after = result.stderr.partition(FIRST_RUN_MARK)
    late = imported_modules(after)
    assert "engine.receivers" in late  # the start went on past the receivers before quitting
    assert [m for m in late if m.split(".")[0] in ("psutil", "tomllib", "hashlib", "_hashlib")] == []
