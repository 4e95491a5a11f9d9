"""A long history: every read bounded by what is shown, the file bounded by the policy.

Per size (one task with N runs spanning 60 days, half of them past the default 30
days; 9,999 more tasks with 2 runs each: 10,000 tasks in all), in one run:

- the previous schema's database built directly, then ``show busy --json`` with
  main's code (/work/main, or $WORKDECK_BASELINE; the baseline is run where it takes
  under a minute: sizes <= $BENCH_BASELINE_MAX, default 1M);
- the migration to this schema (the counters' back-fill) and the one-time VACUUM
  that switches the file to incremental vacuum (the owner does it at start);
- ``show busy --json`` (newest 20 runs + totals) and ``list --json`` (10,000 tasks):
  wall and CPU time inside the command (imports done first; CPU time is what a shared,
  loaded machine distorts least), the whole process's wall time, and its peak RSS;
- the owner's prune pass (engine.history.pruner, adaptive batches) for up to
  $BENCH_PRUNE_SECONDS (default 20), first as before the time box ("unboxed"), then
  time-boxed (prune.TIME_BOX), on the same file ($BENCH_LOAD_PROCS busy-looping processes
  beside each, default 0, load the machine on demand): the write-lock hold per transaction, p50/p99/max
  (wall: what a waiting writer sees), and the CPU time of the prune transactions and
  vacuum steps (p99 <= 20 ms asserted on CPU time; the load average is printed).

Then a simulated year of one ``--every 1s`` task under the default policy: 86,400
runs a day (each with a line of output), pruned at the end of each day, database
size printed along the way ($BENCH_YEAR_DAYS, default 365).

    QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_history.py -s -p no:randomly --timeout=7200
    BENCH_SIZES=10000,1000000 ...   to skip the 10M row
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine.clock import FakeClock, SystemClock, to_us
from engine.history import prune
from engine.history.limits import DAY
from engine.history.policy import RetentionPolicy
from engine.history.pruner import Pruner
from engine.schema import migrate_5_to_6
from engine.store import Store
from tests.old_schema import database_at, version_before

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,1000000,10000000").split(",")]
BASELINE_TREE = Path(os.environ.get("WORKDECK_BASELINE", "/work/main"))
BASELINE_MAX = int(os.environ.get("BENCH_BASELINE_MAX", "1000000"))
PRUNE_SECONDS = float(os.environ.get("BENCH_PRUNE_SECONDS", "20"))
YEAR_DAYS = int(os.environ.get("BENCH_YEAR_DAYS", "365"))
#: Busy-looping processes started beside each prune pass: a loaded machine on demand.
LOAD_PROCS = int(os.environ.get("BENCH_LOAD_PROCS", "0"))
TREE = Path(__file__).resolve().parents[2]
TASKS = 10_000
BEFORE = version_before(migrate_5_to_6)
SPAN = 60 * DAY

#: Runs one command in a fresh interpreter: imports first, then the command timed alone.
DRIVER = """
import importlib, json, os, resource, sys, time
argv = json.loads(sys.argv[1])
from ui import cli
import engine.store, engine.serialize  # imported before the clock starts: the command's own time
# This tree's modules, which a baseline may lack: ui.cli_render became ui.cli.render, and
# list and show moved from ui/cli.py (imported above) to ui.cli.reading.
for names in (("engine.history.reads",), ("ui.cli.reading",), ("ui.cli.render", "ui.cli_render")):
    for name in names:
        try:
            importlib.import_module(name)
            break
        except ImportError:
            pass
sink = open(os.devnull, "w")
real, sys.stdout = sys.stdout, sink
started, cpu = time.perf_counter(), time.process_time()
status = cli.main(argv)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
sys.stdout = real
print(json.dumps({"status": status, "seconds": seconds, "cpu": cpu,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build_old_database(path: Path, busy_runs: int, now_us: int) -> None:
    """The previous schema, filled directly: rows as that version wrote them."""
    conn = database_at(path, BEFORE)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    spec = json.dumps({"worker": "shell", "args": ["true"], "kind": "deferred", "schedule": {"every": 1.0}})
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO tasks (id, kind, worker, state, created_at, updated_at, next_run_at, attempts, spec) "
        "VALUES (?, 'deferred', 'shell', 'enqueued', ?, ?, ?, 0, ?)",
        [("busy" if n == 0 else f"task{n:05d}", now_us - 1, now_us - 1, now_us + 10**6, spec) for n in range(TASKS)],
    )
    step = SPAN * 1_000_000 / busy_runs

    def busy() -> Any:
        for i in range(busy_runs):
            ended = now_us - int((busy_runs - i) * step)
            yield ("busy", ended - 500_000, ended, "failed" if i % 97 == 0 else "succeeded", 0)

    chunk: list[Any] = []
    for row in busy():
        chunk.append(row)
        if len(chunk) == 100_000:
            conn.executemany("INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome, exit_code) "
                             "VALUES (?, 1, ?, ?, ?, ?)", chunk)
            chunk.clear()
    conn.executemany("INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome, exit_code) "
                     "VALUES (?, 1, ?, ?, ?, ?)", chunk)
    conn.executemany(
        "INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome, exit_code) VALUES (?, 1, ?, ?, 'succeeded', 0)",
        [(f"task{n:05d}", now_us - 2 * 10**6, now_us - 10**6) for n in range(1, TASKS) for _ in range(2)],
    )
    conn.execute("INSERT INTO output (run_id, text) SELECT id, 'a line of output' FROM runs WHERE id % 100 = 0")
    conn.execute("COMMIT")
    conn.close()


def command(tree: Path, db: Path, *argv: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(["--db", str(db), *argv])],
                          capture_output=True, text=True, env=env, cwd=tree, timeout=3600)
    wall = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == 0, proc.stderr
    result["wall"] = wall
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def measure_size(qapp: Any, tmp: Path, size: int) -> dict[str, str]:
    now = SystemClock().now()
    db = tmp / f"history-{size}.db"
    started = time.perf_counter()
    build_old_database(db, size, to_us(now))
    row: dict[str, str] = {"runs": f"{size:,}", "build s": f"{time.perf_counter() - started:.1f}"}
    if size <= BASELINE_MAX and any((BASELINE_TREE / "ui" / cli).exists() for cli in ("cli.py", "cli")):
        base = command(BASELINE_TREE, db, "show", "busy", "--json")
        row["main show s / MB"] = f"{base['seconds']:.2f} / {base['rss_mb']:.0f}"
    else:
        base = None
        row["main show s / MB"] = "not run"
    started = time.perf_counter()
    store = Store(db)
    row["migrate s"] = f"{time.perf_counter() - started:.2f}"
    started = time.perf_counter()
    prune.switch_to_incremental_vacuum(store.conn, store.path, lambda _: None)
    row["vacuum once s"] = f"{time.perf_counter() - started:.1f}"
    store.close()
    show = command(TREE, db, "show", "busy", "--json")
    row["show s / cpu (process)"] = f"{show['seconds']:.3f} / {show['cpu']:.3f} ({show['wall']:.2f})"
    row["show MB"] = f"{show['rss_mb']:.0f}"
    if base is not None:
        row["show vs main"] = f"{base['seconds'] / show['seconds']:.0f}x faster"
    listed = command(TREE, db, "list", "--json")
    row["list 10k s / cpu (process)"] = f"{listed['seconds']:.2f} / {listed['cpu']:.2f} ({listed['wall']:.2f})"
    row["list MB"] = f"{listed['rss_mb']:.0f}"
    # The same pass as before this session (batches adapted after the fact, no time box,
    # fixed vacuum steps) on a copy, then the time-boxed one on the file itself, each
    # for up to PRUNE_SECONDS: the same runs to prune, one after the other.
    copy = tmp / f"history-{size}-unboxed.db"
    shutil.copyfile(db, copy)
    for label, path in (("unboxed", copy), ("boxed", db)):
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(LOAD_PROCS)]
        store = Store(path)
        pruner = Pruner(store.conn, FakeClock(now), policy=RetentionPolicy)
        boxed = path == db
        if not boxed:
            pruner.time_box = None
        deadline = time.perf_counter() + PRUNE_SECONDS
        steps = 0
        while time.perf_counter() < deadline:
            if not boxed:
                pruner.vacuum_pages = prune.VACUUM_PAGES
            if not pruner.step():
                break
            steps += 1
        holds, cpu = list(pruner.lock_holds), list(pruner.lock_cpu)
        suffix = "" if boxed else f" ({label})"
        row["prune batches" + suffix] = f"{steps:,}"
        row["hold p50/p99/max ms" + suffix] = "/".join(
            f"{1000 * v:.1f}" for v in (pct(holds, 0.5), pct(holds, 0.99), max(holds)))
        row["cpu p99/max ms" + suffix] = "/".join(f"{1000 * v:.1f}" for v in (pct(cpu, 0.99), max(cpu)))
        row["runs pruned" + suffix] = f"{size - store.conn.execute('SELECT COUNT(*) FROM runs WHERE task_id = ?', ('busy',)).fetchone()[0]:,}"
        row["load" + suffix] = f"{os.getloadavg()[0]:.1f}" + (f" +{LOAD_PROCS} burners" if LOAD_PROCS else "")
        for burner in burners:
            burner.kill()
            burner.wait()
        if not boxed:
            store.close()
            for extra in ("", "-wal", "-shm"):
                Path(str(copy) + extra).unlink(missing_ok=True)
    row["_cpu_p99"] = f"{pct(cpu, 0.99)}"
    store.close()
    db.unlink()
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    return row


def simulate_year(tmp: Path) -> list[tuple[int, int, int]]:
    """(day, runs kept, file bytes) after each pruned day of a 1-second task."""
    clock = FakeClock()
    db = tmp / "year.db"
    store = Store(db)
    store.conn.execute("INSERT INTO tasks (id, kind, worker, state, created_at, updated_at, attempts, spec) "
                       "VALUES ('tick', 'deferred', 'shell', 'enqueued', 0, 0, 0, ?)",
                       (json.dumps({"worker": "shell", "args": ["date"], "kind": "deferred",
                                    "schedule": {"every": 1.0}}),))
    policy = RetentionPolicy()
    sizes = []
    for day in range(1, YEAR_DAYS + 1):
        start = clock.now_us()
        store.conn.execute("BEGIN")
        for hour in range(24):
            base = start + hour * 3600 * 1_000_000
            rows = [("tick", base + s * 1_000_000, base + s * 1_000_000 + 20_000) for s in range(3600)]
            cur = store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]
            store.conn.executemany("INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome, exit_code) "
                                   "VALUES (?, 1, ?, ?, 'succeeded', 0)", rows)
            store.conn.execute("INSERT INTO output (run_id, text) SELECT id, 'Sun Nov 29 15:32:49 UTC 2026\n' "
                               "FROM runs WHERE id > ?", (cur,))
        store.conn.execute("UPDATE tasks SET runs_total = runs_total + 86400, runs_succeeded = runs_succeeded + "
                           "86400 WHERE id = 'tick'")
        store.conn.execute("COMMIT")
        clock.advance(DAY)
        prune.prune_all(store.conn, policy, clock.now_us())
        prune.shrink(store.conn)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if day in (1, 7, 30, 31, 60, 90, 180, 270, 365) or day == YEAR_DAYS:
            kept = store.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            sizes.append((day, kept, db.stat().st_size))
            print(f"  day {day:3d}: {kept:>10,} runs kept, {db.stat().st_size / 1048576:8.1f} MiB", flush=True)
    totals = store.task("tick", with_runs=False).totals
    assert totals.total == 86400 * YEAR_DAYS  # the counters still count every run
    store.close()
    return sizes


def print_table(rows: list[dict[str, str]]) -> None:
    keys = [k for k in rows[0] if not k.startswith("_")]
    widths = [max(len(k), *(len(r.get(k, "")) for r in rows)) for k in keys]
    print("\n" + "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    for r in rows:
        print("  ".join(r.get(k, "").ljust(w) for k, w in zip(keys, widths, strict=True)))


def test_history_stays_flat(qapp: Any, tmp_path: Path) -> None:
    rows = []
    for size in SIZES:
        print(f"\nsize {size:,} ...", flush=True)
        rows.append(measure_size(qapp, tmp_path, size))
        print_table(rows)
    print(f"\na simulated year of one --every 1s task under the default policy ({YEAR_DAYS} days):", flush=True)
    started = time.perf_counter()
    sizes = simulate_year(tmp_path)
    print(f"  ({time.perf_counter() - started:.0f} s)")
    print_table(rows)
    steady = [s for d, _, s in sizes if d >= 31]
    if len(steady) >= 2:
        print(f"  file size from day 31 to day {sizes[-1][0]}: {min(steady) / 1048576:.1f} .. "
              f"{max(steady) / 1048576:.1f} MiB (flat: {max(steady) / min(steady):.2f}x)")
        assert max(steady) < 1.15 * min(steady)
    for row in rows:  # CPU time: what a loaded machine distorts least (the wall p99 is printed beside it)
        assert float(row["_cpu_p99"]) <= 0.020, f"a prune transaction's CPU p99 is over 20 ms at {row['runs']} runs"
