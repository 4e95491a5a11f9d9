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


def _other_process(identity: str) -> str:
    """The identity of another process that had the same pid: one started a tick earlier,
    or (pidfs) one the kernel numbered before it."""
    boot, start = identity.split("/")
    if start.startswith("pidfs-"):
        return f"{boot}/pidfs-{int(start[6:]) - 1}"
    return f"{boot}/{int(start) - 1}"


@pytest.mark.parametrize("form", ["current", "start ticks"])
def test_a_recycled_pid_is_never_signalled(spawn: list[subprocess.Popen[bytes]], form: str) -> None:
    """The recorded leader identity differs: the pid now belongs to another process.
    "start ticks": a record an older Workdeck made, or one made without pidfs."""
    proc = _group(spawn, "exec sleep 60", "t1.1")
    _wait_members(proc.pid, 1)
    start = process_groups.leader_start(proc.pid) if form == "current" else process_groups._stat_start(proc.pid)
    assert start is not None
    recycled = Group(proc.pid, _other_process(start), "t1.1")
    assert process_groups.end_groups([recycled], grace=0.2) == []
    assert proc.poll() is None and _members(proc.pid) == [proc.pid]


@pytest.mark.linux
def test_a_group_recorded_in_start_ticks_is_still_recognised(spawn: list[subprocess.Popen[bytes]]) -> None:
    """A record an older Workdeck left (before pidfs identities) names its group still."""
    proc = _group(spawn, "sleep 60 & exec sleep 60", "t1.2")
    _wait_members(proc.pid, 2)
    ticks = process_groups._stat_start(proc.pid)
    assert ticks is not None and ticks.split("/")[1].isdigit()
    assert process_groups.leader_start(proc.pid, like=ticks) == ticks
    group = Group(proc.pid, ticks, "t1.2")
    assert process_groups.end_groups([group], grace=5) == [group]
    proc.wait(5)
    assert _members(proc.pid) == []


@pytest.mark.linux
def test_a_pidfs_identity_names_one_process_and_is_read_from_a_held_pidfd(
    spawn: list[subprocess.Popen[bytes]]
) -> None:
    if not process_groups._has_pidfs():
        pytest.skip("this kernel's pidfds have no inode of their own (pidfs: Linux 6.9+): start ticks are used")
    first = _group(spawn, "exec sleep 60", "t1.3")
    second = _group(spawn, "exec sleep 60", "t1.3")
    ids = [process_groups.leader_start(p.pid) for p in (first, second)]
    assert ids[0] != ids[1] and all(i is not None and "/pidfs-" in i for i in ids)
    pidfd = os.pidfd_open(first.pid)
    try:
        assert process_groups.leader_start(first.pid, pidfd=pidfd) == ids[0]
        os.killpg(first.pid, 9)
        first.wait(5)  # reaped: the pid is free; the held pidfd still names the process it was
        assert process_groups.leader_start(first.pid) is None
        assert process_groups.leader_start(first.pid, pidfd=pidfd) == ids[0]
    finally:
        os.close(pidfd)


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
