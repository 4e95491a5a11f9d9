"""The real window process (offscreen): it owns the database, runs what the command
line adds, brings itself forward for a second `workdeck`, and stops gracefully."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Workdeck, wait_until

pytestmark = pytest.mark.e2e


def test_the_window_owns_runs_comes_forward_and_stops_gracefully(wd: Workdeck) -> None:
    window = wd.popen()  # no command: the window
    wait_until(lambda: window.poll() is not None or (wd.ping() or {}).get("role") == "window",
               timeout=30, what="the window to own the database")
    assert window.poll() is None, window.communicate()

    task_id = wd.ok("add", "--", "sh", "-c", "echo from-the-window").strip()
    wait_until(lambda: wd.json("show", task_id)["state"] == "succeeded", what="the task to succeed")
    assert wd.ok("log", task_id) == "from-the-window\n"

    second = wd.run(timeout=30)  # a second window: the first comes forward, this one exits
    assert second.returncode == 0, second.stderr
    assert window.poll() is None

    long_id = wd.ok("add", "--", "sleep", "30").strip()
    wait_until(lambda: wd.json("show", long_id)["state"] == "running", what="the long task to run")
    assert wd.stop(window) == 0  # SIGTERM, as at logout
    last = wd.json("show", long_id)["runs"][-1]
    assert (last["outcome"], last["stop_reason"]) == ("interrupted", "shutdown")
    assert wd.json("show", long_id)["state"] == "enqueued"  # it resumes at the next start


# The window with the engine's start wrapped: SIGTERM arrives after the window is
# shown and while the engine starts (where a logout can find it), before Qt's loop runs.
_TERM_DURING_START = """
import os, signal, sys
import ui.instance

real_open = ui.instance.open_for_window

def open_then_term_during_start(*args, **kwargs):
    host = real_open(*args, **kwargs)
    real_start = host.start

    def start():
        real_start()
        os.kill(os.getpid(), signal.SIGTERM)

    host.start = start
    return host

ui.instance.open_for_window = open_then_term_during_start
from ui.app import main
sys.exit(main(sys.argv[1]))
"""


def test_a_quit_signal_while_the_window_starts_stops_it_gracefully(wd: Workdeck) -> None:
    """The signal waits for the loop and is honoured then: the process ends by its own
    graceful stop (status 0) with the database released, not killed by the signal (the
    default action before the loop ran: status -15, as the desktop test once caught)."""
    task_id = wd.ok("add", "--", "sleep", "30").strip()
    window = subprocess.Popen([sys.executable, "-c", _TERM_DURING_START, str(wd.db)], env=wd.env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = window.communicate(timeout=60)
    assert window.returncode == 0, out
    assert wd.ping() is None  # nobody owns the database any more
    assert wd.json("show", task_id)["state"] == "enqueued"  # to run at the next start



@pytest.mark.posix
def test_a_quit_signal_at_the_take_over_prompt_ends_the_window(wd: Workdeck, tmp_path: Path) -> None:
    """serve owns the database and a window starts (at login: --hidden): it asks whether
    to take over, in a modal prompt nobody may answer. A logout's SIGTERM must end it
    (status 0, serve left running); it once ran on, ignoring SIGTERM and SIGINT."""
    serve = wd.serve()
    state = tmp_path / "state"  # the window's log file goes there (platformdirs)
    window = subprocess.Popen(wd.argv("--hidden"), env={**wd.env, "XDG_STATE_HOME": str(state)}, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wd.processes.append(window)

    def asking() -> bool:
        return any("asking whether to take over" in log.read_text() for log in state.rglob("*.log"))

    wait_until(lambda: window.poll() is not None or asking(), timeout=30, what="the take-over prompt")
    assert window.poll() is None, window.communicate()
    window.send_signal(signal.SIGTERM)
    assert window.wait(15) == 0
    assert wd.ping()["pid"] == serve.pid  # serve is unharmed and still owns the database
    assert wd.stop(serve) == 0
