"""Plain words in the table and the details; the Runs tab shows the exit code without scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.model import Constraint, Kind, Outcome, RetryPolicy, TaskSpec
from ui.main_window import MainWindow
from ui.run_history import ATTEMPT, EXIT, STOP_REASON


@pytest.fixture
def window(qtbot, engine):
    win = MainWindow(engine)
    win.resize(900, 650)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_details_speak_plain_words(qtbot, window, engine, clock) -> None:
    task = engine.enqueue(TaskSpec("shell", ("backup",), kind=Kind.DEFERRED, name="backup",
                                   constraints=(Constraint.AC_POWER,), retry=RetryPolicy(max_retries=3),
                                   run_at=clock.now() + timedelta(hours=1)))
    window.select_task(task.id)
    subtitle = window.details.subtitle.text()
    assert "Later" in subtitle and "waiting" in subtitle
    assert "deferred" not in subtitle and "enqueued" not in subtitle
    spec = window.details.spec.text()
    assert "Plugged into power" in spec and "3 times" in spec and "twice as long each time" in spec
    for jargon in ("ac-power", "exponential", "deferred", "keep)"):
        assert jargon not in spec


def test_the_runs_tab_shows_the_exit_code_without_scrolling(qtbot, window, engine, runner, clock) -> None:
    task = engine.enqueue(TaskSpec("shell", ("make",), name="build"))
    clock.advance(3)
    runner.finish(task.id, Outcome.FAILED, exit_code=3)
    window.select_task(task.id)
    details = window.details
    details.tabs.setCurrentWidget(details.runs)
    qtbot.waitUntil(lambda: details.history.rowCount() == 1, timeout=2_000)
    runs = details.runs
    header = runs.header()
    assert header.sectionSize(ATTEMPT) <= 40
    cell = runs.visualRect(details.history.index(0, EXIT))
    assert cell.isValid() and 0 <= cell.left() and cell.right() <= runs.viewport().width()
    assert details.history.index(0, EXIT).data() == "3"
    assert header.visualIndex(EXIT) < header.visualIndex(STOP_REASON)
