"""The contract of engine.platforms.processes, run against the real implementation of
this platform (process groups on Linux) and a double with Windows' semantics
(tests/engine/platforms/doubles.py: a job, no process group).

Real processes, counted by the run's marker with psutil (as a job would count them),
never by process group, so the suite holds for both.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from engine.model import Outcome, StopReason
from engine.platforms import processes
from engine.platforms.processes import Processes, Unit
from engine.process_groups import MARKER, Group
from engine.workers.base import Priority, WorkContext
from engine.workers.shell import ShellWorker, _Supervisor
from engine.workers.shell_threads import ThreadSupervisor
from tests.e2e.conftest import wait_until
from tests.engine.platforms.doubles import JobObjectDouble

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the scripts are sh; Windows CI has its own")


@pytest.fixture(params=["this platform", "job object double"])
def impl(request: pytest.FixtureRequest) -> Processes:
    return processes.current() if request.param == "this platform" else JobObjectDouble()


#: Marks are unique to this test session: processes of another run never count.
_SESSION = uuid.uuid4().hex[:8]


def _mark(name: str) -> str:
    return f"{name}-{_SESSION}.1"


class _Started:
    def __init__(self, impl: Processes) -> None:
        self.impl = impl
        self.units: list[tuple[subprocess.Popen[bytes], Unit, str]] = []

    def __call__(self, script: str, mark: str) -> tuple[subprocess.Popen[bytes], Unit]:
        """Start ``script``; it must not exit before it is adopted (on Windows it cannot:
        it starts suspended; the double reads its marker from the running leader)."""
        proc = subprocess.Popen(["sh", "-c", script], env={**os.environ, MARKER: mark},
                                **self.impl.spawn_options(own_session=False))
        unit = self.impl.adopt(proc)
        self.units.append((proc, unit, mark))
        return proc, unit


@pytest.fixture
def start(impl: Processes) -> Iterator[_Started]:
    started = _Started(impl)
    yield started
    for proc, unit, mark in started.units:
        for member in _members(mark):
            if sys.platform == "linux":
                # A killed command at SCHED_IDLE exits only once a CPU has nothing else to
                # do: seconds on a loaded machine (a load average of 45 took over 5 s; both
                # CPUs busy with normal work, over 60 s). Back at normal priority first.
                with contextlib.suppress(OSError):
                    os.sched_setscheduler(member.pid, os.SCHED_OTHER, os.sched_param(0))
            with contextlib.suppress(psutil.Error):
                member.kill()
        proc.wait(60)
        impl.release(unit)


def _members(mark: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and proc.environ().get(MARKER) == mark:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_kill_ends_the_command_and_everything_it_started(impl: Processes, start: _Started) -> None:
    proc, unit = start("sleep 60 & sleep 60 & wait", _mark("c1"))
    wait_until(lambda: len(_members(_mark("c1"))) == 3, what="the command and its two children run")
    assert impl.alive(unit)
    assert impl.kill(unit)
    proc.wait(5)
    wait_until(lambda: not _members(_mark("c1")), what="every process of the unit is gone")
    wait_until(lambda: not impl.alive(unit), what="the unit reports itself empty")
    assert not impl.kill(unit) and not impl.stop(unit)  # nobody there: nothing signalled


def test_a_child_keeps_the_unit_alive_after_the_command_exits(
    impl: Processes, start: _Started, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    proc, unit = start(f"sleep 60 & while [ ! -e {go} ]; do sleep 0.02; done; exit 0", _mark("c2"))
    go.touch()
    assert proc.wait(5) == 0
    wait_until(lambda: len(_members(_mark("c2"))) == 1, what="the child outlives the command")
    assert impl.alive(unit)
    assert impl.stop(unit)  # a polite stop: sleep ends on it
    wait_until(lambda: not impl.alive(unit), what="the child ended on the polite stop")
    assert not _members(_mark("c2"))


def test_a_polite_stop_lets_the_command_clean_up(impl: Processes, start: _Started, tmp_path: Path) -> None:
    ready, said = tmp_path / "ready", tmp_path / "said"
    proc, unit = start(f"trap 'echo bye > {said}; exit 3' TERM; echo > {ready}; "
                       "while :; do sleep 0.05; done", _mark("c3"))
    wait_until(ready.exists, what="the command is ready")
    assert impl.stop(unit)
    assert proc.wait(5) == 3
    assert said.read_text().strip() == "bye"


def test_identity_names_one_process_for_its_life(impl: Processes, start: _Started) -> None:
    proc, unit = start("exec sleep 60", _mark("c4"))
    first = impl.identity(proc.pid)
    assert first is not None and impl.identity(proc.pid) == first
    impl.kill(unit)
    proc.wait(5)
    assert impl.identity(proc.pid) is None


def test_lower_priority_reaches_the_command(impl: Processes, start: _Started) -> None:
    proc, unit = start("exec sleep 60", _mark("c5"))
    impl.lower_priority(unit, own_session=False)
    assert psutil.Process(proc.pid).nice() > os.getpriority(os.PRIO_PROCESS, 0)


def test_a_dead_owners_unit_is_ended_only_if_it_is_ours(impl: Processes, start: _Started) -> None:
    proc, unit = start("sleep 60 & exec sleep 60", _mark("c6"))
    wait_until(lambda: len(_members(_mark("c6"))) == 2, what="both run")
    identity = impl.identity(proc.pid)
    recycled = Group(unit.id, "not/its-start", "another.1")  # the pid now names someone else
    assert impl.end_left_over([recycled], grace=0.2) == []
    assert len(_members(_mark("c6"))) == 2
    ours = Group(unit.id, identity, _mark("c6"))
    assert impl.end_left_over([ours], grace=5) == [ours]
    proc.wait(5)
    wait_until(lambda: not _members(_mark("c6")), what="everything of the run ended")


def test_a_unit_never_recorded_is_found_by_its_marker(impl: Processes, start: _Started) -> None:
    proc, unit = start("exec sleep 60", _mark("c7"))
    wait_until(lambda: len(_members(_mark("c7"))) == 1, what="it runs")
    found = impl.find_marked({_mark("c7"), _mark("c7-other")})
    assert set(found) == {_mark("c7")} and unit.id in found[_mark("c7")]
    assert impl.end_left_over([Group(i, None, _mark("c7")) for i in found[_mark("c7")]], grace=5)
    proc.wait(5)
    assert not _members(_mark("c7"))


@pytest.mark.parametrize("supervisor", [_Supervisor, ThreadSupervisor], ids=["selector", "threads"])
def test_the_shell_worker_ends_a_cancelled_runs_whole_tree(impl: Processes, supervisor: type[_Supervisor]) -> None:
    """The shell worker speaks only the interface: cancelling a run ends every process
    it started, whichever implementation holds them and whichever supervisor runs it
    (the job object double with the thread supervisor is Windows' pairing)."""
    chunks: list[str] = []
    ctx = WorkContext(task_id=f"c8-{_SESSION}", attempt=1, args=("sh", "-c", "sleep 60 & sleep 60 & echo started; wait"),
                      on_log=chunks.append, priority=Priority.IDLE)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(ShellWorker(0.5, impl, supervisor).run(ctx)))
    worker.start()
    try:
        wait_until(lambda: "started" in "".join(chunks) and len(_members(_mark("c8"))) == 3,
                   what="the run started its tree")
    finally:
        ctx.cancel(StopReason.CANCELLED_BY_USER)
        worker.join(20)
    assert not worker.is_alive()
    assert [r.outcome for r in result] == [Outcome.CANCELLED]  # type: ignore[attr-defined]
    wait_until(lambda: not _members(_mark("c8")), what="nothing of the run is left")
