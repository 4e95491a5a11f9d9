"""A shell run along Windows' run-time path, on real Linux processes.

Import-time breaks are caught by importing every module with the POSIX-only modules
blocked; this catches the run-time ones: with ``sys.platform`` "win32" and the os,
select and selectors calls Windows lacks removed, a run must still stream its output, end with
its exit status, and on cancel end every process it started. The unit is the job
object double (tests/engine/platforms/doubles.py: a job's semantics, real processes).
What this cannot prove: Windows' own pipes and Job Object calls (CI's Windows runner
does that); it does prove that nothing on the worker's path reaches for a call that
does not exist there.
"""

from __future__ import annotations

import os
import select
import selectors
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from engine.model import Outcome, StopReason
from engine.platforms.processes import Unit
from engine.platforms.spawn import Child
from engine.process_groups import MARKER
from engine.workers import shell as shell_module
from engine.workers.base import WorkContext, WorkResult
from engine.workers.shell import ShellWorker
from engine.workers.shell_threads import ThreadSupervisor
from tests.engine.platforms.doubles import JobObjectDouble

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="real sh scripts and /proc (the double)")

#: What a Windows Python does not have, and the shell run's POSIX path used.
_POSIX_ONLY_OS = ("O_NOCTTY", "pidfd_open", "waitid", "WNOWAIT", "killpg", "getpgid", "setsid", "set_blocking")


@pytest.fixture
def as_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    for name in _POSIX_ONLY_OS:
        monkeypatch.delattr(os, name, raising=False)

    def no_select(*args: object, **kwargs: object) -> None:
        raise AssertionError("select on pipes: Windows' select takes sockets only")

    monkeypatch.setattr(selectors, "DefaultSelector", no_select)
    monkeypatch.setattr(select, "poll", no_select)  # what the POSIX supervisor waits with


def _carrying(mark: str) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and proc.environ().get(MARKER) == mark:
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


def _ctx(script: str, on_log: Callable[[str], None]) -> WorkContext:
    return WorkContext(task_id=f"win-{uuid.uuid4().hex[:8]}", attempt=1, args=("sh", "-c", script), on_log=on_log)


def test_the_worker_chooses_the_thread_supervisor_and_has_no_terminal(as_on_windows: None) -> None:
    assert ShellWorker(processes=JobObjectDouble()).supervisor is ThreadSupervisor
    assert shell_module._has_terminal() is False  # no O_NOCTTY to ask with: not an AttributeError


class _Adopting(JobObjectDouble):
    """The double reads the run's marker from the running leader (on Windows it is
    suspended until adopted): a command that could exit first waits for this."""

    def __init__(self) -> None:
        super().__init__()
        self.adopted = threading.Event()

    def adopt(self, proc: Child) -> Unit:
        unit = super().adopt(proc)
        self.adopted.set()
        return unit


def test_a_run_streams_output_and_ends_with_its_status(as_on_windows: None, tmp_path: Path) -> None:
    fifo = tmp_path / "adopted"
    os.mkfifo(fifo)
    double = _Adopting()

    def release() -> None:
        if double.adopted.wait(10):
            fifo.write_text("go\n")

    releaser = threading.Thread(target=release)
    releaser.start()
    chunks: list[str] = []
    result = ShellWorker(processes=double).run(
        _ctx(f"read x < {fifo}; echo one; echo two >&2; printf 'no newline'; exit 3", chunks.append))
    releaser.join(10)
    assert "".join(chunks) == "one\ntwo\nno newline"
    assert result == WorkResult(Outcome.FAILED, exit_code=3, error="exited with status 3")


@pytest.mark.realtime
def test_cancel_ends_every_process_of_the_run(as_on_windows: None) -> None:
    chunks: list[str] = []
    started = threading.Event()

    def on_log(text: str) -> None:
        chunks.append(text)
        if "up" in "".join(chunks):
            started.set()

    # Two children ignoring the polite stop, each with a child of its own.
    stubborn = "sh -c 'trap \"\" TERM; sleep 60 & wait' &"
    ctx = _ctx(f"{stubborn * 2} echo up; wait", on_log)
    results: list[WorkResult] = []
    worker = threading.Thread(target=lambda: results.append(ShellWorker(0.3, JobObjectDouble()).run(ctx)))
    worker.start()
    try:
        assert started.wait(10), chunks
        deadline = time.monotonic() + 10
        while len(_carrying(ctx.marker)) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(_carrying(ctx.marker)) == 5  # the shell, two children, two grandchildren
    finally:
        ctx.cancel(StopReason.CANCELLED_BY_USER)
        worker.join(20)
    assert not worker.is_alive()
    assert [r.outcome for r in results] == [Outcome.CANCELLED]
    assert _carrying(ctx.marker) == []
