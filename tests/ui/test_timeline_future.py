"""The timeline shows the future and the wait: now a third from the right, upcoming
alarms in view or behind an edge marker, queued time, bars wide and marked enough to read."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage

from engine.clock import to_us
from engine.model import Kind, Outcome, TaskSpec
from ui import style
from ui.timeline import FOLLOW_AT, Timeline, TimelineView, lane_key
from ui.timeline.paint import failure_marks, queued_color
from tests.ui.helpers import run_task

S = 1_000_000


def make_view(qtbot, engine) -> TimelineView:
    widget = TimelineView(Timeline(engine))
    widget.resize(900, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def close(a: QColor, b: QColor, tol: int = 8) -> bool:
    return all(abs(p - q) <= tol for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


def alarm(engine, clock, seconds: float, message: str = "tea"):
    return engine.enqueue(TaskSpec("reminder", (message,), kind=Kind.EXACT, name=message,
                                   run_at=clock.now() + timedelta(seconds=seconds)))


def dashed_marker_at(image: QImage, view: TimelineView, x: int, kind: Kind) -> bool:
    rect = view.row_rect(lane_key(kind))
    base = view.palette().color(view.palette().ColorRole.AlternateBase)
    column = [image.pixelColor(x, y) for y in range(rect.top() + 7, rect.bottom())]
    return any(not close(c, base, 20) for c in column) and any(close(c, base, 20) for c in column)


def test_follow_now_keeps_a_third_of_the_view_for_the_future(qtbot, engine, clock) -> None:
    view = make_view(qtbot, engine)
    assert view.follow_now
    now_x = view.x_for(to_us(clock.now()))
    assert (now_x - view.plot_left) / view.plot_width == pytest.approx(FOLLOW_AT, abs=0.01)
    assert 0.6 <= FOLLOW_AT <= 0.7


def test_an_alarm_five_minutes_ahead_is_drawn_and_one_five_hours_ahead_gets_the_edge_marker(
        qtbot, engine, clock) -> None:
    soon = alarm(engine, clock, 5 * 60, "tea")
    later = alarm(engine, clock, 5 * 3600, "backup")
    view = make_view(qtbot, engine)
    start, end = view.visible_range()
    assert start < to_us(soon.next_run_at) < end  # the span grew to show it
    assert to_us(later.next_run_at) > end
    image = view.grab().toImage()
    assert dashed_marker_at(image, view, round(view.x_for(to_us(soon.next_run_at))), Kind.EXACT)
    # The edge marker names the one beyond the view, at the right edge.
    assert view.edge_marker is not None
    rect, due, task_id = view.edge_marker
    assert task_id == later.id and rect.right() >= view.width() - 4
    highlight = view.highlight_color()
    border = [image.pixelColor(x, rect.top()) for x in range(rect.left() + 2, rect.right() - 2)]
    assert all(close(c, highlight, 12) for c in border)  # drawn, not only computed
    assert "backup" in view.hover_text(rect.center())
    # Clicking it brings the alarm into view (still following now).
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=rect.center())
    start, end = view.visible_range()
    assert start < to_us(later.next_run_at) < end and view.follow_now
    image = view.grab().toImage()
    assert dashed_marker_at(image, view, round(view.x_for(to_us(later.next_run_at))), Kind.EXACT)
    assert view.edge_marker is None


def test_an_alarm_added_while_following_widens_the_view_until_the_user_zooms(qtbot, engine, clock) -> None:
    view = make_view(qtbot, engine)
    span = view.visible_range()[1] - view.visible_range()[0]
    soon = alarm(engine, clock, 30 * 60)
    qtbot.waitUntil(lambda: view.visible_range()[1] > to_us(soon.next_run_at))
    assert view.visible_range()[1] - view.visible_range()[0] > span
    view.zoom(4)
    assert view.visible_range()[1] < to_us(soon.next_run_at)
    assert view.edge_marker is not None or view.next_beyond_view() == (to_us(soon.next_run_at), soon.id)


def test_a_deferred_task_due_and_not_started_draws_a_queued_bar_to_now(qtbot, engine, clock) -> None:
    task = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1)))
    view = make_view(qtbot, engine)
    now = to_us(clock.now())
    due = now - 60 * S  # due a minute ago, still waiting (for a slot or a condition)
    view.timeline.set_tasks([replace(engine.task(task.id), next_run_at=clock.now() - timedelta(seconds=60))])
    view.set_range(now - 120 * S, 180 * S, follow=False)
    image = view.grab().toImage()
    y = view.row_rect(lane_key(Kind.DEFERRED)).center().y()
    base = view.palette().color(view.palette().ColorRole.AlternateBase)
    queued = [image.pixelColor(round(view.x_for(due + s * S)), y) for s in (5, 30, 55)]
    assert all(not close(c, base, 4) for c in queued)
    assert len({c.rgb() for c in queued}) == 1  # one light bar
    assert close(image.pixelColor(round(view.x_for(due - 20 * S)), y), base, 4)  # not before due
    assert close(image.pixelColor(round(view.x_for(now + 20 * S)), y), base, 4)  # not after now
    # Light: lighter than a running bar of the same hue.
    running = style.outcome_color("running", view.palette())
    assert queued[0].lightness() > running.lightness()


def test_a_run_that_started_late_shows_its_wait_from_due_to_start(qtbot, engine, clock) -> None:
    task = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1)))
    now = to_us(clock.now())
    with engine.store.transaction():
        engine.store.record_run(task.id, 0, now, Outcome.SUCCEEDED, due_at=now - 40 * S)
    view = make_view(qtbot, engine)
    view.timeline.add_runs(engine.store.runs(task.id))
    view.set_range(now - 90 * S, 120 * S, follow=False)
    image = view.grab().toImage()
    y = view.row_rect(lane_key(Kind.DEFERRED)).center().y()
    base = view.palette().color(view.palette().ColorRole.AlternateBase)
    inside = image.pixelColor(round(view.x_for(now - 20 * S)), y)
    assert close(inside, queued_color(view.colors()).toRgb(), 255)  # any light bar
    assert not close(inside, base, 4) and inside.lightness() > style.outcome_color("running", view.palette()).lightness()
    assert close(image.pixelColor(round(view.x_for(now - 60 * S)), y), base, 4)


def test_a_one_second_failure_is_three_pixels_wide_in_an_hours_view_and_marked_in_grayscale(
        qtbot, engine, runner, clock) -> None:
    ok = run_task(engine, runner, clock, 1, Outcome.SUCCEEDED)
    clock.advance(600)
    bad = run_task(engine, runner, clock, 1, Outcome.FAILED)
    clock.advance(600)  # the now-line elsewhere
    view = make_view(qtbot, engine)
    now = to_us(clock.now())
    view.set_range(now - 3000 * S, 3600 * S, follow=False)
    image = view.grab().toImage()
    rect = view.row_rect(lane_key(Kind.IMMEDIATE))
    failed = style.outcome_color("failed", view.palette())
    y = rect.center().y()
    x = round(view.x_for(to_us(bad.runs[0].started_at)))
    assert sum(close(image.pixelColor(xx, y), failed) for xx in range(x - 2, x + 6)) >= 3
    assert view.item_at(QPoint(x + 1, y))[1] is not None  # hoverable

    def gray_profile(run) -> list[int]:
        col = round(view.x_for(to_us(run.started_at))) + 1
        return [image.pixelColor(col, yy).lightness() // 8
                for yy in range(rect.top() + 4, rect.bottom() - 4)]

    # Even with the colour taken away, failure and success are told apart: the failed bar
    # has a dark top edge that the successful one lacks.
    ok_gray, bad_gray = gray_profile(ok.runs[0]), gray_profile(bad.runs[0])
    assert len(set(ok_gray)) == 1
    assert len(set(bad_gray)) == 2 and min(bad_gray) < min(ok_gray)
    assert close(image.pixelColor(x + 1, rect.top() + 5), failure_marks(view.colors())["failed"])


def test_a_lane_scrolled_under_the_axis_never_draws_over_the_band(qtbot, engine, runner, clock) -> None:
    for _ in range(8):
        run_task(engine, runner, clock, 30, Outcome.FAILED)
    view = make_view(qtbot, engine)
    view.resize(900, 170)
    view.timeline.toggle(Kind.IMMEDIATE)
    now = to_us(clock.now())
    view.set_range(now - 300 * S, 360 * S, follow=False)
    view.timeline.record_visibility(True, now - 300 * S)
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view._scroll > 0
    image = view.grab().toImage()
    band_y = view.AXIS_HEIGHT + 3
    failed = style.outcome_color("failed", view.palette())
    assert not any(close(image.pixelColor(x, band_y), failed)
                   for x in range(view.plot_left + 2, view.width() - 2, 3))


def test_a_restored_span_is_kept_and_only_widened_for_upcoming_work(qtbot, engine, clock) -> None:
    view = make_view(qtbot, engine)
    now = to_us(clock.now())
    view.set_range(now - 1800 * S * FOLLOW_AT, 1800 * S, follow=True)  # as the window restores it
    alarm(engine, clock, 5 * 60, "soon")  # fits already: the span stays as the user left it
    qtbot.waitUntil(lambda: not view._coalesce.isActive())  # its coalesced refresh has run
    assert view.visible_range()[1] - view.visible_range()[0] == pytest.approx(1800 * S)
    far = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="far",
                                  run_at=clock.now() + timedelta(hours=1)))  # the next deferred task
    qtbot.waitUntil(lambda: view.visible_range()[1] > to_us(far.next_run_at))
    view.hide()  # hidden (or closing, its engine perhaps gone): nothing is read or refitted
    hidden_range = view.visible_range()
    engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="sooner",
                            run_at=clock.now() + timedelta(minutes=2)))  # shown, this would refit the span
    qtbot.waitUntil(lambda: not view._coalesce.isActive())  # its coalesced refresh has run
    assert view.visible_range() == hidden_range
    engine.cancel(far.id)
    view.show()  # refitted on showing: back to the span the user chose
    assert view.visible_range()[1] - view.visible_range()[0] == pytest.approx(1800 * S)


def test_no_axis_label_runs_under_the_edge_marker_at_any_width(qtbot, engine, clock) -> None:
    """The marker is painted over the axis: a label it covered read as another time ("14:3")."""
    from ui.timeline.axis import AVOID_GAP

    alarm(engine, clock, 5 * 3600, "backup")
    view = make_view(qtbot, engine)
    base = view.palette().color(view.palette().ColorRole.Base)
    checked = 0
    # Narrower than the label column and 200 px of plot, there is room for the marker only.
    for width in range(view.plot_left + 200, 1000, 9):
        view.resize(width, 300)
        image = view.grab().toImage()
        assert view.edge_marker is not None, width
        marker = view.edge_marker[0]
        # Nothing of a label reaches into the gap before the marker, in the pixels (but
        # the now-line, which crosses the axis).
        now_x = round(view.x_for(to_us(clock.now())))
        strip = [image.pixelColor(x, y) for x in range(marker.left() - AVOID_GAP, marker.left())
                 if abs(x - now_x) > 2 for y in range(marker.top() + 2, marker.bottom() - 1)]
        assert all(close(c, base, 90) for c in strip), width
        assert view.axis_labels, width  # the axis still has its labels
        for box, label in view.axis_labels:
            assert box.right() + AVOID_GAP < marker.left(), (width, label)
            # drawn whole, where it says: ink in its box
            assert any(not close(image.pixelColor(x, y), base, 90)
                       for x in range(box.left(), box.right() + 1) for y in range(box.top(), box.bottom() + 1))
        checked += 1
    assert checked > 60


def test_no_axis_label_is_cut_by_the_right_edge(qtbot, engine, clock) -> None:
    """A tick just inside the right edge had its label cut by the widget's edge: "00:06"
    read "00:0", another time (seen under Xvfb, with nothing ahead and so no marker)."""
    view = make_view(qtbot, engine)
    tick = to_us(clock.now())  # 09:00:00, on the axis's minute grid
    span = 600 * S
    for inside in range(1, 60, 3):  # the tick this many pixels left of the edge
        end = tick + inside * span / view.plot_width
        view.set_range(end - span, span, follow=False)
        view.grab()
        assert view.edge_marker is None
        assert view.axis_labels, inside
        for box, label in view.axis_labels:
            assert box.right() < view.width(), (inside, label)
