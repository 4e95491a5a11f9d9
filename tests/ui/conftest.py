"""UI fixtures: a real Engine on a temporary database, a fake clock and a fake runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.fakes import FakeRunner, install_shims

install_shims()

from engine.clock import FakeClock  # noqa: E402
from engine.engine import Engine  # noqa: E402
from engine.store import Store  # noqa: E402


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
