"""History on the command line: retention options, prune, retention, bounded show/list."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock, SystemClock
from engine.model import Outcome, State, Task, TaskSpec
from engine.store import Store
from tests.contract import assert_task_json
from tests.engine.history_helpers import DAY, add_runs, add_task, finish_task
from tests.ui.test_cli import run, runtime_dir  # noqa: F401  (the fixture: a private runtime dir)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "work.db"


def history(db: Path, runs: int, *, age_days: float = 0) -> str:
    """One task with ``runs`` ended runs (every 4th failed), ``age_days`` old."""
    store = Store(db)
    clock = FakeClock(SystemClock().now())
    add_task(store, clock, "busy")
    add_runs(store, "busy", [(age_days * DAY + runs - i, Outcome.FAILED if i % 4 == 0 else Outcome.SUCCEEDED)
                             for i in range(runs)], now_us=clock.now_us(), output="out\n")
    store.close()
    return "busy"


@pytest.mark.parametrize("argv", [
    ["add", "--keep-runs", "-1", "--", "true"],
    ["add", "--keep-runs", "5000000", "--", "true"],
    ["add", "--keep-runs", "many", "--", "true"],
    ["add", "--keep-for", "-3d", "--", "true"],
    ["add", "--keep-for", "100000d", "--", "true"],
    ["add", "--output-limit", "-1K", "--", "true"],
    ["add", "--output-limit", "0", "--", "true"],
    ["add", "--output-limit", "3G", "--", "true"],
    ["add", "--output-limit", "lots", "--", "true"],
    ["retention", "--keep-runs", "-5"],
    ["retention", "--output-limit", "1T"],
    ["show", "x", "--runs", "-2"],
])
def test_bad_retention_input_is_one_line_exit_2_and_writes_nothing(capsys: Any, tmp_path: Path,
                                                                   argv: list[str]) -> None:
    status, out, err = run(capsys, "--db", tmp_path / "w.db", *argv)
    assert (status, out, err.count("\n")) == (2, "", 1), err
    assert err.startswith("workdeck: ")
    assert list(tmp_path.iterdir()) == []


def test_a_tasks_retention_is_stored_and_shown(capsys: Any, db: Path) -> None:
    status, out, _ = run(capsys, "--db", db, "add", "--defer", "--keep-runs", "7", "--keep-for", "2d",
                         "--output-limit", "2M", "--json", "--", "true")
    task = json.loads(out)
    assert (task["spec"]["keep_runs"], task["spec"]["keep_for"], task["spec"]["output_limit"]) == (7, 172800.0, 2 << 20)
    store = Store(db)
    spec = store.task(task["id"], with_runs=False).spec
    assert (spec.keep_runs, spec.keep_for, spec.output_limit) == (7, 172800.0, 2 << 20)
    store.close()


def test_show_json_lists_the_newest_runs_and_the_totals(capsys: Any, db: Path) -> None:
    task_id = history(db, 60)
    status, out, _ = run(capsys, "--db", db, "show", task_id, "--json")
    task = json.loads(out)
    assert_task_json(task)
    assert [r["id"] for r in task["runs"]] == list(range(41, 61))  # the newest 20, oldest first
    assert task["totals"] == {"runs": 60, "succeeded": 45, "failed": 15, "last_outcome": "succeeded",
                              "last_ended_at": task["runs"][-1]["ended_at"]}
    everything = json.loads(run(capsys, "--db", db, "show", task_id, "--json", "--runs", "all")[1])
    assert [r["id"] for r in everything["runs"]] == list(range(1, 61))
    assert {k: v for k, v in everything.items() if k != "runs"} == {k: v for k, v in task.items() if k != "runs"}
    assert json.loads(run(capsys, "--db", db, "show", task_id, "--json", "--runs", "0")[1])["runs"] == []
    # streamed: the task's keys indented, one run per line
    lines = out.splitlines()
    assert lines[0] == "{" and '  "id": "busy",' in lines and lines[-1] == "}"
    assert [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith('    {"attempt"')] == task["runs"]


def test_human_show_says_the_totals_and_how_many_are_shown(capsys: Any, db: Path) -> None:
    task_id = history(db, 60)
    out = run(capsys, "--db", db, "show", task_id, "--runs", "5")[1]
    assert "runs:      60 (45 succeeded, 15 failed, last succeeded" in out and "the newest 5" in out
    assert len([line for line in out.splitlines() if line.startswith("  #1 ")]) == 5


def test_list_json_carries_the_totals_never_the_history(capsys: Any, db: Path) -> None:
    history(db, 60)
    run(capsys, "--db", db, "add", "--defer", "--", "true")
    status, out, _ = run(capsys, "--db", db, "list", "--json")
    busy, fresh = json.loads(out)
    for task in (busy, fresh):
        assert_task_json(task)
    assert busy["runs"] == [] and busy["totals"]["runs"] == 60
    assert fresh["runs"] == [] and fresh["totals"]["runs"] == 0
    lines = out.splitlines()  # streamed: one task per line
    assert lines[0] == "[" and lines[-1] == "]" and [json.loads(line.rstrip(",")) for line in lines[1:-1]] == [busy, fresh]
    newest = json.loads(run(capsys, "--db", db, "list", "--json", "--runs", "3")[1])[0]
    assert [r["id"] for r in newest["runs"]] == [58, 59, 60] and {**newest, "runs": []} == busy
    assert run(capsys, "--db", db, "list", "--json", "--state", "running")[1] == "[]\n"


def test_prune_dry_run_then_prune(capsys: Any, db: Path) -> None:
    task_id = history(db, 300, age_days=40)
    store = Store(db)
    clock = FakeClock(SystemClock().now())
    add_task(store, clock, "old-one")
    finish_task(store, clock, "old-one", State.SUCCEEDED, days_ago=31)
    store.close()
    status, out, _ = run(capsys, "--db", db, "prune", "--dry-run")
    assert (status, out) == (0, "would remove 200 runs, 800 B of output, 1 finished tasks\n  task old-one\n")
    assert json.loads(run(capsys, "--db", db, "show", task_id, "--json", "--runs", "all")[1])["totals"]["runs"] == 300
    status, out, err = run(capsys, "--db", db, "prune", "--json")
    result = json.loads(out)
    assert (status, result["runs"], result["output_bytes"], result["removed_tasks"]) == (0, 200, 800, ["old-one"])
    task = json.loads(run(capsys, "--db", db, "show", task_id, "--json", "--runs", "all")[1])
    assert len(task["runs"]) == 100 and task["totals"]["runs"] == 300  # the counters stay true
    assert "switching" not in err  # a database made by this version is incremental from the start


def test_prune_without_a_database_creates_nothing(capsys: Any, tmp_path: Path) -> None:
    assert run(capsys, "--db", tmp_path / "none.db", "prune")[:2] == (0, "removed 0 runs, 0 B of output, 0 finished tasks\n")
    assert list(tmp_path.iterdir()) == []


def test_retention_shows_and_sets_the_global_policy(capsys: Any, db: Path) -> None:
    status, out, _ = run(capsys, "--db", db, "retention", "--json")
    assert json.loads(out) == {"keep_runs": 100, "keep_for": 30 * DAY, "output_limit": (64 << 10) + (1 << 20)}
    assert not db.exists()  # reading the defaults writes nothing
    run(capsys, "--db", db, "retention", "--keep-runs", "10", "--keep-for", "1d")
    out = run(capsys, "--db", db, "retention")[1]
    assert out.startswith("keep every run of the last 1d and at least the newest 10 of each task")
    history(db, 30, age_days=3)
    assert "removed 20 runs" in run(capsys, "--db", db, "prune")[1]


def test_human_show_of_every_run_writes_each_as_it_is_read(capsys: Any, db: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``show ID --runs all`` streams, as its JSON does: it held the whole history before
    writing a line (1 GB of memory, 45 s before the first line, for 1.5 million runs)."""
    import dataclasses

    from engine.history import reads
    from ui.cli.render import details

    task_id = history(db, 300)
    read: list[int] = []
    newest_runs = reads.newest_runs

    def counted(store: Store, task: str, count: int | None) -> Any:
        for n, found in enumerate(newest_runs(store, task, count), 1):
            read.append(n)
            yield found

    monkeypatch.setattr(reads, "newest_runs", counted)
    written_after: list[int] = []
    real_write = __import__("sys").stdout.write

    def spy(text: str) -> int:
        if text.startswith("  #"):
            written_after.append(len(read))
        return real_write(text)

    monkeypatch.setattr("sys.stdout.write", spy)
    out = run(capsys, "--db", db, "show", task_id, "--runs", "all")[1]
    monkeypatch.undo()
    assert written_after[:3] == [1, 2, 3] and len(written_after) == 300  # each run written once read
    store = Store(db)
    try:
        task = store.task(task_id, with_runs=False)
        whole = details(dataclasses.replace(task, runs=tuple(store.runs(task_id))))
    finally:
        store.close()
    assert out == whole + "\n"  # the same text as when it was built whole
    assert "runs:      300 (225 succeeded, 75 failed" in out and "the newest" not in out


def test_prune_keeps_the_wal_small_on_the_way(capsys: Any, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``workdeck prune`` checkpoints as it goes (SQLite's own, which the store turns off
    for the owner): without, the sweep's whole worth stayed in the WAL until the end, 3.7 GB
    beside a 160 MB year of a million runs."""
    from engine.history import prune

    history(db, 10_000, age_days=40)
    store = Store(db)
    with store.transaction():
        store.conn.executemany("INSERT INTO output (run_id, text) VALUES (?, ?)",
                               [(i, "x" * 2_000) for i in range(1, 10_001)])
    store.close()
    wal = Path(str(db) + "-wal")
    sizes: list[int] = []
    batch = prune.prune_batch

    def measured(*args: Any, **kwargs: Any) -> Any:
        done = batch(*args, **kwargs)
        sizes.append(wal.stat().st_size if wal.exists() else 0)
        return done

    monkeypatch.setattr(prune, "prune_batch", measured)
    status, out, _ = run(capsys, "--db", db, "prune")
    assert status == 0 and out.startswith("removed 9,900 runs")
    assert max(sizes) < 8 * 2**20, max(sizes)  # 24 MB before: every batch stayed in it
    before, after = out.splitlines()[0].split("; database ")[1].split(" -> ")
    assert before != after  # the final size, not the size before the WAL was copied back


def test_list_holds_rows_of_text_not_tasks(capsys: Any, db: Path) -> None:
    """``list`` takes each task into the table as a row of strings as it reads it: it held
    every Task first (91 MB of peak RSS at 30,000 tasks, 47 MB now)."""
    import tracemalloc

    store = Store(db)
    now = SystemClock().now()
    with store.transaction():
        for i in range(3_000):
            spec = TaskSpec("shell", ("rsync", "-a", f"/home/me/{i}", "/backup"), tags=("nightly",))
            store.insert_task(Task(f"t{i:05d}", spec, State.SUCCEEDED, now))
    store.close()
    tracemalloc.start()
    try:
        status, out, _ = run(capsys, "--db", db, "list")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert status == 0 and len(out.splitlines()) == 3_001
    assert peak < 4_500_000, peak  # 3.3 MB; 6.2 MB when it held the tasks


@pytest.mark.parametrize("argv", [["prune", "--dry-run"], ["prune", "--dry-run", "--json"], ["retention"],
                                  ["retention", "--json"]])
def test_prune_dry_run_and_showing_retention_read_a_0_byte_file_as_empty_and_write_nothing(
    capsys: Any, db: Path, argv: list[str]
) -> None:
    # They opened the database writable: a 0-byte file became a 90 KB database (list,
    # show and export leave it 0 bytes, and a --db that does not exist stays so here too).
    db.write_bytes(b"")
    status, out, err = run(capsys, "--db", db, *argv)
    assert (status, err) == (0, "") and out
    assert db.stat().st_size == 0 and sorted(p.name for p in db.parent.iterdir()) == [db.name]


@pytest.mark.parametrize("argv", [["show", "busy", "--runs", "99999999999999999999"],
                                  ["show", "busy", "--json", "--runs", str(2**63)],
                                  ["list", "--json", "--runs", "99999999999999999999"]])
def test_a_runs_count_beyond_any_limit_means_every_run(capsys: Any, db: Path, argv: list[str]) -> None:
    # It overflowed SQLite's LIMIT: a traceback and exit 1.
    history(db, 30)
    status, out, err = run(capsys, "--db", db, *argv)
    assert (status, err) == (0, "")
    whole = run(capsys, "--db", db, *argv[:-1], "all")[1]
    assert out == whole
