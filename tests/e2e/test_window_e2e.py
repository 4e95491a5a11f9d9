"""The real window process (offscreen): it owns the database, runs what the command
line adds, brings itself forward for a second `workdeck`, and stops gracefully."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Workdeck, wait_until

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
