"""UI fixtures: a real Engine on a temporary database, a fake clock and a fake runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.engine import Engine
from engine.store import Store
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
