"""End to end: an owner SIGKILLed mid-run leaves no orphan and no twin (issue 11, items 1, 9).

A task's processes are counted by a marker the test puts in the command's own
environment (``env WDTEST=<token> sh -c ...``), read from each process's environ, so
the count does not depend on how Workdeck marks its runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import psutil
import pytest

from engine.store import Store
from tests.e2e.conftest import Workdeck, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.posix]


def marked(token: str) -> list[psutil.Process]:
    """Live (not zombie) processes whose environment carries WDTEST=<token>."""
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get("WDTEST") == token:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def leaders(token: str) -> list[psutil.Process]:
    """The task's copies: each copy's first process leads its own process group (a
    count of its ``sh`` processes would also count a fork about to exec ``sleep``)."""
    out = []
    for proc in marked(token):
        try:
            if os.getpgid(proc.pid) == proc.pid:
                out.append(proc)
        except OSError:
            continue
    return out


def kill_reaper(serve: subprocess.Popen[str]) -> None:
    """SIGKILL the owner's reaper, if it has one, and wait until it is dead (a zombie:
    serve reaps it only at stop)."""
    for child in psutil.Process(serve.pid).children():
        try:
            cmdline = child.cmdline()
        except psutil.Error:  # a command that just ended (a zombie until its worker reaps it)
            continue
        if "engine.reaper" in " ".join(cmdline):
            child.kill()
            wait_until(lambda: child.status() == psutil.STATUS_ZOMBIE, timeout=5, what="the reaper to die")


def long_task(wd: Workdeck, tmp_path: Path) -> tuple[str, str, Path]:
    token = uuid.uuid4().hex
    log = tmp_path / "copies.log"
    # Two processes besides sh: one in the background, one in the foreground.
    script = f"echo S $$ >> {log}; sleep 40 & sleep 40; echo E $$ >> {log}"
    task_id = wd.ok("add", "--", "env", f"WDTEST={token}", "sh", "-c", script).strip()
    wait_until(lambda: log.exists() and len(marked(token)) == 3, timeout=20, what="the task's three processes")
    return task_id, token, log


def test_a_sigkilled_owner_leaves_no_process_of_its_runs(wd: Workdeck, tmp_path: Path) -> None:
    serve = wd.serve()
    task_id, token, log = long_task(wd, tmp_path)
    wd.remember_children(serve)  # killed at teardown if the promise breaks
    wd.stop(serve, signal.SIGKILL)
    # No owner runs now: nobody restarts anything, and still nothing of the run is left.
    wait_until(lambda: not marked(token), timeout=15, what="the dead owner's run to be ended")

    serve = wd.serve()  # the next owner runs it again: one copy
    wait_until(lambda: log.read_text().count("S ") == 2, timeout=20, what="the task to run again")
    wait_until(lambda: len(marked(token)) == 3, timeout=10, what="the new copy's processes")
    assert len(leaders(token)) == 1
    wd.stop(serve)
    assert not marked(token)


def test_the_next_owner_ends_survivors_before_running_the_task_again(wd: Workdeck, tmp_path: Path) -> None:
    """The reaper dies with the owner (a killed session, the OOM killer): the run's
    group, recorded in the database, is ended by the next owner before it re-runs."""
    serve = wd.serve()
    task_id, token, log = long_task(wd, tmp_path)
    first = {p.pid for p in marked(token)}
    wait_until(lambda: _group_recorded(wd), timeout=5, what="the run's group to be written")
    wd.remember_children(serve)
    kill_reaper(serve)
    wd.stop(serve, signal.SIGKILL)
    assert {p.pid for p in marked(token)} == first  # survivors: only the next owner can end them

    serve = wd.serve()
    wait_until(lambda: log.read_text().count("S ") == 2, timeout=20, what="the task to run again")
    # By the time the second copy started, the first one was gone: never two copies.
    assert not first & {p.pid for p in marked(token)}
    assert len(leaders(token)) == 1
    with wd.store() as store:
        first_run = store.runs(task_id)[0]
    assert first_run.stop_reason is not None and first_run.stop_reason.value == "process_died"
    wd.stop(serve)


def test_a_run_never_recorded_is_found_by_its_marker(wd: Workdeck, tmp_path: Path) -> None:
    """The owner (and its reaper) died before the run's group reached the database:
    the next owner finds the survivors by the run's environment marker."""
    serve = wd.serve()
    task_id, token, log = long_task(wd, tmp_path)
    wait_until(lambda: _group_recorded(wd), timeout=5, what="the run's group to be written")
    wd.remember_children(serve)
    kill_reaper(serve)
    wd.stop(serve, signal.SIGKILL)
    with wd.store() as store:  # as if the write had not happened
        if _has_group_columns(store):
            store.conn.execute("UPDATE runs SET pgid = NULL, leader_start = NULL")
    first = {p.pid for p in marked(token)}
    serve = wd.serve()
    wait_until(lambda: log.read_text().count("S ") == 2, timeout=20, what="the task to run again")
    assert not first & {p.pid for p in marked(token)}
    wd.stop(serve)


def _group_recorded(wd: Workdeck) -> bool:
    """The run's group is in the database (trivially true where runs have no such column:
    the same test then shows what an owner without the record does)."""
    with wd.store() as store:
        if not _has_group_columns(store):
            return True
        return store.conn.execute("SELECT COUNT(*) FROM runs WHERE pgid IS NOT NULL").fetchone()[0] == 1


def _has_group_columns(store: Store) -> bool:
    return "pgid" in {row[1] for row in store.conn.execute("PRAGMA table_info(runs)")}


def test_a_task_that_kills_its_owner_is_stopped_after_three_deaths(wd: Workdeck) -> None:
    # The shell is the owner's direct child: $PPID is the owner.
    task_id = wd.ok("add", "--", "sh", "-c", "kill -9 $PPID").strip()
    for start in range(3):
        serve = wd.popen("serve")
        assert serve.wait(30) == -signal.SIGKILL, f"start {start + 1}: the task did not kill its owner"
        serve.communicate()
    serve = wd.serve()  # the fourth start: it is not run again
    wait_until(lambda: wd.json("show", task_id)["state"] == "failed", timeout=10, what="the task to be stopped")
    task = wd.json("show", task_id)
    assert [r["stop_reason"] for r in task["runs"]] == ["process_died", "process_died", "crashed_owner"]
    assert task["attempts"] == 3
    assert "crashed_owner" in wd.ok("show", task_id)
    assert serve.poll() is None
    wd.stop(serve)
    # Retried by hand (here with no owner: the database directly): it runs at the next start.
    assert wd.ok("retry", task_id).split() == [task_id, "enqueued"]
    serve = wd.popen("serve")
    assert serve.wait(30) == -signal.SIGKILL
    serve.communicate()
    serve = wd.popen("serve")  # one death since the retry: it runs again
    assert serve.wait(30) == -signal.SIGKILL
    serve.communicate()
    stop_reasons = [r["stop_reason"] for r in wd.json("show", task_id)["runs"]]
    assert stop_reasons == ["process_died", "process_died", "crashed_owner", "process_died", None]
    # A failed task that is not failed cannot be retried: one line, exit 2.
    result = wd.run("retry", task_id)
    assert (result.returncode, result.stdout) == (2, "") and len(result.stderr.splitlines()) == 1
