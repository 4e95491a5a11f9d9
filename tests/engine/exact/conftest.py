"""Fixtures for exact work: a real store, the fake clock, the real workers and a fake
job runner (it lets a test decide when a run ends, with the fake clock, without threads)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock
from engine.store import Store
from engine.engine import Engine
from tests.engine.exact.fakes import FakeRunner


@pytest.fixture(autouse=True)
def _utc_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages and default zones use the local zone: make it the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "workdeck.db"


@pytest.fixture
def make_engine(qapp: Any, db_path: Path, clock: FakeClock) -> Iterator[Callable[..., tuple[Engine, FakeRunner]]]:
    """A started Engine on a fresh Store at ``db_path``; call again for a restart."""
    made: list[tuple[Engine, Store]] = []

    def make(*, auto: bool = True, start: bool = True) -> tuple[Engine, FakeRunner]:
        store = Store(db_path)
        runner = FakeRunner(clock, auto=auto)
        engine = Engine(store, clock, runner=runner)  # type: ignore[arg-type]
        made.append((engine, store))
        if start:
            engine.start()
        return engine, runner

    yield make
    for engine, store in made:
        if engine.started:
            engine.stop()
        store.close()
