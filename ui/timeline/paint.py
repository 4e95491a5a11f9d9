"""Painting the timeline: lanes, bars, queued time, due markers, chains, the now-line
and the legend, over the axis and band (:mod:`ui.timeline.axis`) and under the "next:
..." edge marker (:mod:`ui.timeline.future`). Kept apart from the view's input handling.

Bars of one row and one colour that touch in pixel space are merged before they are
drawn, so 10,000 runs in view cost at most a few rectangles per pixel column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPalette, QPen, QPolygon

from ui import style
from ui.timeline.axis import band_color, paint_axis, paint_band
from ui.timeline.bars import MIN_BAR_PX, Row, task_key
from ui.timeline.density import MARK_HEIGHT, MARKED_OUTCOMES
from ui.timeline.future import edge_marker_layout, paint_edge_marker

if TYPE_CHECKING:
    from ui.timeline.view import TimelineView

_LEGEND = ("succeeded", "failed", "timed_out", "interrupted", "cancelled", "running")


class TimelinePainter:
    def __init__(self, view: TimelineView) -> None:
        self.view = view

    def paint(self, p: QPainter, now: int) -> None:
        view = self.view
        pal = view.palette()
        colors = view.colors()
        start, end = view.visible_range()
        width, height = view.width(), view.height()
        p.fillRect(0, 0, width, height, pal.color(QPalette.ColorRole.Base))
        p.fillRect(0, 0, view.plot_left, height, pal.color(QPalette.ColorRole.Window))
        top = view.AXIS_HEIGHT + view.BAND_HEIGHT + 2
        bottom = view.rows_bottom()
        marker = edge_marker_layout(view, QFontMetrics(p.font()))
        paint_axis(p, view, pal, start, end, bottom, avoid=marker[0] if marker else None)
        paint_band(p, view, pal, start, end)
        p.save()
        p.setClipRect(QRect(0, top, width, bottom - top))
        for row, rect in view.row_rects():
            if rect.bottom() < top or rect.top() > bottom:
                continue
            self._row(p, pal, colors, row, rect, start, end, now)
        p.setClipRect(QRect(view.plot_left + 1, top, view.plot_width, bottom - top))
        self._edges(p, pal)
        p.restore()
        # The now-line over everything in the plot.
        if start <= now <= end:
            x = round(view.x_for(now))
            p.fillRect(x - 1, 0, 2, bottom, view.now_color())
        p.fillRect(view.plot_left, 0, 1, bottom, pal.color(QPalette.ColorRole.Mid))
        paint_edge_marker(p, view, pal, marker)
        self._legend(p, pal, colors, bottom)

    # ------------------------------------------------------------ rows

    def _row(self, p: QPainter, pal: QPalette, colors: dict[str, QColor], row: Row, rect: QRect,
             start: int, end: int, now: int) -> None:
        view = self.view
        if row.is_lane:
            p.fillRect(rect, pal.color(QPalette.ColorRole.AlternateBase))
        line = QColor(pal.color(QPalette.ColorRole.Mid))
        line.setAlpha(90)
        p.fillRect(0, rect.bottom(), rect.width(), 1, line)
        self._label(p, pal, row, rect)
        p.save()
        # Intersect: a row scrolled half under the axis must not draw over the band.
        p.setClipRect(QRect(view.plot_left + 1, rect.top(), view.plot_width, rect.height()),
                      Qt.ClipOperation.IntersectClip)
        pad = 4 if row.is_lane else 3
        y, h = rect.top() + pad, rect.height() - 2 * pad
        self._bars(p, colors, row, y, h, start, end, now)
        self._markers(p, pal, row, rect, start, end)
        selected = view.selected_task
        if selected is not None and (row.task_id == selected or (row.is_lane and self._kind_of(selected) is row.kind)):
            self._highlight(p, selected, y, h, start, end, now)
        p.restore()

    def _edges(self, p: QPainter, pal: QPalette) -> None:
        """Chains: a thin elbow arrow from a parent's run end to its child's first run,
        between task rows that are both shown."""
        view = self.view
        timeline = view.timeline
        rects = {row.task_id: rect for row, rect in view.row_rects() if row.task_id is not None}
        color = QColor(pal.color(QPalette.ColorRole.WindowText))
        color.setAlpha(200)
        p.setPen(QPen(color, 1))
        for child_id, rect in rects.items():
            task = timeline.task(child_id)
            for parent_id in task.spec.after if task is not None else ():
                parent_rect = rects.get(parent_id)
                link = timeline.edge(parent_id, child_id) if parent_rect is not None else None
                if link is None or parent_rect is None:
                    continue
                x1, x2 = round(view.x_for(link[0])), round(view.x_for(link[1]))
                y1, y2 = parent_rect.center().y(), rect.center().y()
                elbow = x1 + max(2, (x2 - x1) // 2)
                p.drawPolyline(QPolygon([QPoint(x1, y1), QPoint(elbow, y1), QPoint(elbow, y2),
                                         QPoint(max(elbow, x2 - 1), y2)]))
                p.setBrush(color)
                tip = max(elbow + 4, x2)
                p.drawPolygon(QPolygon([QPoint(tip, y2), QPoint(tip - 5, y2 - 3), QPoint(tip - 5, y2 + 3)]))
                p.setBrush(Qt.BrushStyle.NoBrush)

    def _kind_of(self, task_id: str) -> object:
        task = self.view.timeline.task(task_id)
        return task.kind if task else None

    def _label(self, p: QPainter, pal: QPalette, row: Row, rect: QRect) -> None:
        view = self.view
        p.setPen(pal.color(QPalette.ColorRole.WindowText))
        if row.is_lane:
            arrow = "▾" if row.kind in view.timeline.expanded else "▸"
            style.kind_icon(row.kind).paint(p, QRect(18, rect.top() + (rect.height() - 16) // 2, 16, 16))
            p.drawText(QRect(4, rect.top(), 14, rect.height()), Qt.AlignmentFlag.AlignVCenter, arrow)
            font = p.font()
            font.setBold(True)
            p.save()
            p.setFont(font)
            label = QFontMetrics(font).elidedText(row.label, Qt.TextElideMode.ElideRight, view.plot_left - 42)
            p.drawText(QRect(38, rect.top(), view.plot_left - 42, rect.height()), Qt.AlignmentFlag.AlignVCenter,
                       label)
            p.restore()
        else:
            fm = QFontMetrics(p.font())
            label = fm.elidedText(row.label, Qt.TextElideMode.ElideRight, view.plot_left - 30)
            if row.task_id == view.selected_task:
                p.fillRect(QRect(0, rect.top(), view.plot_left, rect.height()), pal.color(QPalette.ColorRole.Highlight))
                p.setPen(pal.color(QPalette.ColorRole.HighlightedText))
            p.drawText(QRect(24, rect.top(), view.plot_left - 28, rect.height()), Qt.AlignmentFlag.AlignVCenter, label)

    def _bars(self, p: QPainter, colors: dict[str, QColor], row: Row, y: int, h: int,
              start: int, end: int, now: int) -> None:
        view = self.view
        timeline = view.timeline
        px = (end - start) / view.plot_width
        strip = None if timeline.dense else timeline.strip(row.key, px)
        self._queued(p, colors, row, y, h, start, end, now)
        # Failures drawn again over running bars: in a lane, a long run of one task
        # covered every failure of the others while it ran (a retrying task's red was
        # gone from the Immediate lane under a 10-minute run).
        failures: list[tuple[int, int, int, int, QColor]] = []
        if timeline.dense:
            self._density(p, colors, row, y, h, start, end, failures)
        if strip is not None:
            base = view.plot_left - start / px  # grid pixel -> widget x
            fill = p.fillRect
            marks = failure_marks(colors)
            for g1, g2, color in strip.visible(start / px, end / px):
                x1 = int(g1 + base)
                fill(x1, y, int(g2 + base) - x1, h, colors[color])
                mark = marks.get(color)
                if mark is not None:  # not by colour alone: a dark top edge
                    fill(x1, y, int(g2 + base) - x1, MARK_HEIGHT, mark)
                    failures += ((x1, y, int(g2 + base) - x1, h, colors[color]),
                                 (x1, y, int(g2 + base) - x1, MARK_HEIGHT, mark))
        spans = []
        for bar in timeline.running(row.key, end):
            x1 = round(view.x_for(bar.start))
            x2 = max(x1 + MIN_BAR_PX, round(view.x_for(now)))
            p.fillRect(x1, y, x2 - x1, h, colors["running"])
            spans.append((x1, x2))
        if spans and failures:
            for fx, fy, fw, fh, fcolor in failures:
                if any(fx < x2 and fx + fw > x1 for x1, x2 in spans):
                    p.fillRect(fx, fy, fw, fh, fcolor)
        missed = timeline.missed(row.key, start - int(8 * px), end)
        if missed:
            color = colors["missed"]
            p.setPen(QPen(color, 1))
            p.setBrush(QBrush(color, Qt.BrushStyle.BDiagPattern))
            for bar in missed:
                p.drawRect(round(view.x_for(bar.start)) - 4, y, 8, h - 1)
            p.setBrush(Qt.BrushStyle.NoBrush)

    def _queued(self, p: QPainter, colors: dict[str, QColor], row: Row, y: int, h: int,
                start: int, end: int, now: int) -> None:
        """Queued time, like Airflow's: a light bar from the due time to now for work due
        and not started yet, and from due to start for runs that started late."""
        view = self.view
        color = queued_color(colors)
        spans = [(due, now) for due in view.timeline.waiting(row.key, now)[0]]
        spans += [(bar.queued_from, bar.start) for bar in view.timeline.late(row.key, start, end)
                  if bar.queued_from is not None]
        last: tuple[int, int] | None = None
        for frm, to in spans:
            x1 = max(view.plot_left, round(view.x_for(frm)))
            x2 = min(view.width(), round(view.x_for(to)))
            if x2 > x1 and (x1, x2) != last:
                p.fillRect(x1, y + h // 4, x2 - x1, h - h // 2, color)
                last = (x1, x2)

    def _density(self, p: QPainter, colors: dict[str, QColor], row: Row, y: int, h: int,
                 start: int, end: int, failures: list[tuple[int, int, int, int, QColor]]) -> None:
        """Per-pixel aggregates (see ui.timeline.density): the row's columns, merged and
        kept by the grid (a frame draws a few rectangles, not a walk of every bucket):
        successes in their colour and on top, by their share, the rest in the worst
        outcome's colour, a failure with the dark top edge of a failed bar."""
        view = self.view
        x_for = view.x_for
        marks = failure_marks(colors)
        for grid in view.timeline.density.grids_for(start, end):
            bucket_us = grid.bucket_us
            for bucket, end_us, base, top, worst in view.timeline.density_columns(
                    grid, row.key, start // bucket_us - 1, end // bucket_us + 1, h):
                x1 = int(x_for(bucket * bucket_us))
                x2 = max(x1 + 1, int(x_for(end_us)))
                if top < h:
                    p.fillRect(x1, y + top, x2 - x1, h - top, colors[base])
                if top:
                    p.fillRect(x1, y, x2 - x1, top, colors[worst])
                mark = marks.get(worst)
                if mark is not None:  # as on a failed bar: not by colour alone
                    p.fillRect(x1, y, x2 - x1, MARK_HEIGHT, mark)
                    if top:
                        failures.append((x1, y, x2 - x1, top, colors[worst]))
                    failures.append((x1, y, x2 - x1, MARK_HEIGHT, mark))

    def _markers(self, p: QPainter, pal: QPalette, row: Row, rect: QRect, start: int, end: int) -> None:
        view = self.view
        dues, ids = view.timeline.markers(row.key, start, end)
        if not dues:
            return
        normal = QColor(pal.color(QPalette.ColorRole.Text))
        normal.setAlpha(170)
        selected = view.highlight_color()
        last_x = -10
        p.setPen(Qt.PenStyle.NoPen)
        for due, task_id in zip(dues, ids):
            x = round(view.x_for(due))
            is_selected = task_id == view.selected_task
            if x == last_x and not is_selected:
                continue  # one marker per pixel column is enough
            last_x = x
            color = selected if is_selected else normal
            width = 2 if is_selected else 1
            # A dashed line drawn as short rectangles (a dashed QPen is far slower).
            for y in range(rect.top() + 7, rect.bottom(), 6):
                p.fillRect(x, y, width, min(3, rect.bottom() - y), color)
            p.setBrush(color)
            p.drawPolygon(QPolygon([QPoint(x - 4, rect.top() + 1), QPoint(x + 4, rect.top() + 1),
                                    QPoint(x, rect.top() + 6)]))
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _highlight(self, p: QPainter, task_id: str, y: int, h: int, start: int, end: int, now: int) -> None:
        view = self.view
        finished, running = view.timeline.bars(task_key(task_id), start, end)
        p.setPen(QPen(view.highlight_color(), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        # Outlines that touch merge into one: a 1-second task holds 600 runs in a
        # 10-minute view, and one rectangle per run cost 26 ms a paint.
        left, scale = view.plot_left - start * view.plot_width / (end - start), view.plot_width / (end - start)
        group: list[float] = []
        for bar in [*finished, *running]:
            bar_end = bar.end if bar.end is not None else now
            if bar_end < start:
                continue
            x1 = left + bar.start * scale
            x2 = max(x1 + MIN_BAR_PX, left + bar_end * scale)
            if group and x1 <= group[1] + 2:
                group[1] = max(group[1], x2)
                continue
            if group:
                p.drawRect(QRectF(group[0] - 1, y - 1, group[1] - group[0] + 2, h + 2))
            group = [x1, x2]
        if group:
            p.drawRect(QRectF(group[0] - 1, y - 1, group[1] - group[0] + 2, h + 2))

    # ------------------------------------------------------------ legend

    def _legend(self, p: QPainter, pal: QPalette, colors: dict[str, QColor], bottom: int) -> None:
        """One line of swatches and words. An entry that does not fit whole is left out
        (with the ones after it), never cut mid-word: the least needed come last."""
        view = self.view
        p.fillRect(0, bottom, view.width(), view.height() - bottom, pal.color(QPalette.ColorRole.Window))
        fm = QFontMetrics(p.font())
        x, y = 8, bottom + (view.LEGEND_HEIGHT - 10) // 2
        text_y = bottom + (view.LEGEND_HEIGHT + fm.ascent() - fm.descent()) // 2
        marks = failure_marks(colors)
        text_pen = QPen(pal.color(QPalette.ColorRole.WindowText))

        def outcome(key: str) -> Callable[[int], None]:
            def swatch(at: int) -> None:
                p.fillRect(at, y, 14, 10, colors[key])
                if key in marks:
                    p.fillRect(at, y, 14, 3, marks[key])
            return swatch

        def bar(color: QColor) -> Callable[[int], None]:
            return lambda at: p.fillRect(at, y + 2, 14, 6, color)

        def line(pen: QPen) -> Callable[[int], None]:
            def swatch(at: int) -> None:
                p.setPen(pen)
                p.drawLine(at + 6, y - 2, at + 6, y + 11)
            return swatch

        def hatch(at: int) -> None:
            p.setPen(QPen(colors["missed"], 1))
            p.setBrush(QBrush(colors["missed"], Qt.BrushStyle.BDiagPattern))
            p.drawRect(at, y, 13, 9)
            p.setBrush(Qt.BrushStyle.NoBrush)

        entries: list[tuple[str, Callable[[int], None]]] = [(style.OUTCOME_LABELS[k], outcome(k)) for k in _LEGEND]
        entries += [
            (_tr("now"), line(QPen(view.now_color(), 2))),
            (_tr("queued"), bar(queued_color(colors))),
            (_tr("missed"), hatch),
            (_tr("due"), line(QPen(QColor(pal.color(QPalette.ColorRole.Text)), 1.5, Qt.PenStyle.DashLine))),
            (_tr("visible"), bar(band_color(pal, True))),
            (_tr("background"), bar(band_color(pal, False))),
        ]
        view.legend_shown = 0
        for label, swatch in entries:
            advance = fm.horizontalAdvance(label)
            if x + 18 + advance > view.width() - 4:
                break
            swatch(x)
            p.setPen(text_pen)
            p.drawText(x + 18, text_y, label)
            x += 26 + advance
            view.legend_shown += 1


def _tr(source: str) -> str:
    """The painter's words (it is no QObject: its context is named here)."""
    return QCoreApplication.translate("TimelinePainter", source)


# The painter's words, for extraction: _tr translates them by value.
_WORDS = (
    QT_TRANSLATE_NOOP("TimelinePainter", "queued"), QT_TRANSLATE_NOOP("TimelinePainter", "missed"),
    QT_TRANSLATE_NOOP("TimelinePainter", "due"), QT_TRANSLATE_NOOP("TimelinePainter", "visible"),
    QT_TRANSLATE_NOOP("TimelinePainter", "background"), QT_TRANSLATE_NOOP("TimelinePainter", "now"),
)


def failure_marks(colors: dict[str, QColor]) -> dict[str, QColor]:
    """The dark edge drawn on bars whose outcome is a failure."""
    return {key: colors[key].darker(260) for key in MARKED_OUTCOMES}


def queued_color(colors: dict[str, QColor]) -> QColor:
    color = QColor(colors["running"])
    color.setAlpha(70)
    return color
