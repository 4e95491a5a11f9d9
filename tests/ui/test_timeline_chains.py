"""Chains on the timeline and in the details: children follow their parent's row, an
edge links a parent's run to its child's, and the details link parents and children."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import to_us
from engine.model import Kind, Outcome, TaskSpec
from ui.main_window import MainWindow
from ui.timeline import Timeline, TimelineView, task_key
from tests.ui.helpers import run_task

S = 1_000_000


@pytest.fixture
def window(qtbot, engine):
    win = MainWindow(engine)
    win.resize(1100, 800)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def chain(engine, runner, clock):
    """fetch (immediate, 20 s) then, 30 s after it ended, its child report's first run."""
    other = run_task(engine, runner, clock, 5, name="other")
    parent = run_task(engine, runner, clock, 20, name="fetch")
    child = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="report", after=(parent.id,),
                                    run_at=clock.now() + timedelta(hours=3)))
    clock.advance(30)
    with engine.store.transaction():
        engine.store.record_run(child.id, 0, to_us(clock.now()), Outcome.SUCCEEDED, due_at=to_us(clock.now()))
    clock.advance(30)
    return other, engine.task(parent.id), engine.task(child.id)


def test_a_child_row_follows_its_parent_and_an_edge_links_their_runs(qtbot, engine, runner, clock) -> None:
    other, parent, child = chain(engine, runner, clock)
    view = TimelineView(Timeline(engine))
    view.resize(900, 300)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.timeline.add_runs(engine.store.runs(child.id))
    view.timeline.toggle(Kind.IMMEDIATE)
    view.timeline.toggle(Kind.DEFERRED)
    keys = [row.key for row in view.rows()]
    assert keys.index(task_key(child.id)) == keys.index(task_key(parent.id)) + 1  # next to its parent
    assert keys.count(task_key(child.id)) == 1  # not again in its own lane
    label = next(row.label for row in view.rows() if row.key == task_key(child.id))
    assert label.startswith("↳") and "report" in label
    ended, started = to_us(parent.runs[0].ended_at), to_us(engine.store.runs(child.id)[0].started_at)
    assert view.timeline.edge(parent.id, child.id) == (ended, started)
    view.set_range(ended - 40 * S, 100 * S, follow=False)
    image = view.grab().toImage()
    y1 = view.row_rect(task_key(parent.id)).center().y()
    y2 = view.row_rect(task_key(child.id)).center().y()
    x_mid = round(view.x_for((ended + started) / 2))
    base = view.palette().color(view.palette().ColorRole.Base)

    def dark(x: int, y: int) -> bool:
        return image.pixelColor(x, y).lightness() < base.lightness() - 60

    column = [dark(x, y) for y in range(y1 + 1, y2) for x in range(x_mid - 1, x_mid + 2)]
    assert sum(column) >= (y2 - y1 - 1)  # the edge's vertical stroke, not only row separators
    assert dark(x_mid - 5, y1) and dark(round(view.x_for(started)) - 3, y2)  # both horizontal strokes
    # No edge where there is no chain: the other task's row has none beside it.
    y_other = view.row_rect(task_key(other.id)).center().y()
    assert not any(dark(x, y_other) for x in range(x_mid - 3, x_mid + 4))


def test_the_details_list_parents_and_children_by_name_as_links_that_select(qtbot, window, engine, runner,
                                                                           clock) -> None:
    _, parent, child = chain(engine, runner, clock)
    window.select_task(child.id)
    qtbot.waitUntil(window.details.isVisible, timeout=2_000)
    assert window.details.chain.isVisible()
    assert "Runs after: " in window.details.chain.text() and ">fetch</a>" in window.details.chain.text()
    assert parent.id not in window.details.chain.text().replace(f"task:{parent.id}", "")  # a name, not an id
    window.details.chain.linkActivated.emit(f"task:{parent.id}")
    assert window.details.task_id == parent.id and window.timeline_view.selected_task == parent.id
    assert "Then runs: " in window.details.chain.text() and ">report</a>" in window.details.chain.text()
    window.details.chain.linkActivated.emit(f"task:{child.id}")
    assert window.details.task_id == child.id
    window.select_task(run_task(engine, runner, clock, 1, name="alone").id)
    assert not window.details.chain.isVisible()
