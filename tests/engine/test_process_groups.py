"""Ending a dead owner's process groups: only ours, never a recycled pid (engine.process_groups).

Real processes in real process groups; nothing is faked but the record a dead owner left.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import psutil
import pytest

from engine import process_groups
from engine.model import Run, StopReason
from engine.process_groups import MARKER, Group
from engine.recovery import CRASH_LIMIT, crash_looping, owner_deaths_in_a_row
from engine.clock import from_us
from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.posix


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait(5)


def _group(spawn: list[subprocess.Popen[bytes]], script: str, mark: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, MARKER: mark} if mark else {k: v for k, v in os.environ.items() if k != MARKER}
    proc = subprocess.Popen(["sh", "-c", script], process_group=0, env=env)
    spawn.append(proc)
    return proc


def _members(pgid: int) -> list[int]:
    out = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.info["pid"]) == pgid:
                out.append(proc.info["pid"])
        except OSError:
            continue
    return out


def _wait_members(pgid: int, count: int) -> None:
    wait_until(lambda: len(_members(pgid)) == count, what=f"group {pgid} to have {count} members")


def test_a_recorded_group_is_ended_whole(spawn: list[subprocess.Popen[bytes]]) -> None:
    proc = _group(spawn, "sleep 60 & sleep 60", "t1.1")
    _wait_members(proc.pid, 3)
    group = Group(proc.pid, process_groups.leader_start(proc.pid), "t1.1")
    assert process_groups.end_groups([group], grace=5) == [group]
    proc.wait(5)
    assert _members(proc.pid) == []


def test_a_recycled_pid_is_never_signalled(spawn: list[subprocess.Popen[bytes]]) -> None:
    """The recorded leader start differs: the pid now belongs to another process."""
    proc = _group(spawn, "exec sleep 60", "t1.1")
    _wait_members(proc.pid, 1)
    start = process_groups.leader_start(proc.pid)
    assert start is not None
    boot, ticks = start.split("/")
    recycled = Group(proc.pid, f"{boot}/{int(ticks) - 1}", "t1.1")
    assert process_groups.end_groups([recycled], grace=0.2) == []
    assert proc.poll() is None and _members(proc.pid) == [proc.pid]


def test_a_leaderless_group_is_ended_only_if_a_member_carries_the_marker(
    spawn: list[subprocess.Popen[bytes]]
) -> None:
    ours = _group(spawn, "sleep 60 & exit 0", "t2.1")
    theirs = _group(spawn, "sleep 60 & exit 0", None)
    ours.wait(5)
    theirs.wait(5)  # the leaders are gone: only their background sleeps hold the groups
    _wait_members(ours.pid, 1)
    _wait_members(theirs.pid, 1)
    left_by_ours, left_by_theirs = _members(ours.pid)[0], _members(theirs.pid)[0]
    try:
        ended = process_groups.end_groups([Group(ours.pid, "x/1", "t2.1"), Group(theirs.pid, "x/1", "t2.1")], grace=5)
        assert [g.pgid for g in ended] == [ours.pid]
        assert _members(ours.pid) == [] and _members(theirs.pid) == [left_by_theirs]
    finally:
        for pid in (left_by_ours, left_by_theirs):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def test_groups_never_recorded_are_found_by_their_marker(spawn: list[subprocess.Popen[bytes]]) -> None:
    proc = _group(spawn, "exec sleep 60", "t3.7")
    _wait_members(proc.pid, 1)
    found = process_groups.find_marked({"t3.7", "t3.8"})
    assert found == {"t3.7": {proc.pid}}
    assert process_groups.end_groups([Group(proc.pid, None, "t3.7")], grace=5)
    proc.wait(5)


def _run(i: int, stop: StopReason | None, ended: bool = True) -> Run:
    return Run(i, "t", i, from_us(i), ended_at=from_us(i + 1) if ended else None, stop_reason=stop)


def test_owner_deaths_are_counted_back_from_the_open_run() -> None:
    died = StopReason.PROCESS_DIED
    assert owner_deaths_in_a_row([_run(1, None), _run(2, died), _run(3, None, ended=False)]) == 2
    assert crash_looping([_run(1, died), _run(2, died), _run(3, None, ended=False)])
    assert CRASH_LIMIT == 3
    # A retry after crashed_owner starts the count afresh.
    assert not crash_looping([_run(1, died), _run(2, StopReason.CRASHED_OWNER), _run(3, died),
                              _run(4, None, ended=False)])
