"""The timeline: range reads, zoom and pan, and pixel checks on grabbed images."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from engine.clock import to_us
from engine.model import Kind, Outcome, StopReason, TaskSpec
from ui import style
from ui.timeline import MAX_SPAN, MIN_SPAN, Timeline, TimelineView, lane_key, task_key
from tests.ui.helpers import run_task, start_task

S = 1_000_000


@pytest.fixture
def view(qtbot, engine):
    timeline = Timeline(engine)
    widget = TimelineView(timeline)
    widget.resize(900, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixel(view: TimelineView, x: float, y: float) -> QColor:
    image = view.grab().toImage()
    return image.pixelColor(round(x), round(y))


def close(a: QColor, b: QColor, tol: int = 6) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


def show_around(view: TimelineView, center_us: int, span_s: float = 120) -> None:
    view.set_range(center_us - span_s * S / 2, span_s * S, follow=False)


def test_a_succeeded_runs_bar_has_the_success_colour_where_its_time_falls(view, engine, runner, clock) -> None:
    task = run_task(engine, runner, clock, 20, Outcome.SUCCEEDED)
    clock.advance(30)
    failed = run_task(engine, runner, clock, 20, Outcome.FAILED)
    run, bad = task.runs[0], failed.runs[0]
    show_around(view, to_us(run.ended_at))
    y = view.row_rect(lane_key(Kind.IMMEDIATE)).center().y()
    middle = (to_us(run.started_at) + to_us(run.ended_at)) / 2
    success = style.outcome_color("succeeded", view.palette())
    assert close(pixel(view, view.x_for(middle), y), success)
    assert close(pixel(view, view.x_for(to_us(bad.started_at) + 10 * S), y),
                 style.outcome_color("failed", view.palette()))
    # Before the run started and in the gap between the runs: no bar.
    assert not close(pixel(view, view.x_for(to_us(run.started_at) - 5 * S), y), success)
    assert not close(pixel(view, view.x_for(to_us(run.ended_at) + 15 * S), y), success)


def test_a_running_bar_grows_between_two_grabs(view, engine, runner, clock) -> None:
    task = start_task(engine, runner)
    started = to_us(engine.task(task.id).runs[0].started_at)
    view.set_range(started - 10 * S, 120 * S, follow=False)
    y = view.row_rect(lane_key(Kind.IMMEDIATE)).center().y()
    running = style.outcome_color("running", view.palette())

    def is_running_colour(image, seconds_after_start: float) -> bool:
        return close(image.pixelColor(round(view.x_for(started + seconds_after_start * S)), y), running)

    first = view.grab().toImage()
    clock.advance(30)
    second = view.grab().toImage()
    assert not is_running_colour(first, 15) and not is_running_colour(first, 25)
    assert is_running_colour(second, 1) and is_running_colour(second, 15) and is_running_colour(second, 27)
    assert not is_running_colour(second, 35)  # it ends at now


def test_the_now_line_moves_with_the_clock(view, clock) -> None:
    start = to_us(clock.now()) - 60 * S
    view.set_range(start, 120 * S, follow=False)
    now_color = view.now_color()
    y = view.rows_bottom() - 5

    def now_x() -> int:
        image = view.grab().toImage()
        xs = [x for x in range(view.plot_left, image.width()) if close(image.pixelColor(x, y), now_color)]
        assert xs, "no now-line"
        return xs[0]

    before = now_x()
    assert abs(before - view.x_for(to_us(clock.now()))) <= 2
    clock.advance(30)
    assert now_x() - before == pytest.approx(30 * view.plot_width / 120, abs=2)


def test_missed_alarms_are_hatched_and_due_times_marked(view, engine, clock) -> None:
    alarm = engine.enqueue(TaskSpec("reminder", ("tea",), kind=Kind.EXACT, run_at=clock.now() + timedelta(seconds=40)))
    missed_at = to_us(clock.now()) - 30 * S
    with engine.store.transaction():  # a missed alarm, as the exact scheduler records it
        engine.store.record_run(alarm.id, 0, to_us(clock.now()), Outcome.CANCELLED, due_at=missed_at,
                                stop_reason=StopReason.MISSED)
    view.timeline.add_runs(engine.store.runs(alarm.id))
    show_around(view, to_us(clock.now()))
    rect = view.row_rect(lane_key(Kind.EXACT))
    image = view.grab().toImage()
    missed = style.outcome_color("missed", view.palette())
    x = round(view.x_for(missed_at))
    hatch = [image.pixelColor(xx, yy) for xx in range(x - 3, x + 4) for yy in range(rect.top() + 5, rect.bottom() - 4)]
    assert any(close(c, missed) for c in hatch) and not all(close(c, missed) for c in hatch)  # hatched, not filled
    due_x = round(view.x_for(to_us(alarm.next_run_at)))
    column = [image.pixelColor(due_x, yy) for yy in range(rect.top() + 7, rect.bottom())]
    base = view.palette().color(view.palette().ColorRole.AlternateBase)
    assert any(not close(c, base, 20) for c in column) and any(close(c, base, 20) for c in column)  # dashed
    assert "due" in view.hover_text(QPoint(due_x, rect.center().y()))


def test_reads_only_the_visible_range_and_then_follows_signals(qtbot, engine, runner, clock, monkeypatch) -> None:
    old = run_task(engine, runner, clock, 5)
    clock.advance(3600)
    calls: list[tuple[int, int]] = []
    real = engine.runs_between

    def spy(start, end):
        calls.append((to_us(start), to_us(end)))
        return real(start, end)

    monkeypatch.setattr(engine, "runs_between", spy)
    timeline = Timeline(engine)
    view = TimelineView(timeline)
    qtbot.addWidget(view)
    view.resize(800, 240)
    view.set_range(to_us(clock.now()) - 60 * S, 120 * S, follow=False)
    assert calls and all(end - start <= 4 * 120 * S for start, end in calls)
    assert timeline.bar(old.runs[0].id) is None  # an hour ago: not read
    calls.clear()
    fresh = run_task(engine, runner, clock, 5)
    assert timeline.bar(fresh.runs[0].id).end is not None and calls == []  # from signals alone
    view.pan(-3600 * S)
    assert calls and timeline.bar(old.runs[0].id) is not None


def test_zoom_at_the_cursor_and_with_keys(qtbot, view, clock) -> None:
    view.set_range(to_us(clock.now()) - 600 * S, 1200 * S, follow=False)
    x = view.plot_left + view.plot_width * 0.25
    under = view.us_at(x)
    event = QWheelEvent(QPointF(x, 100), view.mapToGlobal(QPointF(x, 100)), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(view, event)
    start, end = view.visible_range()
    assert end - start == pytest.approx(1200 * S / 1.25, rel=1e-6)
    assert view.us_at(x) == pytest.approx(under, abs=S / 100)  # the instant under the cursor stays put
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.visible_range()[1] - view.visible_range()[0] == pytest.approx(1200 * S / 1.25 * 1.5, rel=1e-6)
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    for _ in range(40):
        qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.visible_range()[1] - view.visible_range()[0] == MIN_SPAN  # seconds ...
    for _ in range(60):
        qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.visible_range()[1] - view.visible_range()[0] == MAX_SPAN  # ... to weeks


def test_pan_by_drag_and_arrows_and_home_fits_all(qtbot, view, engine, runner, clock) -> None:
    first = run_task(engine, runner, clock, 5)
    clock.advance(7200)
    assert view.follow_now  # the default
    view.set_range(to_us(clock.now()) - 60 * S, 120 * S, follow=False)
    start, _ = view.visible_range()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.visible_range()[0] == pytest.approx(start + 12 * S, abs=1)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.visible_range()[0] == pytest.approx(start, abs=1)
    y = view.row_rect(lane_key(Kind.DEFERRED)).center().y()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(500, y))
    qtbot.mouseMove(view, QPoint(400, y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(400, y))
    assert view.visible_range()[0] == pytest.approx(start + 100 * 120 * S / view.plot_width, rel=1e-6)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    lo, hi = view.visible_range()
    assert lo <= to_us(first.created_at) and hi >= to_us(clock.now())
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.follow_now
    now = to_us(clock.now())
    lo, hi = view.visible_range()
    assert lo < now < hi


def test_click_selects_hover_describes_and_selection_highlights(qtbot, view, engine, runner, clock) -> None:
    task = run_task(engine, runner, clock, 20, name="backup")
    run = task.runs[0]
    show_around(view, to_us(run.ended_at))
    rect = view.row_rect(lane_key(Kind.IMMEDIATE))
    x = round(view.x_for((to_us(run.started_at) + to_us(run.ended_at)) / 2))
    card = view.hover_text(QPoint(x, rect.center().y()))
    assert "backup" in card and "succeeded" in card and "duration 20s" in card
    with qtbot.waitSignal(view.task_selected) as selected:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(x, rect.center().y()))
    assert selected.args == [task.id] and view.selected_task == task.id
    # The selected bar is outlined in the highlight colour, just outside its fill.
    left = round(view.x_for(to_us(run.started_at)))
    assert close(pixel(view, left - 1, rect.center().y()), view.highlight_color(), 30)
    view.select_task(None)
    assert not close(pixel(view, left - 1, rect.center().y()), view.highlight_color(), 30)


def test_lanes_open_into_one_row_per_task(qtbot, view, engine, runner, clock) -> None:
    a = run_task(engine, runner, clock, 5, name="a")
    b = run_task(engine, runner, clock, 5, name="b")
    assert len(view.rows()) == 3
    rect = view.row_rect(lane_key(Kind.IMMEDIATE))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(20, rect.center().y()))
    assert [r.key for r in view.rows()][1:3] == [task_key(a.id), task_key(b.id)]


def test_repaints_only_while_shown_and_now_in_view(qtbot, view, clock) -> None:
    view.set_follow_now(True)
    assert view.ticking()
    view.set_range(to_us(clock.now()) - 7200 * S, 600 * S, follow=False)  # now is out of view
    assert not view.ticking()
    view.set_follow_now(True)
    view.hide()
    assert not view.ticking()
    view.show()
    assert view.ticking()
    view.set_range(to_us(clock.now()) - 3 * 7 * 86400 * S, 4 * 7 * 86400 * S, follow=True)
    assert view.tick_interval_ms() == 1000  # weeks: once a second is smooth enough


def test_a_failure_in_a_lane_shows_over_another_tasks_running_bar(view, engine, runner, clock) -> None:
    # Seen under Xvfb: a task retrying and failing beside a 10-minute run had no red in
    # the closed Immediate lane; the running bar, drawn last, covered every failure.
    long = start_task(engine, runner, name="long")
    clock.advance(30)
    failed = run_task(engine, runner, clock, 5, Outcome.FAILED)
    clock.advance(90)
    bad = failed.runs[0]
    show_around(view, to_us(bad.started_at))
    y = view.row_rect(lane_key(Kind.IMMEDIATE)).center().y()
    middle = view.x_for(to_us(bad.started_at) + 2.5 * S)
    assert close(pixel(view, middle, y), style.outcome_color("failed", view.palette()))
    # The running bar still shows on both sides of the failure.
    running = style.outcome_color("running", view.palette())
    assert close(pixel(view, view.x_for(to_us(bad.started_at) - 10 * S), y), running)
    assert close(pixel(view, view.x_for(to_us(bad.ended_at) + 10 * S), y), running)
    assert engine.is_running(long.id)
