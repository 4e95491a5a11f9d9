"""Shared fixtures: offscreen Qt, the fake clock, and a guard that nothing leaks."""

from __future__ import annotations

import gc
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test may read or write the user's own Workdeck: a real manifest would run its
# commands, a real database would gain tasks. Child processes (e2e) inherit these.
_HOME = tempfile.mkdtemp(prefix="workdeck-tests-")
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
    os.environ[_var] = os.path.join(_HOME, _var.lower())
    os.makedirs(os.environ[_var], mode=0o700, exist_ok=True)
os.environ.pop("WORKDECK_DB", None)

import pytest
from PySide6.QtCore import QThreadPool

from engine.clock import FakeClock


@pytest.fixture(scope="session", autouse=True)
def _freeze_import_time_objects() -> None:
    """Everything imported by collection time lives for the session: move it out of the
    collector's sight, so the per-test gc.collect() below scans only what tests made."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(autouse=True)
def _no_pool_job_outlives_its_test():
    """Like napari's guard: a test that leaves pool work running fails."""
    yield
    # A job that already delivered its result may still be returning from its thread;
    # two seconds separate that from a job the test really left running.
    drained = QThreadPool.globalInstance().waitForDone(2000)
    assert drained, "a test left jobs running on the global QThreadPool"
    # Collect the test's garbage here, on the main thread. Left to chance, a cycle
    # holding a QObject with a live timer is collected on whichever thread allocates
    # next, a pool thread of a later test: "Timers cannot be stopped from another
    # thread" (seen in the full suite, never alone).
    gc.collect()


# -- tests that need one platform's semantics ---------------------------------------
# The suite runs on Linux, macOS and Windows (.github/workflows/ci.yml). A test that needs
# what only POSIX or only Linux has carries one of these markers and is skipped elsewhere
# with the marker's reason; on Linux every one of them runs.
PLATFORM_MARKERS = {
    "posix": (
        lambda: os.name == "posix",
        "needs POSIX: process groups and killpg, SIGKILL/SIGTERM semantics, sh scripts, "
        "or file modes (Windows has Job Objects, CTRL_BREAK and ACLs instead)",
    ),
    "linux": (
        lambda: sys.platform.startswith("linux"),
        "needs Linux: /proc, tmpfs mounts, libfaketime, useradd, SCHED_IDLE/autogroup, "
        "timerfd, or an X11/D-Bus desktop (Xvfb, dunst)",
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    for name, (_, reason) in PLATFORM_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {reason}; skipped elsewhere")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for name, (runs_here, reason) in PLATFORM_MARKERS.items():
        if runs_here():
            continue
        skip = pytest.mark.skip(reason=f"{reason} (this is {sys.platform})")
        for item in items:
            if item.get_closest_marker(name) is not None:
                item.add_marker(skip)
