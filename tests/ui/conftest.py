"""UI fixtures: a real Engine on a temporary database, a fake clock and a fake runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.engine import Engine
from engine.store import Store
from tests.ui import ui_targets
from tests.ui.fakes import FakeRunner


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def engine(tmp_path: Path, clock: FakeClock, runner: FakeRunner) -> Iterator[Engine]:
    store = Store(tmp_path / "ui.db")
    eng = Engine(store, clock, runner=runner)
    eng.start()
    yield eng
    eng.stop()
    store.close()


@pytest.fixture
def real_engine(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Engine]:
    """An Engine with the real JobRunner: work really runs on the pool. Tasks of
    tests.ui.ui_targets:until_released run until the test ends."""
    ui_targets.release.clear()
    store = Store(tmp_path / "w.db")
    eng = Engine(store, clock)
    eng.start()
    yield eng
    ui_targets.release.set()
    eng.stop()
    store.close()
