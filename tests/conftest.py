"""Shared fixtures: offscreen Qt, the fake clock, and a guard that nothing leaks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QThreadPool

from engine.clock import FakeClock


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
