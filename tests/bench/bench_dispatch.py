"""Dispatch overhead: 10,000 no-op jobs through JobRunner vs ThreadPoolExecutor.

Both sides do the same: submit N no-op jobs to a pool of the same size from the main
thread and wait until the main thread holds every result. For JobRunner that means
every ``finished`` signal was emitted on the main thread; for the executor, every
Future is done. Best of several rounds, to keep the other helpers' load out of it.

Run: ``QT_QPA_PLATFORM=offscreen pytest tests/bench/bench_dispatch.py -s``
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from PySide6.QtCore import QEventLoop

from engine.immediate import JobRunner
from engine.model import Outcome
from engine.workers.base import Worker, WorkContext, WorkResult

JOBS = 10_000
ROUNDS = 5
THREADS = 2
TARGET = 0.8  # JobRunner throughput / executor throughput

_DONE = WorkResult(Outcome.SUCCEEDED)


class NoopWorker(Worker):
    name = "noop"

    def run(self, ctx: WorkContext) -> WorkResult:
        return _DONE


def _noop() -> WorkResult:
    return _DONE


def _executor_round() -> float:
    with ThreadPoolExecutor(max_workers=THREADS) as executor:
        start = time.perf_counter()
        futures = [executor.submit(_noop) for _ in range(JOBS)]
        wait(futures)
        elapsed = time.perf_counter() - start
    assert all(f.result() is _DONE for f in futures)
    return elapsed


def _runner_round(runner: JobRunner) -> float:
    finished = [0]

    def on_finished(job: Any, result: Any) -> None:
        finished[0] += 1

    runner.finished.connect(on_finished)
    worker = NoopWorker()
    start = time.perf_counter()
    for i in range(JOBS):
        runner.submit(worker, WorkContext(task_id=f"t{i}", attempt=1, args=()))
    assert runner.wait_for_done(60_000)
    elapsed = time.perf_counter() - start
    runner.finished.disconnect(on_finished)
    assert finished[0] == JOBS
    return elapsed


def _runner_event_loop_round(runner: JobRunner) -> float:
    """Like _runner_round, but results arrive through the Qt event loop, as in the app."""
    finished = [0]
    loop = QEventLoop()

    def on_finished(job: Any, result: Any) -> None:
        finished[0] += 1
        if finished[0] == JOBS:
            loop.quit()

    runner.finished.connect(on_finished)
    worker = NoopWorker()
    start = time.perf_counter()
    for i in range(JOBS):
        runner.submit(worker, WorkContext(task_id=f"t{i}", attempt=1, args=()))
    loop.exec()
    elapsed = time.perf_counter() - start
    runner.finished.disconnect(on_finished)
    assert finished[0] == JOBS
    return elapsed


def test_dispatch_overhead(qapp: Any) -> None:
    runner = JobRunner(max_threads=THREADS)
    try:
        _runner_round(runner)  # warm up: thread creation, imports
        _executor_round()
        executor_times, runner_times, loop_times = [], [], []
        for _ in range(ROUNDS):  # interleaved, so background load hits all alike
            executor_times.append(_executor_round())
            runner_times.append(_runner_round(runner))
            loop_times.append(_runner_event_loop_round(runner))
    finally:
        runner.shutdown(msecs=10_000)
    best_executor, best_runner = min(executor_times), min(runner_times)
    ratio = best_executor / best_runner  # >1: JobRunner is faster
    print()
    print(f"{'dispatch of %d no-op jobs, %d threads' % (JOBS, THREADS):<48}{'best':>10}{'median':>10}{'µs/job':>9}")
    rows = (
        ("ThreadPoolExecutor (baseline)", executor_times),
        ("JobRunner, wait_for_done", runner_times),
        ("JobRunner, signals via the Qt event loop", loop_times),
    )
    for label, times in rows:
        median = sorted(times)[len(times) // 2]
        print(f"{label:<48}{min(times) * 1e3:>8.1f}ms{median * 1e3:>8.1f}ms{min(times) / JOBS * 1e6:>9.1f}")
    print(f"{'JobRunner throughput / baseline':<48}{ratio:>9.2f}x   (target >= {TARGET}x)")
    print(f"{'  ... via the event loop / baseline':<48}{best_executor / min(loop_times):>9.2f}x")
    assert ratio >= TARGET, f"JobRunner dispatch is {ratio:.2f}x the executor's throughput, under {TARGET}x"
