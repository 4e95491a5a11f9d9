"""The window's search and filters apply to the timeline too: rows hidden, lanes count them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics

from engine.clock import to_us
from engine.model import Kind, Outcome, State
from ui import style
from ui.main_window import MainWindow
from ui.task_table import TASK_ID_ROLE
from ui.timeline import lane_key, task_key
from tests.ui.helpers import run_task

S = 1_000_000


@pytest.fixture
def window(qtbot, engine):
    win = MainWindow(engine)
    win.resize(1100, 750)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def close(a: QColor, b: QColor, tol: int = 8) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


def test_search_hides_timeline_rows_and_lane_bars_and_the_lane_says_how_many(qtbot, window, engine, runner,
                                                                            clock) -> None:
    alpha = run_task(engine, runner, clock, 20, Outcome.SUCCEEDED, name="alpha")
    clock.advance(10)
    beta = run_task(engine, runner, clock, 20, Outcome.FAILED, name="beta")
    clock.advance(10)
    view = window.timeline_view
    view.timeline.toggle(Kind.IMMEDIATE)
    keys = [row.key for row in view.rows()]
    assert task_key(alpha.id) in keys and task_key(beta.id) in keys
    view.set_range(to_us(clock.now()) - 80 * S, 100 * S, follow=False)

    def lane_pixel(run) -> QColor:
        middle = (to_us(run.started_at) + to_us(run.ended_at)) // 2
        return view.grab().toImage().pixelColor(round(view.x_for(middle)),
                                                view.row_rect(lane_key(Kind.IMMEDIATE)).center().y())

    success = style.outcome_color("succeeded", view.palette())
    assert close(lane_pixel(alpha.runs[0]), success)

    qtbot.keyClicks(window.search, "bet")
    qtbot.waitUntil(lambda: task_key(alpha.id) not in [row.key for row in view.rows()], timeout=2_000)
    assert task_key(beta.id) in [row.key for row in view.rows()]
    lane = next(row for row in view.rows() if row.key == lane_key(Kind.IMMEDIATE))
    assert lane.label == "Immediate (1 hidden)"
    assert not close(lane_pixel(alpha.runs[0]), success)  # its run left the lane too
    assert close(lane_pixel(beta.runs[0]), style.outcome_color("failed", view.palette()))

    window.search.clear()
    qtbot.waitUntil(lambda: task_key(alpha.id) in [row.key for row in view.rows()], timeout=2_000)
    assert close(lane_pixel(alpha.runs[0]), success)
    assert next(row for row in view.rows() if row.key == lane_key(Kind.IMMEDIATE)).label == "Immediate"


def test_the_kind_and_state_filters_match_although_the_combo_hands_back_strings(qtbot, window, engine, runner,
                                                                               clock) -> None:
    ok = run_task(engine, runner, clock, 5, name="ok")
    bad = run_task(engine, runner, clock, 5, Outcome.FAILED, name="bad")
    window.state_filter.setCurrentIndex(window.state_filter.findData(State.FAILED))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1, timeout=2_000)
    assert window.proxy.index(0, 0).data(TASK_ID_ROLE) == bad.id
    lane = next(row for row in window.timeline_view.rows() if row.key == lane_key(Kind.IMMEDIATE))
    assert lane.label == "Immediate (1 hidden)"
    window.state_filter.setCurrentIndex(0)
    window.kind_filter.setCurrentIndex(window.kind_filter.findData(Kind.IMMEDIATE))
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 2, timeout=2_000)


def test_the_dense_lane_follows_the_filter_and_marks_failures_with_an_edge(qtbot, engine, clock) -> None:
    """A day of two 1-second tasks at a day's zoom: the collapsed lane is drawn from
    per-pixel aggregates. Its failures (all from "flaky") carry the failed bar's dark top
    edge; a filter that hides "flaky" leaves a lane of successes only, no failure line."""
    from tests.history_data import add_busy_task
    from ui.timeline import Timeline, TimelineView
    from ui.timeline.density import MARK_HEIGHT
    from ui.timeline.paint import failure_marks

    day = 86_400
    add_busy_task(engine.store, clock.now(), day, task_id="steady000001", fail_every=0)
    add_busy_task(engine.store, clock.now(), day, task_id="flaky0000001", fail_every=50)
    timeline = Timeline(engine)
    view = TimelineView(timeline)
    view.resize(900, 260)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    now = timeline.now_us()
    view.set_range(now - day * S, day * S, follow=False)
    assert timeline.dense
    qtbot.waitUntil(timeline.density.done, timeout=10_000)
    colors = style.outcome_colors(view.palette())
    mark = failure_marks(colors)["failed"]
    rect = view.row_rect(lane_key(Kind.DEFERRED))
    top = rect.top() + 4  # a lane's bars start 4 px below its top
    xs = range(round(view.x_for(now - day * S)) + 2, round(view.x_for(now)) - 2)

    def share(y: int, color: QColor) -> float:
        image = view.grab().toImage()
        return sum(1 for x in xs if close(image.pixelColor(x, y), color)) / len(xs)

    assert share(top, mark) > 0.98  # the dark edge along the whole day
    assert share(top + MARK_HEIGHT, colors["failed"]) > 0.98  # the failures' own colour under it
    assert "failed" in (view.hover_text(rect.center()) or "").lower()

    view.set_filter(lambda task: task.id != "flaky0000001")
    view.repaint()
    assert share(top, mark) < 0.02 and share(top + MARK_HEIGHT, colors["failed"]) < 0.02
    assert share(top + MARK_HEIGHT, colors["succeeded"]) > 0.98  # the steady task's band remains
    assert "failed" not in (view.hover_text(rect.center()) or "").lower()


def test_a_lanes_count_of_hidden_tasks_is_read_whole(qtbot, window, engine, runner, clock) -> None:
    # Seen under Xvfb: searching "fail" among 30 tasks left "Immediate (8 h…" in a 160 px
    # label column.
    for i in range(12):
        run_task(engine, runner, clock, 1, Outcome.SUCCEEDED, name=f"task {i}")
    window.search.setText("task 1")  # "task 1", "task 10", "task 11": 9 hidden
    view = window.timeline_view
    qtbot.waitUntil(lambda: view.rows()[0].label == "Immediate (9 hidden)")
    font = view.font()
    font.setBold(True)
    # The painter elides a lane's title to plot_left - 42 pixels.
    assert QFontMetrics(font).horizontalAdvance("Immediate (99 hidden)") <= view.plot_left - 42
