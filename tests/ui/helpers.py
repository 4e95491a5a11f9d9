"""Making tasks and runs for UI tests through the real engine and the fake runner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from engine.clock import FakeClock
from engine.engine import Engine
from engine.model import Outcome, Task, TaskSpec
from tests.ui.fakes import FakeRunner

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def run_task(
    engine: Engine, runner: FakeRunner, clock: FakeClock, seconds: float,
    outcome: Outcome = Outcome.SUCCEEDED, *, argv: tuple[str, ...] = ("true",), **spec: Any,
) -> Task:
    """An immediate task that starts now, runs ``seconds`` of fake time and ends with ``outcome``."""
    task = engine.enqueue(TaskSpec("shell", argv, **spec))
    assert task.id in runner.jobs, "the engine should have started it at once"
    clock.advance(seconds)
    runner.finish(task.id, outcome)
    return engine.task(task.id)


def start_task(engine: Engine, runner: FakeRunner, **spec: Any) -> Task:
    task = engine.enqueue(TaskSpec("shell", ("sleep", "100"), **spec))
    assert task.id in runner.jobs
    return engine.task(task.id)


def click_row(qtbot: Any, window: MainWindow, task_id: str) -> None:
    """Click the task's row, as a user would: once the row is there (the table takes
    changes in batches) and on screen. The table replaces the getting-started page, and
    the details pane appears, at the next status update (a 100 ms coalescing timer),
    which on a loaded machine can come after the row."""
    from ui.task_table import TASK_ID_ROLE

    proxy = window.proxy
    qtbot.waitUntil(lambda: window.model.row_of(task_id) >= 0 and window.table.isVisible(), timeout=2_000)
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(TASK_ID_ROLE) == task_id)
    rect = window.table.visualRect(proxy.index(row, 0))
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.details.task_id == task_id
