"""The wall clock stepped under a real ``workdeck serve`` (libfaketime, a timestamp
file re-read on every call; monotonic and boottime left real: what a process sees
after an NTP step). The kernel does not know of a libfaketime step, so the timerfd
stays silent: these tests prove the portable path, the one-second measurement, is
enough to start work that the step made due within 2 s, and that ``--in`` keeps its
elapsed delay across a step back.

The real CLOCK_REALTIME is never stepped: that would move the clock of every process
on the machine.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Workdeck, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.linux]

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
#: A deferred task due during a step starts within this long of it (the issue's bound).
BOUND = 2.0


@pytest.fixture
def faked(wd: Workdeck, tmp_path: Path) -> tuple[Workdeck, Path]:
    if not LIBFAKETIME.exists():
        pytest.skip(f"libfaketime is not installed ({LIBFAKETIME}): apt-get install faketime")
    offset = tmp_path / "faketime"
    offset.write_text("+0\n")
    wd.env.update({
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(offset),
        "FAKETIME_NO_CACHE": "1",
        "DONT_FAKE_MONOTONIC": "1",
    })
    return wd, offset


def _show(wd: Workdeck, task_id: str) -> dict[str, Any]:
    return json.loads(wd.ok("show", task_id, "--json"))


def _real_runs(task: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in task["runs"] if r["outcome"] != "cancelled"]


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _step(offset: Path, seconds: int) -> tuple[float, float]:
    """Step the served process's wall clock; returns (monotonic, faked wall) at the step."""
    offset.write_text(f"{seconds:+d}\n")
    return time.monotonic(), time.time() + seconds


def test_a_forward_step_starts_due_deferred_work_within_two_seconds(faked: tuple[Workdeck, Path]) -> None:
    wd, offset = faked
    wd.serve()
    wd.env.pop("LD_PRELOAD")  # the command line itself runs on the real clock
    periodic = wd.ok("add", "--every", "10m", "--", "true").strip()
    delayed = wd.ok("add", "--in", "20m", "--", "true").strip()
    wait_until(lambda: _real_runs(_show(wd, periodic)), what="the first run of the periodic task")
    time.sleep(1.5)  # let the watch take its baseline past the first run
    stepped_mono, stepped_wall = _step(offset, 3600)
    # The next window (due 10 minutes after the first run) is now 50 minutes overdue.
    second = wait_until(lambda: len(_real_runs(_show(wd, periodic))) >= 2 and _real_runs(_show(wd, periodic))[1],
                        timeout=30, what="the periodic task's next window to start")
    noticed = time.monotonic() - stepped_mono
    late = _at(second["started_at"]).timestamp() - stepped_wall
    assert late <= BOUND, f"started {late:.2f} s after the step (wall), {noticed:.2f} s (monotonic)"
    # --in is elapsed time: the step moved its due instant along, it still waits ~20 min.
    task = _show(wd, delayed)
    assert task["state"] == "enqueued" and not _real_runs(task)
    remaining = _at(task["next_run_at"]).timestamp() - (time.time() + 3600)
    assert 19 * 60 < remaining <= 20 * 60, remaining


def test_in_keeps_its_elapsed_delay_across_a_step_back(faked: tuple[Workdeck, Path]) -> None:
    wd, offset = faked
    wd.serve()
    wd.env.pop("LD_PRELOAD")
    added = time.monotonic()
    delayed = wd.ok("add", "--in", "6s", "--", "true").strip()
    time.sleep(1.5)
    _step(offset, -3600)
    run = wait_until(lambda: _real_runs(_show(wd, delayed)), timeout=30, what="the --in task to start")[0]
    elapsed = time.monotonic() - added
    assert 6 - 0.5 <= elapsed <= 6 + BOUND + 1, elapsed  # 6 s of elapsed time, not an hour and 6 s
    assert _at(run["started_at"]).timestamp() == pytest.approx(time.time() - 3600, abs=BOUND + 1)
