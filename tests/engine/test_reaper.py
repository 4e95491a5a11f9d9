"""The owner's reaper (engine.reaper) against real process groups: what it is told is
what it ends when the owner dies, forgets included however they are batched."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine import process_groups
from engine.reaper import FORGETS_HELD, Reaper
from tests.e2e.conftest import wait_until
from tests.engine.test_process_groups import _group, spawn  # noqa: F401  (spawn: the fixture)

pytestmark = pytest.mark.posix  # process groups and a reaper process: POSIX's


def _sleeper(spawn: list[subprocess.Popen[bytes]], marker: str) -> subprocess.Popen[bytes]:
    """A run's process group: one ``sleep`` leading it, carrying ``marker``."""
    return _group(spawn, "exec sleep 60", marker)


def _watch(reaper: Reaper, proc: subprocess.Popen[bytes], marker: str) -> None:
    reaper.watch(proc.pid, process_groups.leader_start(proc.pid), marker)


def _owner_dies(reaper: Reaper) -> None:
    """What the kernel does when the owner dies, SIGKILL included: its end of the pipe
    closes, with nothing more written (unlike Reaper.close)."""
    os.close(reaper._write_fd)
    assert reaper._proc is not None
    reaper._proc.wait(30)


def test_a_dead_owners_reaper_ends_watched_groups_and_spares_forgotten_ones(
        spawn: list[subprocess.Popen[bytes]]) -> None:
    reaper = Reaper()
    forgotten = _sleeper(spawn, "t-forgotten.1")
    watched = _sleeper(spawn, "t-watched.1")
    _watch(reaper, forgotten, "t-forgotten.1")
    reaper.forget(forgotten.pid)  # held: no write of its own...
    _watch(reaper, watched, "t-watched.1")  # ...sent with the next watch
    _owner_dies(reaper)
    wait_until(lambda: watched.poll() is not None, timeout=10, what="the watched group to be ended")
    assert forgotten.poll() is None  # still listed, it would have been ended too


def test_forgets_held_without_a_next_watch_are_sent_in_batches(spawn: list[subprocess.Popen[bytes]]) -> None:
    reaper = Reaper()
    procs = [_sleeper(spawn, f"t{i}.1") for i in range(FORGETS_HELD)]
    for i, proc in enumerate(procs):
        _watch(reaper, proc, f"t{i}.1")
    for proc in procs:
        reaper.forget(proc.pid)  # the last one fills the batch: all are sent
    _owner_dies(reaper)
    assert all(proc.poll() is None for proc in procs)


def test_a_graceful_close_sends_what_is_held(spawn: list[subprocess.Popen[bytes]]) -> None:
    reaper = Reaper()
    proc = _sleeper(spawn, "t-closed.1")
    _watch(reaper, proc, "t-closed.1")
    reaper.forget(proc.pid)
    reaper.close()
    assert reaper._proc is not None and reaper._proc.returncode == 0
    assert proc.poll() is None


@pytest.mark.skipif(sys.platform == "win32", reason="no reaper: a Job Object ends a dead owner's runs")
def test_the_runner_tells_the_watcher_on_the_workers_thread(qtbot: object) -> None:
    """A shell run's group is watched before the engine's thread hears of it: from the
    worker's thread, right after the spawn."""
    import threading

    from engine.immediate import JobRunner
    from engine.workers.base import WorkContext
    from engine.workers.shell import ShellWorker

    told: list[tuple[int, str, str]] = []
    runner = JobRunner(max_threads=1)
    runner.watch_group = lambda pgid, start, marker: told.append((pgid, marker, threading.current_thread().name))
    heard: list[int] = []
    runner.group.connect(lambda task_id, pgid, start: heard.append(len(told)))
    done: list[object] = []
    runner.finished.connect(lambda job, result: done.append(result))
    runner.submit(ShellWorker(), WorkContext(task_id="t", attempt=1, args=("true",)))
    qtbot.waitUntil(lambda: bool(done))  # type: ignore[attr-defined]
    runner.shutdown()
    ((pgid, marker, thread),) = told
    assert marker == "t.1" and pgid > 0
    assert thread != threading.main_thread().name
    assert heard == [1]  # the watcher knew before the signal
