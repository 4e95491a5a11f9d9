"""The owner's reaper (engine.reaper) against real process groups: what it is told is
what it ends when the owner dies, forgets included however they are batched.

Every such test runs twice: with the shared table (Linux's memfd) and with the pipe
alone (no memfds, as on macOS; and what a full table overflows into)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from engine import process_groups
from engine import reaper as reaper_module
from engine.reaper import FORGETS_HELD, SLOT_SIZE, Reaper
from tests.e2e.conftest import wait_until
from tests.engine.test_process_groups import _group, spawn  # noqa: F401  (spawn: the fixture)

pytestmark = pytest.mark.posix  # process groups and a reaper process: POSIX's


@pytest.fixture(params=["table", "pipe"])
def make_reaper(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Reaper]:
    if request.param == "pipe":
        monkeypatch.setattr(reaper_module, "_new_table", lambda: None)
    elif not sys.platform.startswith("linux"):
        pytest.skip("the shared table needs memfds (Linux): the pipe carries everything here")

    def make() -> Reaper:
        made = Reaper()
        assert (made._table is not None) is (request.param == "table")
        return made

    return make


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
        spawn: list[subprocess.Popen[bytes]], make_reaper: Callable[[], Reaper]) -> None:
    reaper = make_reaper()
    forgotten = _sleeper(spawn, "t-forgotten.1")
    watched = _sleeper(spawn, "t-watched.1")
    _watch(reaper, forgotten, "t-forgotten.1")
    reaper.forget(forgotten.pid)  # held: no write of its own...
    _watch(reaper, watched, "t-watched.1")  # ...sent with the next watch
    _owner_dies(reaper)
    wait_until(lambda: watched.poll() is not None, timeout=10, what="the watched group to be ended")
    assert forgotten.poll() is None  # still listed, it would have been ended too


def test_forgets_held_without_a_next_watch_are_sent_in_batches(
        spawn: list[subprocess.Popen[bytes]], make_reaper: Callable[[], Reaper]) -> None:
    reaper = make_reaper()
    procs = [_sleeper(spawn, f"t{i}.1") for i in range(FORGETS_HELD)]
    for i, proc in enumerate(procs):
        _watch(reaper, proc, f"t{i}.1")
    for proc in procs:
        reaper.forget(proc.pid)  # the last one fills the batch: all are sent
    _owner_dies(reaper)
    assert all(proc.poll() is None for proc in procs)


def test_a_graceful_close_sends_what_is_held(
        spawn: list[subprocess.Popen[bytes]], make_reaper: Callable[[], Reaper]) -> None:
    reaper = make_reaper()
    proc = _sleeper(spawn, "t-closed.1")
    _watch(reaper, proc, "t-closed.1")
    reaper.forget(proc.pid)
    reaper.close()
    assert reaper._proc is not None and reaper._proc.returncode == 0
    assert proc.poll() is None


@pytest.mark.linux
def test_a_full_table_overflows_into_the_pipe(spawn: list[subprocess.Popen[bytes]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reaper_module, "SLOTS", 2)
    reaper = Reaper()
    procs = [_sleeper(spawn, f"t-full{i}.1") for i in range(4)]
    for i, proc in enumerate(procs):
        _watch(reaper, proc, f"t-full{i}.1")
    assert set(reaper._listed) == {procs[0].pid, procs[1].pid}  # the other two went down the pipe
    reaper.forget(procs[1].pid)  # a slot freed...
    reaper.forget(procs[3].pid)  # ...and a forget held for the pipe
    late = [_sleeper(spawn, f"t-full{i}.1") for i in (4, 5)]
    _watch(reaper, late[0], "t-full4.1")  # takes the freed slot
    _watch(reaper, late[1], "t-full5.1")  # the table is full again: the pipe, with the held forget
    assert late[0].pid in reaper._listed and late[1].pid not in reaper._listed
    _owner_dies(reaper)
    for ended in (procs[0], procs[2], *late):
        wait_until(lambda: ended.poll() is not None, timeout=10, what="a listed group to be ended")
    assert procs[1].poll() is None and procs[3].poll() is None


def test_a_slot_counts_only_once_its_first_byte_is_set() -> None:
    """An owner killed while writing a slot leaves its text without the byte: not listed."""
    table = bytearray(SLOT_SIZE * 3)
    whole = b"4242 boot/pidfs-7 t1.1\n"
    table[1 : 1 + len(whole)] = whole
    table[0] = ord("+")
    torn = b"4343 boot/pidfs-8 t2.1\n"
    table[SLOT_SIZE + 1 : SLOT_SIZE + 1 + len(torn)] = torn  # the byte was never set
    table[2 * SLOT_SIZE] = ord("+")  # set, over text that makes no entry: skipped, not fatal
    table[2 * SLOT_SIZE + 1 : 2 * SLOT_SIZE + 6] = b"junk\n"
    assert reaper_module.listed(bytes(table)) == {4242: process_groups.Group(4242, "boot/pidfs-7", "t1.1")}


@pytest.mark.skipif(sys.platform == "win32", reason="no reaper: a Job Object ends a dead owner's runs")
@pytest.mark.parametrize("kind", ["immediate", "deferred"])
def test_the_runner_tells_the_watcher_on_the_workers_thread(qtbot: object, kind: str) -> None:
    """A shell run's group is watched before the engine's thread hears of it, right after
    the spawn: from the pool thread that spawned it (immediate work), or from the
    runner's own thread, which spawns deferred work (engine.shell_loop)."""
    import threading

    from engine import shell_loop
    from engine.immediate import PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, JobRunner
    from engine.workers.base import WorkContext
    from engine.workers.shell import ShellWorker

    told: list[tuple[int, str, str]] = []
    runner = JobRunner(max_threads=1)
    runner.watch_group = lambda pgid, start, marker: told.append((pgid, marker, threading.current_thread().name))
    heard: list[int] = []
    runner.group.connect(lambda task_id, pgid, start: heard.append(len(told)))
    done: list[object] = []
    runner.finished.connect(lambda job, result: done.append(result))
    priority = PRIORITY_IMMEDIATE if kind == "immediate" else PRIORITY_DEFERRED
    runner.submit(ShellWorker(), WorkContext(task_id="t", attempt=1, args=("true",)), priority=priority)
    qtbot.waitUntil(lambda: bool(done))  # type: ignore[attr-defined]
    runner.shutdown()
    ((pgid, marker, thread),) = told
    assert marker == "t.1" and pgid > 0
    on_loop = kind == "deferred" and shell_loop.AVAILABLE
    assert (thread == threading.main_thread().name) is on_loop
    assert heard == [1]  # the watcher knew before the signal
