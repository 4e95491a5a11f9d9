"""The command line through a running owner, and draining shell work, against huey (issue 14).

1. ``workdeck add -- true`` with ``serve`` running: the process's wall time and CPU,
   against a bare ``python -c "import socket, json"`` (the floor of any Python client)
   and huey's enqueue from a fresh process (``SqliteHuey``); and add -> the command
   started (the run's ``spawned_at`` minus the instant the command line was launched),
   against huey's consumer starting the same command. Targets: median <= 100 ms and
   <= 1.5x the bare process; add -> started <= 150 ms. Beside it: the same add through the
   installed ``workdeck`` console script, and the owner's own time for an add (an add's
   round trip on the socket minus a ping's, from this process).
2. 2,000 and 10,000 shell ``true`` tasks waiting in the database, drained by ``serve``
   (deferred, CPU-count slots) against huey's consumer (as many worker threads)
   draining as many tasks that each run ``true``: tasks per second and CPU seconds, each
   from the process's start; once more with 300 extra idle processes on the machine.
   A table per size: the rate should not fall with the size of the backlog (the larger
   one is ~5 MB of WAL per 600 runs, a long drain's checkpoints included).
   The floor is in the same rounds: a fresh process running as many ``true`` commands on
   a ThreadPoolExecutor of CPU-count threads (``subprocess.run``), nothing recorded.
   Beside them, each side's first run after its process started (issue 14's cold start):
   serve's first command started and ended (the run's ``spawned_at`` and ``ended_at``
   stamps), huey's first task done (its counter file's first byte, polled every 2 ms).
   And a lean loop on the engine's own store (tests/bench/lean_drain.py: serve's per-run
   work without its runner, supervision and dispatcher layers): serve's own CPU a task
   over the lean loop's is what those layers cost. And a durable peer: persist-queue's
   acknowledged queue (``SQLiteAckQueue``) drained by CPU-count threads that take a
   task, run it and acknowledge it. huey deletes a task before running it and records
   nothing (a consumer killed mid-run loses it); the acknowledged queue, like serve,
   keeps the task until its run has ended and gives it back after a crash.

Both sides run as installed software does: byte code cached (PYTHONDONTWRITEBYTECODE
unset). Rounds are interleaved; medians with the range over rounds. The machine's load
average is printed before and after: wall times on a shared machine are only as good as it.

    QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_cli.py -s
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine import ipc
from engine.owner.lock import socket_path

ROOT = Path(__file__).parents[2]
ROUNDS = int(os.environ.get("WORKDECK_BENCH_ROUNDS", "3"))
PER_ROUND = int(os.environ.get("WORKDECK_BENCH_PER_ROUND", "15"))
#: Backlog sizes drained; WORKDECK_BENCH_DRAIN="2000" (comma-separated) for a shorter run.
DRAINS = tuple(int(n) for n in os.environ.get("WORKDECK_BENCH_DRAIN", "2000,10000").split(","))
IDLE_PROCESSES = 300
HUEY_APP = ROOT / "tests" / "bench" / "huey_app.py"


def _env(runtime: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime),
           **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte code cached
    env.pop("WORKDECK_DB", None)
    return env


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds and stdout of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    wall = time.perf_counter() - started
    assert proc.returncode == 0, err.decode()
    return wall, out.decode()


class _ChildCpu:
    """CPU of the next child waited for: RUSAGE_CHILDREN's growth."""

    def __init__(self) -> None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.before = usage.ru_utime + usage.ru_stime

    def used(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime - self.before


def _own_cpu(pid: int) -> float:
    """A live process's own CPU seconds (its threads, not its children): /proc's utime + stime."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _serve(db: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "--db", str(db), "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while ipc.call(socket_path(db), {"op": "ping"}, timeout=5) is None:
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.02)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


@contextmanager
def _huey_consumer(env: dict[str, str], workers: int) -> Iterator[subprocess.Popen[bytes]]:
    consumer = shutil.which("huey_consumer", path=str(Path(sys.executable).parent))
    assert consumer, "huey_consumer: pip install 'huey>=2.5' (the bench extra)"
    proc = subprocess.Popen(
        [sys.executable, consumer, "huey_app.huey", "-w", str(workers), "-k", "thread", "-q"],
        env={**env, "PYTHONPATH": str(HUEY_APP.parent)}, cwd=HUEY_APP.parent,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"


# ---------------------------------------------------------------------- 1. add through an owner


def _spawned_at(db: Path, task_id: str, timeout: float = 10.0) -> float:
    """The run's spawned_at (epoch seconds) once it is recorded."""
    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(db)
        try:
            row = conn.execute("SELECT spawned_at FROM runs WHERE task_id = ? AND ended_at IS NOT NULL",
                               (task_id,)).fetchone()
        finally:
            conn.close()
        if row and row[0] is not None:
            return float(row[0]) / 1e6
        assert time.monotonic() < deadline, f"task {task_id} did not run"
        time.sleep(0.005)


def _owner_handling(db: Path) -> float:
    """The owner's time for an add, from this process: an add's round trip on the socket
    minus a ping's (both connect, greet, send and read a line; the add also has the owner
    check, write and start the task, and answer with it)."""
    path = socket_path(db)
    started = time.perf_counter()
    assert ipc.call(path, {"op": "ping"}) is not None
    ping = time.perf_counter() - started
    started = time.perf_counter()
    reply = ipc.call(path, {"op": "add", "spec": {"worker": "shell", "args": ["true"]}})
    add = time.perf_counter() - started
    assert reply is not None and reply["ok"], reply
    return add - ping


@pytest.mark.timeout(1800)
def test_add_through_a_running_owner_against_a_bare_python_and_huey(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huey", reason="pip install 'huey>=2.5' (the bench extra)")
    runtime = Path(tempfile.mkdtemp(prefix="wdb-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # where this process looks for serve's socket
    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-cli-"))
    db = tmp / "cli.db"
    stamp = tmp / "huey-started"
    env = _env(runtime)
    huey_env = {**env, "HUEY_DB": str(tmp / "huey.db"), "HUEY_STAMP": str(stamp)}
    add = [sys.executable, "-m", "ui.cli", "--db", str(db), "add", "--", "true"]
    # The installed console script (pip's wrapper: `from ui.cli import main`), beside `python -m`.
    script = Path(sys.executable).parent / "workdeck"
    script_add = [str(script), "--db", str(db), "add", "--", "true"] if script.exists() else None
    bare = [sys.executable, "-c", "import socket, json"]
    huey_add = [sys.executable, "-c", "import huey_app; huey_app.run_stamped(['true'])"]
    huey_add_env = {**huey_env, "PYTHONPATH": str(HUEY_APP.parent)}
    rows: dict[str, list[list[float]]] = {k: [] for k in ("bare", "add", "add cpu", "add->started", "script",
                                                           "owner", "huey", "huey cpu", "huey->started")}
    load_before = _load()
    try:
        with _serve(db, env), _huey_consumer(huey_env, 2):
            for argv, e in ((add, env), (bare, env), (huey_add, huey_add_env)):  # warm up: byte code, caches
                subprocess.run(argv, env=e, cwd=ROOT, capture_output=True, check=True)
            for _ in range(ROUNDS):
                walls: dict[str, list[float]] = {k: [] for k in rows}
                for _ in range(PER_ROUND):
                    wall, _ = _timed(bare, env)
                    walls["bare"].append(wall)
                    cpu = _ChildCpu()
                    launched = time.time()
                    wall, out = _timed(add, env)
                    walls["add cpu"].append(cpu.used())
                    walls["add"].append(wall)
                    walls["add->started"].append(_spawned_at(db, out.strip()) - launched)
                    if script_add is not None:
                        walls["script"].append(_timed(script_add, env)[0])
                    walls["owner"].append(_owner_handling(db))
                    stamp.unlink(missing_ok=True)
                    cpu = _ChildCpu()
                    launched = time.time()
                    wall, _ = _timed(huey_add, huey_add_env)
                    walls["huey cpu"].append(cpu.used())
                    walls["huey"].append(wall)
                    deadline = time.monotonic() + 10
                    while not stamp.exists() or not stamp.read_text():
                        assert time.monotonic() < deadline, "huey did not run the task"
                        time.sleep(0.002)
                    walls["huey->started"].append(float(stamp.read_text()) - launched)
                for key, values in walls.items():
                    rows[key].append(values)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {k: [statistics.median(r) if r else 0.0 for r in v] for k, v in rows.items()}
    print(f"\n\nadd through a running owner, {ROUNDS} rounds x {PER_ROUND}, interleaved: "
          f"median ms (range of the rounds' medians); {load_before} before, {_load()} after")
    labels = {
        "bare": 'bare python -c "import socket, json" (floor)', "add": "workdeck add -- true, wall",
        "add cpu": "  its CPU", "add->started": "  add -> command started",
        "script": "  the same through the installed `workdeck`", "owner": "  the owner's handling (add - ping)",
        "huey": "huey enqueue process, wall",
        "huey cpu": "  its CPU", "huey->started": "  huey enqueue -> command started",
    }
    for key, label in labels.items():
        if all(rows[key]):
            print(f"{label:<46} {_spread(medians[key])}")
    add_median = statistics.median(medians["add"])
    ratio = [a / b for a, b in zip(medians["add"], medians["bare"], strict=True)]
    started = statistics.median(medians["add->started"])
    print(f"add / bare python: {statistics.median(ratio):.2f}x ({min(ratio):.2f}-{max(ratio):.2f}); "
          f"targets: add median {add_median * 1000:.0f} ms <= 100 ({'met' if add_median <= 0.1 else 'NOT met'}), "
          f"<= 1.5x bare ({'met' if statistics.median(ratio) <= 1.5 else 'NOT met'}), add -> started "
          f"{started * 1000:.0f} ms <= 150 ({'met' if started <= 0.15 else 'NOT met'})")


# ---------------------------------------------------------------------- 2. draining shell work


def _fresh(db: Path) -> Path:
    """``db`` with no file left from an earlier round (the database, its WAL and shared memory)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


def _fill_deferred(db: Path, env: dict[str, str], n: int) -> None:
    code = (
        "import sys\nfrom engine.store import Store\nfrom engine.engine import Engine\n"
        "from engine.model import Kind, TaskSpec\n"
        "store = Store(sys.argv[1]); engine = Engine(store)\n"
        "for _ in range(int(sys.argv[2])): engine.enqueue(TaskSpec('shell', ('true',), kind=Kind.DEFERRED))\n"
        "store.close()\n"
    )
    subprocess.run([sys.executable, "-c", code, str(db), str(n)], env=env, cwd=ROOT, check=True)


def _succeeded(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM tasks WHERE state = 'succeeded'").fetchone()[0])
    finally:
        conn.close()


def _first_run(db: Path) -> tuple[float, float]:
    """The first run's spawned_at and ended_at, epoch seconds (every run has ended)."""
    conn = sqlite3.connect(db)
    try:
        spawned, ended = conn.execute("SELECT min(spawned_at), min(ended_at) FROM runs").fetchone()
    finally:
        conn.close()
    return spawned / 1e6, ended / 1e6


def _drain_workdeck(tmp: Path, env: dict[str, str], n: int) -> tuple[float, float, float, tuple[float, float]]:
    """Tasks/s, CPU s (the process and its commands), the process's own CPU s, and its
    first command's start and end, seconds after the process started."""
    db = _fresh(tmp / "drain.db")
    _fill_deferred(db, env, n)
    cpu = _ChildCpu()
    started, launched = time.perf_counter(), time.time()
    with _serve(db, env) as serve:
        while _succeeded(db) < n:
            assert time.perf_counter() - started < 600
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        own = _own_cpu(serve.pid)
    spawned, ended = _first_run(db)
    return n / elapsed, cpu.used(), own, (spawned - launched, ended - launched)


def _drain_huey(tmp: Path, env: dict[str, str], n: int) -> tuple[float, float, float, tuple[float, float]]:
    db = _fresh(tmp / "huey-drain.db")
    counter = tmp / "huey-count"
    counter.write_bytes(b"")
    huey_env = {**env, "HUEY_DB": str(db), "HUEY_COUNT": str(counter), "PYTHONPATH": str(HUEY_APP.parent)}
    subprocess.run([sys.executable, "-c", f"import huey_app\nfor _ in range({n}): huey_app.run_counted(['true'])"],
                   env=huey_env, cwd=HUEY_APP.parent, check=True)
    cpu = _ChildCpu()
    started = time.perf_counter()
    with _huey_consumer(huey_env, os.cpu_count() or 1) as consumer:
        while counter.stat().st_size == 0:  # its first task done: polled finely, as it has no stamp
            assert time.perf_counter() - started < 600
            time.sleep(0.002)
        first = time.perf_counter() - started
        while counter.stat().st_size < n:
            assert time.perf_counter() - started < 600
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        own = _own_cpu(consumer.pid)
    return n / elapsed, cpu.used(), own, (math.nan, first)


LEAN_DRAIN = Path(__file__).with_name("lean_drain.py")


def _drain_lean(tmp: Path, env: dict[str, str], n: int) -> tuple[float, float, float, tuple[float, float]]:
    """The same backlog drained by tests/bench/lean_drain.py (serve's per-run work without
    its layers): tasks/s, CPU s and own CPU s from the process's start; no first run."""
    db = _fresh(tmp / "lean.db")
    _fill_deferred(db, env, n)
    cpu = _ChildCpu()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(LEAN_DRAIN), str(db), str(os.cpu_count() or 1)], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert _succeeded(db) == n
    return n / elapsed, cpu.used(), float(done.stdout.split()[-1]), (math.nan, math.nan)


#: persist-queue's acknowledged queue, drained: CPU-count threads each take a task, run it
#: and acknowledge it (a crash before the ack gives the task back on the next open).
_PERSIST_ACK = (
    "import subprocess, sys, time\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "from persistqueue import SQLiteAckQueue\n"
    "from persistqueue.exceptions import Empty\n"
    "queue = SQLiteAckQueue(sys.argv[1], multithreading=True)\n"
    "def work(_):\n"
    "    while True:\n"
    "        try:\n"
    "            task = queue.get(block=False, raw=True)\n"
    "        except Empty:\n"
    "            return\n"
    "        subprocess.run(task['data'], check=False)\n"
    "        queue.ack(id=task['pqid'])\n"
    "with ThreadPoolExecutor(int(sys.argv[2])) as pool:\n"
    "    list(pool.map(work, range(int(sys.argv[2]))))\n"
    "print(queue.acked_count(), time.process_time())\n"
)


def _drain_persist_ack(tmp: Path, env: dict[str, str], n: int) -> tuple[float, float, float, tuple[float, float]]:
    """The same backlog in persist-queue's acknowledged queue, drained (``_PERSIST_ACK``):
    tasks/s, CPU s and own CPU s from the process's start; no first run."""
    db = tmp / "persist-ack"
    shutil.rmtree(db, ignore_errors=True)
    fill = "import sys\nfrom persistqueue import SQLiteAckQueue\nq = SQLiteAckQueue(sys.argv[1])\n" \
           "for _ in range(int(sys.argv[2])): q.put(['true'])\n"
    subprocess.run([sys.executable, "-c", fill, str(db), str(n)], env=env, cwd=tmp, check=True)
    cpu = _ChildCpu()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PERSIST_ACK, str(db), str(os.cpu_count() or 1)], env=env, cwd=tmp,
                          check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    acked, own = done.stdout.split()
    assert int(acked) == n
    return n / elapsed, cpu.used(), float(own), (math.nan, math.nan)


#: The floor (issue 14): the commands alone, from a fresh process, CPU-count at a time.
_FLOOR = (
    "import os, subprocess, sys, time\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "def run(_):\n"
    "    subprocess.run(['true'], check=True)\n"
    "with ThreadPoolExecutor(os.cpu_count() or 1) as pool:\n"
    "    list(pool.map(run, range(int(sys.argv[1]))))\n"
)


def _drain_floor(tmp: Path, env: dict[str, str], n: int) -> tuple[float, float, float, tuple[float, float]]:
    """The commands alone: tasks/s and CPU s (the process and its commands); its own
    CPU is not read (it has ended), nor a first run."""
    cpu = _ChildCpu()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _FLOOR, str(n)], env=env, cwd=tmp, check=True)
    elapsed = time.perf_counter() - started
    return n / elapsed, cpu.used(), math.nan, (math.nan, math.nan)


@contextmanager
def _idle_processes(n: int) -> Iterator[None]:
    procs = [subprocess.Popen(["sleep", "3600"]) for _ in range(n)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


@pytest.mark.timeout(3600)
def test_draining_shell_tasks_against_hueys_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("huey", reason="pip install 'huey>=2.5' (the bench extra)")
    pytest.importorskip("persistqueue", reason="pip install 'persist-queue>=1.0' (the bench extra)")
    runtime = Path(tempfile.mkdtemp(prefix="wdb-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    tmp = Path(tempfile.mkdtemp(prefix="wd-bench-drain-"))
    env = _env(runtime)
    try:
        for n in DRAINS:
            _drain_table(tmp, env, n)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _drain_table(tmp: Path, env: dict[str, str], n: int) -> None:
    results: dict[str, list[tuple[float, float, float, tuple[float, float]]]] = {}
    load_before = _load()
    for _ in range(ROUNDS):
        for extra in (0, IDLE_PROCESSES):
            with _idle_processes(extra):
                results.setdefault(f"workdeck serve, +{extra} idle processes", []).append(_drain_workdeck(tmp, env, n))
                results.setdefault(f"huey consumer, +{extra} idle processes", []).append(_drain_huey(tmp, env, n))
                results.setdefault(f"floor: ThreadPoolExecutor + subprocess, +{extra}", []).append(
                    _drain_floor(tmp, env, n))
                results.setdefault(f"lean loop on the engine's store, +{extra}", []).append(_drain_lean(tmp, env, n))
                results.setdefault(f"persist-queue, acknowledged, +{extra}", []).append(
                    _drain_persist_ack(tmp, env, n))
    print(f"\n\n{n} shell `true` tasks drained, {os.cpu_count()} at a time, {ROUNDS} interleaved rounds "
          f"(from the process's start): median (range); {load_before} before, {_load()} after")
    # The process's own CPU (its threads) and its commands' (the `true`s, reaped by it)
    # per task: the machine has os.cpu_count() CPUs for both, so together they bound the rate.
    print(f"{'':<40} {'tasks/s':>22} {'CPU s':>20} {'own us/task':>12} {'commands us/task':>17} "
          f"{'first started ms':>21} {'first done ms':>21}")
    for label, runs in results.items():
        rates, cpus = [r for r, _, _, _ in runs], [c for _, c, _, _ in runs]
        own = statistics.median(o for _, _, o, _ in runs) / n * 1e6
        commands = statistics.median(c - o for _, c, o, _ in runs) / n * 1e6
        started = [f[0] for *_, f in runs if not math.isnan(f[0])]
        done = [f[1] for *_, f in runs if not math.isnan(f[1])]
        print(f"{label:<40} {statistics.median(rates):10.0f} ({min(rates):.0f}-{max(rates):.0f}) "
              f"{statistics.median(cpus):10.2f} ({min(cpus):.2f}-{max(cpus):.2f}) "
              f"{'-' if math.isnan(own) else f'{own:.0f}':>12} {'-' if math.isnan(commands) else f'{commands:.0f}':>17} "
              f"{_spread(started) if started else 'no stamp':>21} {_spread(done) if done else '-':>21}")
    for extra in (0, IDLE_PROCESSES):
        ours_runs = results[f"workdeck serve, +{extra} idle processes"]
        peer_runs = results[f"huey consumer, +{extra} idle processes"]
        ours = statistics.median([r for r, _, _, _ in ours_runs])
        peer = statistics.median([r for r, _, _, _ in peer_runs])
        # The first task done, same rounds: each round's workdeck over that round's huey.
        first = [w[3][1] / h[3][1] for w, h in zip(ours_runs, peer_runs, strict=True)]
        floor = statistics.median([r for r, _, _, _ in results[f"floor: ThreadPoolExecutor + subprocess, +{extra}"]])
        print(f"+{extra} idle processes: workdeck / huey = {ours / peer:.2f}x tasks/s (huey / floor {peer / floor:.2f}x, "
              f"workdeck / floor {ours / floor:.2f}x); first task done "
              f"{statistics.median(first):.2f}x huey's ({min(first):.2f}-{max(first):.2f})")
        # Each round's own CPU a task, serve's over the lean loop's: what serve's layers cost.
        lean_runs = results[f"lean loop on the engine's store, +{extra}"]
        layers = [w[2] / lean[2] for w, lean in zip(ours_runs, lean_runs, strict=True)]
        lean_vs_peer = [lean[2] / h[2] for lean, h in zip(lean_runs, peer_runs, strict=True)]
        print(f"+{extra} idle processes: own CPU a task, serve / lean loop = {statistics.median(layers):.2f}x "
              f"({min(layers):.2f}-{max(layers):.2f}); lean loop / huey = {statistics.median(lean_vs_peer):.2f}x "
              f"({min(lean_vs_peer):.2f}-{max(lean_vs_peer):.2f})")
        # Against the durable peer, round by round: tasks/s and own CPU a task.
        durable_runs = results[f"persist-queue, acknowledged, +{extra}"]
        rate = [w[0] / d[0] for w, d in zip(ours_runs, durable_runs, strict=True)]
        own_cpu = [w[2] / d[2] for w, d in zip(ours_runs, durable_runs, strict=True)]
        print(f"+{extra} idle processes: against persist-queue's acknowledged queue, serve's tasks/s "
              f"{statistics.median(rate):.2f}x ({min(rate):.2f}-{max(rate):.2f}), its own CPU a task "
              f"{statistics.median(own_cpu):.2f}x ({min(own_cpu):.2f}-{max(own_cpu):.2f})")
