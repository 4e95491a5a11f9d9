"""End to end: ``workdeck serve`` and the command line as real processes."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from engine.model import Outcome, State, StopReason
from engine.store import Store
from tests.contract import assert_task_json
from tests.e2e.conftest import Workdeck, wait_until

pytestmark = pytest.mark.e2e

KEEP_RUNNING = ("sh", "-c", "sleep 2; echo done")


def finished(wd: Workdeck, ids: list[str]) -> bool:
    with wd.store() as store:
        return all(store.task(i, with_runs=False).state.finished for i in ids)


def open_runs(wd: Workdeck) -> int:
    with wd.store() as store:
        return len(store.open_runs())


def test_commands_run_through_serve_and_report_their_outcome(wd: Workdeck) -> None:
    serve = wd.serve()
    failing = wd.ok("add", "--", "sh", "-c", "echo hello; exit 3").strip()
    passing = wd.ok("add", "--tag", "ok", "--", "sh", "-c", "echo fine >&2").strip()
    wait_until(lambda: finished(wd, [failing, passing]), what="both tasks to finish")

    task = wd.json("show", failing)
    assert_task_json(task)
    assert (task["state"], task["attempts"], task["command"]) == ("failed", 1, ["sh", "-c", "echo hello; exit 3"])
    (run,) = task["runs"]
    assert (run["outcome"], run["exit_code"], run["attempt"]) == ("failed", 3, 1)
    assert run["ended_at"] >= run["started_at"]
    assert "hello\n" in wd.ok("log", failing)

    task = wd.json("show", passing)
    assert (task["state"], task["tags"], [(r["outcome"], r["exit_code"]) for r in task["runs"]]) == (
        "succeeded", ["ok"], [("succeeded", 0)])
    assert wd.ok("log", passing).startswith("fine\n")  # stderr is captured too

    # cancel goes through the owner and answers once the run has ended
    sleeper = wd.ok("add", "--", "sleep", "30").strip()
    wait_until(lambda: open_runs(wd) == 1, what="the sleeper to run")
    assert wd.ok("cancel", sleeper) == f"{sleeper} cancelled\n"
    task = wd.json("show", sleeper)
    assert task["state"] == "cancelled" and task["runs"][-1]["outcome"] == "cancelled"
    assert wd.stop(serve) == 0


@pytest.mark.posix
def test_a_crash_loses_nothing_and_runs_each_task_once_more(wd: Workdeck) -> None:
    serve = wd.serve()
    ids = [wd.add(*KEEP_RUNNING) for _ in range(20)]
    wait_until(lambda: open_runs(wd) == 20, what="20 running tasks")
    wd.remember_children(serve)
    serve.send_signal(signal.SIGKILL)
    serve.wait(10)
    assert open_runs(wd) == 20  # nobody closed them: the owner died

    serve = wd.serve()  # the OS released the lock with the dead process
    wait_until(lambda: finished(wd, ids), timeout=30, what="all 20 to finish after the restart")
    tasks = {t["id"]: t for t in wd.json("list", "--runs", "2")}  # list carries no runs unless asked
    for task_id in ids:
        task = tasks[task_id]
        assert_task_json(task)
        outcomes = [(r["outcome"], r["stop_reason"]) for r in task["runs"]]
        assert task["state"] == "succeeded" and task["attempts"] == 2, task
        assert outcomes == [("interrupted", "process_died"), ("succeeded", None)], outcomes
    assert "done" in wd.ok("log", ids[0])
    assert wd.stop(serve) == 0


def test_sigterm_stops_gracefully_and_the_next_start_resumes(wd: Workdeck) -> None:
    serve = wd.serve()
    ids = [wd.add(*KEEP_RUNNING) for _ in range(3)]
    wait_until(lambda: open_runs(wd) == 3, what="3 running tasks")
    children = wd.remember_children(serve)
    assert children
    started = time.monotonic()
    assert wd.stop(serve, signal.SIGTERM) == 0
    stop_seconds = time.monotonic() - started
    assert not any(c.is_running() and c.status() != "zombie" for c in children), "a task process outlived serve"
    with wd.store() as store:
        assert store.open_runs() == []
        for task_id in ids:
            task = store.task(task_id)
            assert task.state is State.ENQUEUED
            assert [(r.outcome, r.stop_reason) for r in task.runs] == [(Outcome.INTERRUPTED, StopReason.SHUTDOWN)]

    serve = wd.serve()
    wait_until(lambda: finished(wd, ids), timeout=20, what="the resumed tasks")
    with wd.store() as store:
        for task_id in ids:
            task = store.task(task_id)
            assert task.state is State.SUCCEEDED
            assert [r.outcome for r in task.runs] == [Outcome.INTERRUPTED, Outcome.SUCCEEDED]
    assert wd.stop(serve, signal.SIGINT) == 0  # Ctrl-C stops it the same way
    print(f"\ngraceful stop with 3 running tasks: {stop_seconds * 1000:.0f} ms")


def test_a_second_owner_is_refused_with_a_clear_message(wd: Workdeck) -> None:
    serve = wd.serve()
    second = wd.run("serve", timeout=20)
    assert second.returncode == 1
    assert second.stderr == (f"workdeck: {os.path.realpath(wd.db)} is already owned by workdeck serve "
                             f"(pid {serve.pid}): stop it first, or choose another database with --db\n")
    assert wd.ping()["pid"] == serve.pid  # the first owner is unharmed
    assert wd.stop(serve) == 0


def test_serve_yields_to_a_window_that_takes_over(wd: Workdeck) -> None:
    from engine import ipc
    from engine.owner.lock import socket_path

    serve = wd.serve()
    task_id = wd.add(*KEEP_RUNNING)
    wait_until(lambda: open_runs(wd) == 1, what="the task to run")
    reply = ipc.call(socket_path(wd.db), {"op": "yield"}, timeout=10)
    assert reply is not None and reply["ok"] and reply["pid"] == serve.pid
    assert serve.wait(20) == 0  # it stopped gracefully by itself
    with wd.store() as store:
        task = store.task(task_id)
        assert task.state is State.ENQUEUED  # the new owner resumes it
        assert [(r.outcome, r.stop_reason) for r in task.runs] == [(Outcome.INTERRUPTED, StopReason.SHUTDOWN)]


def test_a_task_added_for_now_starts_within_100_ms(wd: Workdeck) -> None:
    serve = wd.serve()
    recorded, spawned = [], []
    for _ in range(10):
        task_id = wd.ok("add", "--", "date", "+%s.%N").strip()
        returned = time.time()  # the moment `workdeck add` returned
        wait_until(lambda: finished(wd, [task_id]), what="the date task")  # noqa: B023
        with wd.store() as store:
            run = store.task(task_id).runs[0]
            printed = float(store.latest_output(task_id).split()[0])
        recorded.append(run.started_at.timestamp() - returned)
        spawned.append(printed - returned)
    assert wd.stop(serve) == 0
    print("\nstart latency after `workdeck add` returned (ms; negative: started before it returned)")
    for label, values in (("run started_at", recorded), ("process running", spawned)):
        ms = sorted(v * 1000 for v in values)
        print(f"  {label:16} median {statistics.median(ms):7.1f}  max {ms[-1]:7.1f}  all {[round(v) for v in ms]}")
    assert max(recorded) < 0.1
    assert max(spawned) < 0.1


# ---------------------------------------------------------------- bad input


def _make_read_only(path: Path) -> None:
    if os.name != "posix" or os.geteuid() != 0:  # Windows: chmod sets the read-only attribute
        path.chmod(0o444)
        return
    # root ignores modes; the immutable attribute stops even root from writing
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
        pytest.skip("running as root without chattr +i: cannot make a file read-only for root")


def _undo_read_only(path: Path) -> None:
    if os.name == "posix" and os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    else:
        path.chmod(0o644)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def test_bad_input_is_one_line_status_2_and_changes_nothing(wd: Workdeck, tmp_path: Path) -> None:
    good = tmp_path / "good" / "work.db"
    good.parent.mkdir()
    store = Store(good)
    store.close()
    assert wd.run("add", "--defer", "--", "true", db=good).returncode == 0
    (tmp_path / "notes").mkdir()
    notes = tmp_path / "notes" / "notes.txt"
    notes.write_text("not a database\n")
    future = tmp_path / "future" / "work.db"
    future.parent.mkdir()
    Store(future).close()
    conn = sqlite3.connect(future)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    read_only = tmp_path / "ro" / "work.db"
    read_only.parent.mkdir()
    Store(read_only).close()
    fresh = tmp_path / "fresh" / "work.db"
    fresh.parent.mkdir()

    cases: list[tuple[Path, list[str], str]] = [
        (good, ["add", "--bogus", "--", "true"], "unrecognized arguments: --bogus"),
        (good, ["add", "--"], "missing the command after --"),
        (good, ["add", "true"], "put the command after --"),
        (good, ["add", "--in", "10 minutes", "--", "true"], "malformed duration"),
        (good, ["add", "--at", "25:61", "--", "true"], "malformed time"),
        (good, ["add", "--at", "2001-02-03T04:05:06", "--", "true"], "that time has passed"),
        (good, ["add", "--cron", "* *", "--", "true"], "invalid cron expression"),
        (good, ["add", "--after", "nope", "--", "true"], "--after nope: no such task"),
        (good, ["remind", "--in", "5m"], "missing the MESSAGE"),
        (fresh, ["add", "--in", "5x", "--", "true"], "malformed duration"),
        (fresh, ["add", "--after", "nope", "--", "true"], "--after nope: no such task"),
        (notes, ["add", "--", "true"], "is not an SQLite database"),
        (future, ["add", "--", "true"], "written by a newer Workdeck"),
        (read_only, ["add", "--", "true"], "is read-only"),
        (tmp_path / "missing" / "work.db", ["add", "--", "true"], "no folder"),
    ]
    before = {d: _snapshot(d) for d in (good.parent, notes.parent, future.parent, read_only.parent, fresh.parent)}
    _make_read_only(read_only)
    try:
        procs = [(wd.popen(*argv, db=db), argv, words) for db, argv, words in cases]
        for proc, argv, words in procs:
            out, err = proc.communicate(timeout=30)
            assert (proc.returncode, out) == (2, ""), (argv, proc.returncode, err)
            assert err.startswith("workdeck: ") and err.count("\n") == 1 and words in err, (argv, err)
    finally:
        _undo_read_only(read_only)
    after = {d: _snapshot(d) for d in before}
    lock = good.name + ".lock"  # `--after` opened the good database under the owner lock
    assert {k: v for k, v in after[good.parent].items() if k != lock} == \
        {k: v for k, v in before[good.parent].items() if k != lock}
    assert after[notes.parent] == before[notes.parent] and after[future.parent] == before[future.parent]
    assert after[read_only.parent] == before[read_only.parent] and after[fresh.parent] == {}
    assert not (tmp_path / "missing").exists()


def test_contract_json_of_every_kind(wd: Workdeck) -> None:
    """add --json for each kind, as a script would see it with no owner running."""
    forms: dict[str, Any] = {
        "immediate": wd.json("add", "--", "true"),
        "deferred": wd.json("add", "--in", "1h", "--retries", "2", "--requires", "network", "--", "true"),
        "exact": wd.json("add", "--at", "23:59:59", "--", "true"),
    }
    for kind, task in forms.items():
        assert_task_json(task)
        assert task["kind"] == kind and task["runs"] == []
    assert forms["exact"]["state"] == "scheduled"
    assert datetime.fromisoformat(forms["exact"]["next_run_at"]) > datetime.now().astimezone()


def test_import_goes_through_the_running_owner_which_runs_the_tasks_at_once(wd: Workdeck) -> None:
    serve = wd.serve()
    manifest = wd.db.parent / "mine.toml"
    manifest.write_text('[tasks.hello]\nrun = ["sh", "-c", "echo imported"]\n')
    manifest.chmod(0o600)
    out = wd.ok("import", str(manifest))
    assert out.startswith("added hello ")
    task_id = out.split()[2]
    wait_until(lambda: finished(wd, [task_id]), timeout=5, what="the imported task to run")
    assert wd.ok("log", task_id) == "imported\n"
    again = wd.ok("import", str(manifest)).split()  # the first one finished: nothing waits under that name
    assert again[:2] == ["added", "hello"] and again[2] != task_id
    broken = wd.db.parent / "broken.toml"
    broken.write_text('[tasks.a]\nrun = ["true"]\nretries = "x"\n')
    broken.chmod(0o600)
    result = wd.run("import", str(broken))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{broken}:3: tasks.a.retries: must be an integer, not a string\n"
    assert wd.stop(serve) == 0
