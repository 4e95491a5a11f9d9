"""The window on an engine with the real JobRunner and a real command: the end-to-end path."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt

from engine.clock import SystemClock
from engine.engine import Engine
from engine.model import State, TaskSpec
from engine.store import Store
from ui.main_window import MainWindow
from ui.task_table import LAST_OUTCOME, STATE


def test_a_real_command_runs_with_live_output_in_the_window(qtbot, tmp_path: Path) -> None:
    engine = Engine(Store(tmp_path / "real.db"), SystemClock())
    engine.start()
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.show()
    try:
        script = "import sys; print('first', flush=True); sys.stdin.readline(); print('second')"
        # stdin is /dev/null for workers: readline returns at once; two separate lines arrive.
        task = engine.enqueue(TaskSpec("shell", (sys.executable, "-c", script), name="real"))
        window.select_task(task.id)
        qtbot.waitUntil(lambda: engine.task(task.id).state is State.SUCCEEDED, timeout=10_000)
        row = window.model.row_of(task.id)
        assert window.model.index(row, STATE).data() == "done"  # plain words (STATE_WORDS)
        assert window.model.index(row, LAST_OUTCOME).data() == "succeeded"
        qtbot.waitUntil(lambda: "second" in window.details.output.toPlainText(), timeout=5_000)
        assert window.details.output.toPlainText().splitlines()[:2] == ["first", "second"]
        bar = window.timeline.bar(engine.task(task.id).runs[0].id)
        assert bar is not None and bar.color == "succeeded" and bar.end is not None
        assert window.table.currentIndex().data(Qt.ItemDataRole.DisplayRole) == "real"
    finally:
        engine.stop()
        window.close()
        engine.store.close()
