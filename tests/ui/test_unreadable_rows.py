"""The window shows a quarantined row as unreadable, with the reason (issue 11, item 6)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from engine.model import Kind, TaskSpec
from ui.details import DetailsPane
from ui.task_table import KIND, STATE, TaskTableModel


def test_the_table_and_the_details_show_an_unreadable_row(qtbot, engine, clock) -> None:
    later = clock.now() + timedelta(hours=1)
    bad = engine.enqueue(TaskSpec("shell", ("echo", "bad"), kind=Kind.DEFERRED, run_at=later)).id
    good = engine.enqueue(TaskSpec("shell", ("echo", "good"), kind=Kind.DEFERRED, run_at=later)).id
    conn = sqlite3.connect(engine.store.path)
    conn.execute("UPDATE tasks SET spec = 'null' WHERE id = ?", (bad,))
    conn.commit()
    conn.close()
    model = TaskTableModel(engine)
    assert model.index(model.row_of(bad), STATE).data() == "unreadable"
    assert model.index(model.row_of(good), STATE).data() == "waiting"  # plain words (ui.text)
    assert model.index(model.row_of(good), KIND).data() == "Later"  # plain words (ui.text)
    pane = DetailsPane(engine, [])
    qtbot.addWidget(pane)
    pane.show_task(bad)
    assert pane.why.text() == ("<i>Unreadable:</i> its spec is JSON but not an object (NoneType); "
                               "Workdeck skips this task (export keeps its row)")
    assert engine.why(bad) == "unreadable (its spec is JSON but not an object (NoneType)): Workdeck skips it"
