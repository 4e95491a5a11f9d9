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
    pool = QThreadPool.globalInstance()
    if pool.activeThreadCount():
        drained = pool.waitForDone(5000)
        assert drained, "a test left jobs running on the global QThreadPool"
        pytest.fail("a test left jobs running on the global QThreadPool (drained after it ended)")
