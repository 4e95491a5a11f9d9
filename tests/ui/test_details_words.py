"""Plain words in the table and the details; the Runs tab shows the exit code without scrolling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.model import Constraint, Kind, Outcome, RetryPolicy, TaskSpec
from ui.main_window import MainWindow
from ui.run_history import ATTEMPT, EXIT, OUTCOME, STOP_REASON


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


def test_the_runs_tab_shows_a_long_historys_run_numbers_and_outcomes_whole(qtbot, window, engine, runner,
                                                                           clock) -> None:
    # Seen under Xvfb: a 1-second periodic task's run 10040 read "1…" in the 32 px "#"
    # column, and every outcome read "succeed…" in a 90 px one.
    task = engine.enqueue(TaskSpec("shell", ("probe",), name="probe"))
    clock.advance(1)
    runner.finish(task.id, Outcome.SUCCEEDED)
    engine.store.conn.execute("UPDATE runs SET attempt = 10040 WHERE task_id = ?", (task.id,))
    engine.store.conn.execute("UPDATE tasks SET attempts = 10040 WHERE id = ?", (task.id,))
    engine.store.conn.commit()
    window.select_task(task.id)
    details = window.details
    details.tabs.setCurrentWidget(details.runs)
    qtbot.waitUntil(lambda: details.history.rowCount() == 1, timeout=2_000)
    runs, fm = details.runs, details.runs.fontMetrics()
    number, outcome = details.history.index(0, ATTEMPT), details.history.index(0, OUTCOME)
    assert number.data() == "10040" and outcome.data() == "succeeded"
    assert runs.visualRect(number).width() >= fm.horizontalAdvance("10040") + 6
    assert runs.visualRect(outcome).width() >= fm.horizontalAdvance("succeeded") + 16 + 6
