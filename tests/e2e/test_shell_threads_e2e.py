"""End to end with Windows' shell supervisor: ``workdeck serve`` running its commands
with engine.workers.shell_threads.ThreadSupervisor (reader thread, waiter thread, one
queue), and selectors and poll made to fail in that process, so a run that touched a selector
would fail. The command line is the real one; only the supervisor choice differs
from a Linux serve (on Windows, engine.workers.shell._supervisor_for makes it)."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from engine.process_groups import MARKER
from tests.e2e.conftest import ROOT, Workdeck, wait_until

pytestmark = pytest.mark.e2e

_SERVE_WITH_THREADS = """
import select, selectors, sys
from engine.workers import shell, shell_threads

def no_select(*args, **kwargs):
    raise AssertionError("a selector was used")

selectors.DefaultSelector = no_select
select.poll = no_select
shell._supervisor_for = lambda platform: shell_threads.ThreadSupervisor
from ui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _serve_with_threads(wd: Workdeck) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _SERVE_WITH_THREADS, "--db", str(wd.db), "serve"], env=wd.env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wd.processes.append(proc)
    wait_until(lambda: proc.poll() is not None or wd.ping() is not None, what="serve to listen")
    assert proc.poll() is None, proc.communicate()
    return proc


def _carrying(mark: str) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and proc.environ().get(MARKER) == mark:
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


def _state(wd: Workdeck, task_id: str) -> str:
    return str(wd.json("show", task_id)["state"])


def test_serve_runs_streams_and_cancels_commands_with_the_thread_supervisor(wd: Workdeck) -> None:
    serve = _serve_with_threads(wd)

    failing = wd.ok("add", "--", "sh", "-c", "echo hello; echo oops >&2; printf 'no newline'; exit 3").strip()
    wait_until(lambda: _state(wd, failing) == "failed", what="the command to fail")
    (run,) = wd.json("show", failing)["runs"]
    assert (run["outcome"], run["exit_code"]) == ("failed", 3)
    assert wd.ok("log", failing).startswith("hello\noops\nno newline")

    # Two children that ignore the polite stop, each with a child: five processes.
    stubborn = "sh -c 'trap \"\" TERM; sleep 60 & wait' &"
    tree = wd.ok("add", "--", "sh", "-c", f"{stubborn * 2} echo up; wait").strip()
    mark = f"{tree}.1"
    wait_until(lambda: len(_carrying(mark)) == 5, what="the tree to start")
    assert wd.ok("cancel", tree) == f"{tree} cancelled\n"
    task = wd.json("show", tree)
    assert (task["state"], task["runs"][-1]["outcome"]) == ("cancelled", "cancelled")
    assert _carrying(mark) == []  # the cancel answers once the run, and all of it, has ended

    serve.terminate()
    _, stderr = serve.communicate(timeout=20)
    assert serve.returncode == 0, stderr
    assert "a selector was used" not in stderr
