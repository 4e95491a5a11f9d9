"""The command line and retention after a year of use, at several sizes, run on demand:
``pytest tests/bench/bench_year.py -s`` (WORKDECK_BENCH_YEAR="1000:100000,10000:1000000"
to choose tasks:runs; the default adds 30000:3000000, ~1 min to build, ~8 min to run).

Databases from tests/bench/year_data.py (a busy task with half the runs, periodic
tasks, one-shot tasks, spread over 365 days). Per size, the median of ROUNDS rounds
interleaved over the sizes, each a fresh ``python -m ui.cli`` process: wall seconds and
peak RSS (``ru_maxrss`` of the child) of ``list``, ``list --json``, ``show`` and ``log``
of the busy task, and ``show --runs all`` of it (the whole history streamed: flat
memory; before, 54 / 350 / 1,009 MB at 50k / 500k / 1.5M runs). Then ``workdeck prune``
at the default retention (30 days, 100 runs): the database before and after and the
largest the WAL got on the way (sampled every 50 ms). ``workdeck prune`` runs its
batches without a pause and outside the store's WAL checks: 91 MB of WAL for a 16 MB
year of 100,000 runs (printed, not asserted; the owner's pruner, which pauses between
batches, goes through them: tests/engine/test_store_wal.py).

The goal: memory flat at every size; times per task / per run flat (the ratios printed).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.bench.year_data import BUSY_ID, build

ROOT = Path(__file__).resolve().parents[2]
SIZES = [tuple(int(n) for n in s.split(":")) for s in
         os.environ.get("WORKDECK_BENCH_YEAR", "1000:100000,10000:1000000,30000:3000000").split(",")]
ROUNDS = int(os.environ.get("WORKDECK_BENCH_ROUNDS", "3"))
COMMANDS = (("list",), ("list", "--json"), ("show", BUSY_ID), ("log", BUSY_ID), ("show", BUSY_ID, "--runs", "all"))


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
           "XDG_RUNTIME_DIR": str(home / "run"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data")}
    env.pop("WORKDECK_DB", None)
    return env


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child. Through /usr/bin/time: a child forked
    straight from this process reports this process's RSS as its own peak (Linux keeps
    the larger across fork and exec)."""
    report = Path(env["HOME"]) / "time.txt"
    began = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(report), *argv], env=env, stdout=subprocess.DEVNULL,
                   check=True, timeout=900)
    return time.perf_counter() - began, int(report.read_text().split()[-1]) / 1024


def _prune(db: Path, env: dict[str, str]) -> tuple[float, float, float, float]:
    """``workdeck prune`` of a copy: (seconds, MB before, MB after, largest WAL in MB)."""
    wal = Path(str(db) + "-wal")
    before = db.stat().st_size / 2**20
    peak = [0.0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if wal.exists():
                peak[0] = max(peak[0], wal.stat().st_size / 2**20)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        wall, _rss = _run([sys.executable, "-m", "ui.cli", "--db", str(db), "prune"], env)
    finally:
        stop.set()
        watcher.join()
    return wall, before, db.stat().st_size / 2**20, peak[0]


def test_a_year_of_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True)
    os.chmod(home / "run", 0o700)
    env = _env(home)
    dbs = {}
    for tasks, runs in SIZES:
        dbs[(tasks, runs)] = tmp_path / f"year{tasks}_{runs}.db"
        build(dbs[(tasks, runs)], tasks, runs)
    results: dict[tuple[tuple[int, int], tuple[str, ...]], list[tuple[float, float]]] = {}
    for _ in range(ROUNDS):
        for size, db in dbs.items():
            for command in COMMANDS:
                argv = [sys.executable, "-m", "ui.cli", "--db", str(db), *command]
                results.setdefault((size, command), []).append(_run(argv, env))
    pruned = {}
    for size, db in dbs.items():
        copy = tmp_path / "prune.db"
        shutil.copyfile(db, copy)
        pruned[size] = _prune(copy, env)
        for extra in ("", "-wal", "-shm"):
            Path(str(copy) + extra).unlink(missing_ok=True)
    print(f"\nmedian of {ROUNDS} rounds, interleaved; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    head = " | ".join(f"{f'{t:,} tasks / {r:,} runs':>28}" for t, r in dbs)
    print(f"{'command':>26} | {head} | ratios (time) between sizes")
    for command in COMMANDS:
        cells, walls = [], []
        for size in dbs:
            wall = statistics.median(w for w, _ in results[(size, command)])
            rss = statistics.median(m for _, m in results[(size, command)])
            cells.append(f"{wall:>8.2f} s {rss:>8.0f} MB      ")
            walls.append(wall)
        ratios = " ".join(f"{b / a:.2f}x" for a, b in zip(walls, walls[1:], strict=False))
        print(f"{' '.join(command).replace(BUSY_ID, 'BUSY'):>26} | {' | '.join(cells)} | {ratios}")
    cells = [f"{w:>5.1f} s {b:>5.0f}->{a:>4.0f} MB wal {p:>5.0f}" for w, b, a, p in pruned.values()]
    print(f"{'prune (default retention)':>26} | {' | '.join(cells)}")
    for size in dbs:
        rss = statistics.median(m for _, m in results[(size, ("show", BUSY_ID, "--runs", "all"))])
        assert rss < 80, f"show --runs all held {rss:.0f} MB at {size}"
