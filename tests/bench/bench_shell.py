"""Shell runs per second: the group cleanup without a scan of the machine (issue 14).

The baseline is the shell worker as it was before this change (read from git at the
commit named by BASELINE, or the merge base with main): after every command it walked
``psutil.process_iter`` to find what was left in the command's group, so its cost grew
with the number of processes on the machine. The floor is a ThreadPoolExecutor running
``subprocess.run(["true"])``. "now, thread supervisor" is the same worker with the
supervisor Windows runs (engine.workers.shell_threads), for its cost here. Those run
as immediate work on the runner's pool; "now, from the event loop" runs the same
worker as deferred work, THREADS at a time, supervised from the runner's event loop
(engine.shell_loop, Linux); "Popen spawn" is that with its commands started through
Popen, as before engine.platforms.spawn (posix_spawn). Each round drains N ``true`` tasks through a JobRunner with
the same number of threads, with no extra processes and with 300 idle ``sleep``
processes started beside it (a normal desktop); variants are interleaved, 3 rounds,
and the table shows the median and the range, and the CPU this process spent per task
(the scan's cost is CPU here; wall time also measures the machine's other users).

Commands run at normal priority in every variant: at ``SCHED_IDLE`` (the worker's
default, unchanged here) a command waits for every other process that wants a CPU,
so on a shared machine the rate measured the neighbours' load, not the worker.

Run: ``QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_shell.py -s -p no:randomly``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop

from engine import shell_loop
from engine.immediate import PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, JobRunner
from engine.model import Outcome
from engine.platforms import spawn
from engine.platforms.processes import PosixProcesses
from engine.workers.base import Worker, WorkContext, WorkResult
from engine.workers.shell import ShellWorker
from engine.workers.shell_threads import ThreadSupervisor

#: Task counts per round; WORKDECK_BENCH_SIZES="1000" (comma-separated) for a shorter run.
SIZES = tuple(int(n) for n in os.environ.get("WORKDECK_BENCH_SIZES", "500,2000").split(","))
IDLE = (0, 300)
ROUNDS = int(os.environ.get("WORKDECK_BENCH_ROUNDS", "3"))
THREADS = 4
#: The commit whose shell worker is the baseline; empty: the merge base with main.
BASELINE = os.environ.get("WORKDECK_BENCH_BASELINE", "")
ROOT = Path(__file__).parents[2]


def _baseline_worker() -> Worker:
    commit = BASELINE or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip()
    source = subprocess.run(["git", "show", f"{commit}:engine/workers/shell.py"], cwd=ROOT, capture_output=True,
                            text=True)
    if source.returncode != 0 or "_scan" not in source.stdout:
        pytest.skip(f"no baseline shell worker with the process scan at {commit or 'the merge base'}")
    module = types.ModuleType("shell_baseline")
    module.__file__ = "shell_baseline.py"
    sys.modules["shell_baseline"] = module
    exec(compile(source.stdout, "shell_baseline.py", "exec"), module.__dict__)
    module._lower_priority = _normal_priority  # type: ignore[attr-defined]  # see the module docstring
    return module.ShellWorker()  # type: ignore[no-any-return]


@contextmanager
def idle_processes(count: int) -> Iterator[None]:
    procs = [subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL) for _ in range(count)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def _normal_priority(pid: int, *, own_session: bool) -> None:
    pass


def _through_runner(worker: Worker, runner: JobRunner, n: int) -> tuple[float, float]:
    """All ``n`` submitted at once as immediate work: the pool's threads run them."""
    outcomes: list[Outcome] = []
    runner.finished.connect(lambda job, result: outcomes.append(result.outcome))
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        runner.submit(worker, WorkContext(task_id=f"t{i}", attempt=1, args=("true",)), priority=PRIORITY_IMMEDIATE)
    assert runner.wait_for_done(600_000)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    runner.finished.disconnect()
    assert outcomes.count(Outcome.SUCCEEDED) == n
    return n / elapsed, cpu / n * 1000


def _through_loop(worker: Worker, runner: JobRunner, n: int) -> tuple[float, float]:
    """As deferred work, THREADS at a time, the next submitted as one ends (as the
    engine's dispatcher does): supervised from the runner's event loop (engine.shell_loop)."""
    outcomes: list[Outcome] = []
    submitted = [0]

    def submit_next() -> None:
        if submitted[0] < n:
            runner.submit(worker, WorkContext(task_id=f"t{submitted[0]}", attempt=1, args=("true",)),
                          priority=PRIORITY_DEFERRED)
            submitted[0] += 1

    def on_finished(job: object, result: WorkResult) -> None:
        outcomes.append(result.outcome)
        submit_next()

    runner.finished.connect(on_finished)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(THREADS):
        submit_next()
    deadline = time.monotonic() + 600
    while len(outcomes) < n:
        assert time.monotonic() < deadline
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 100)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    runner.finished.disconnect()
    assert outcomes.count(Outcome.SUCCEEDED) == n
    return n / elapsed, cpu / n * 1000


def _with_popen(run: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    spawn.ENABLED = False
    try:
        return run()
    finally:
        spawn.ENABLED = True


def _floor(n: int) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(THREADS) as executor:
        codes = list(executor.map(lambda _: subprocess.run(["true"]).returncode, range(n)))
    assert codes == [0] * n
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1000


def test_shell_runs_per_second(qapp: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PosixProcesses, "lower_priority", lambda self, unit, *, own_session: None)
    variants: dict[str, Callable[[JobRunner, int], tuple[float, float]]] = {}
    baseline = _baseline_worker()
    now = ShellWorker()
    variants["baseline (scan)"] = lambda runner, n: _through_runner(baseline, runner, n)
    variants["now (killpg probe)"] = lambda runner, n: _through_runner(now, runner, n)
    if shell_loop.AVAILABLE:
        variants["now, from the event loop"] = lambda runner, n: _through_loop(now, runner, n)
    if shell_loop.AVAILABLE and spawn.ENABLED:
        variants["now, event loop, Popen spawn"] = lambda runner, n: _with_popen(lambda: _through_loop(now, runner, n))
    # Windows' supervisor (reader and waiter threads, a queue) on the same processes.
    threads = ShellWorker(supervisor=ThreadSupervisor)
    variants["now, thread supervisor"] = lambda runner, n: _through_runner(threads, runner, n)
    variants["floor (executor+subprocess)"] = lambda runner, n: _floor(n)
    results: dict[tuple[str, int, int], list[float]] = {}
    cpu_ms: dict[tuple[str, int, int], list[float]] = {}
    runner = JobRunner(max_threads=THREADS)
    try:
        for n in SIZES:
            for idle in IDLE:
                with idle_processes(idle):
                    for _ in range(ROUNDS):
                        for name, run in variants.items():
                            rate, cpu = run(runner, n)
                            results.setdefault((name, n, idle), []).append(rate)
                            cpu_ms.setdefault((name, n, idle), []).append(cpu)
    finally:
        assert runner.shutdown(msecs=30_000)
    print()
    print(f"{'variant':30} {'tasks':>6} {'+idle':>6} {'runs/s median':>14} {'range':>17} {'vs baseline':>12} "
          f"{'CPU ms/task':>12}")
    for (name, n, idle), rates in results.items():
        base = statistics.median(results[("baseline (scan)", n, idle)])
        rate = statistics.median(rates)
        cpu = statistics.median(cpu_ms[(name, n, idle)])
        print(f"{name:30} {n:6} {idle:6} {rate:14.0f} {min(rates):8.0f}-{max(rates):<8.0f} {rate / base:11.2f}x "
              f"{cpu:12.2f}")
    for n in SIZES:
        quiet = statistics.median(results[("now (killpg probe)", n, 0)])
        busy = statistics.median(results[("now (killpg probe)", n, 300)])
        cpu_quiet = statistics.median(cpu_ms[("now (killpg probe)", n, 0)])
        cpu_busy = statistics.median(cpu_ms[("now (killpg probe)", n, 300)])
        print(f"now, {n} tasks: with 300 idle processes at {busy / quiet:.2f}x the rate and "
              f"{cpu_busy / cpu_quiet:.2f}x the CPU per task of without")
