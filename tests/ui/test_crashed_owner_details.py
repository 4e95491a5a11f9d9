"""The window's details show a task stopped as crashed_owner, and why (issue 11, item 9)."""

from __future__ import annotations

from pathlib import Path

from engine.clock import FakeClock
from engine.engine import Engine
from engine.model import State, TaskSpec
from engine.recovery import CRASH_LIMIT
from engine.store import Store
from tests.ui.fakes import FakeRunner
from ui.details import DetailsPane


def test_the_details_show_the_crashed_owner_stop_and_how_to_retry(tmp_path: Path, clock: FakeClock, qtbot) -> None:
    db = tmp_path / "w.db"
    store = Store(db)
    task_id = Engine(store, clock, runner=FakeRunner()).enqueue(TaskSpec(worker="shell", args=("true",))).id
    store.close()
    for _ in range(CRASH_LIMIT):  # an owner starts the run and dies: the run stays open
        store = Store(db)
        engine = Engine(store, clock, runner=FakeRunner())
        engine.start()
        engine.start_run(engine.store.task(task_id, with_runs=False))
        store.close()
    store = Store(db)
    engine = Engine(store, clock, runner=FakeRunner())
    engine.start()  # the next start: stopped, not run again
    try:
        assert engine.task(task_id).state is State.FAILED
        pane = DetailsPane(engine, [])
        qtbot.addWidget(pane)
        pane.show()
        pane.tabs.setCurrentWidget(pane.runs)
        pane.show_task(task_id)
        runs = pane.runs.model()
        qtbot.waitUntil(lambda: runs.rowCount() == CRASH_LIMIT, timeout=2_000)
        assert runs.index(0, 5).data() == "crashed_owner"  # the newest run first
        assert f"workdeck retry {task_id}" in runs.index(0, 7).data()
        assert pane.subtitle.text().endswith(f"failed · attempts {CRASH_LIMIT}")
    finally:
        engine.stop()
        store.close()
