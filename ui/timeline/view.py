"""TimelineView: the custom-painted live timeline of a :class:`ui.timeline.model.Timeline`,
and how a person moves it: zoom, pan, follow now, scroll the rows, click and hover.

Custom painting (not QGraphicsView): bars are coalesced per pixel column per row, so
a paint costs the visible bars' iteration plus at most a few fillRects per pixel
column, whatever the number of runs. A repaint timer runs only while the widget is
shown, its window not minimized, and now is in view; its interval is the time the
now-line takes to move one pixel (16 ms to 1 s), so a week's view wakes once a second.

The painting is :mod:`ui.timeline.paint`'s, the tooltips and hit tests
:mod:`ui.timeline.hover`'s, the future part and its edge marker :mod:`ui.timeline.future`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from engine.model import Task
from ui import style
from ui.timeline import future, hover
from ui.timeline.axis import SECOND
from ui.timeline.bars import Bar, Row, RowKey
from ui.timeline.future import FOLLOW_AT
from ui.timeline.model import LANE_TITLES, Timeline
from ui.timeline.paint import TimelinePainter

MIN_SPAN = 10 * SECOND  # "from seconds ..."
MAX_SPAN = 8 * 7 * 86400 * SECOND  # "... to weeks"
#: The span while following now, unless upcoming work needs more to be in view.
DEFAULT_SPAN = 10 * 60 * SECOND


class TimelineView(QWidget):
    """Lanes of runs over time. Emits ``task_selected`` when a bar or marker is clicked."""

    task_selected = Signal(str)
    range_changed = Signal()
    follow_changed = Signal(bool)

    LABEL_WIDTH = 160
    AXIS_HEIGHT = 22
    BAND_HEIGHT = 8
    LANE_HEIGHT = 26
    ROW_HEIGHT = 20
    LEGEND_HEIGHT = 22

    def __init__(self, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.setAccessibleName(self.tr("Timeline"))
        self.setAccessibleDescription(self.tr(
            "Runs over time by kind of work. Ctrl+wheel or +/- zooms, drag or arrows pan, Home fits all. "
            "Failed runs carry a dark top edge, missed alarms are hatched, so no outcome is told by colour alone."
        ))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.selected_task: str | None = None
        self.follow_now = True
        #: While following now and not zoomed by hand, the span grows to show upcoming work.
        self.auto_span = True
        #: The span the user chose (or the default): what fitting upcoming work widens.
        self._base_span: float = DEFAULT_SPAN
        self._label_width = self._fit_label_width()
        self._span = self.span_for_upcoming(DEFAULT_SPAN)
        self._start = timeline.now_us() - int(self._span * FOLLOW_AT)
        #: Where the "next: ..." marker was last drawn, and the due time and task it shows.
        self.edge_marker: tuple[QRect, int, str] | None = None
        #: The axis labels drawn in the last paint, where and what (ui.timeline.axis).
        self.axis_labels: list[tuple[QRect, str]] = []
        #: How many legend entries fitted in the last paint (the rest are left out whole).
        self.legend_shown = 0
        self._scroll = 0  # vertical offset of the rows, in pixels
        self._press: QPoint | None = None
        self._dragged = False
        self._rows: list[Row] = timeline.rows()
        self._painter = TimelinePainter(self)
        self._tick = QTimer(self)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._on_tick)
        # Engine bursts (hundreds of runs a second) repaint at most every 50 ms.
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(50)
        self._coalesce.timeout.connect(self._refresh)
        timeline.changed.connect(self._on_timeline_changed)
        timeline.rows_changed.connect(self._on_rows_changed)

    # ------------------------------------------------------------ geometry

    def sizeHint(self) -> QSize:  # noqa: N802
        """Room for the three lanes with a few open rows: the window's splitter starts
        from size hints, and without one the timeline got the least room of all (about
        150 px of a 1000 px high window, most of it axis and legend)."""
        rows = 3 * self.LANE_HEIGHT + 6 * self.ROW_HEIGHT
        return QSize(480, self.AXIS_HEIGHT + self.BAND_HEIGHT + rows + self.LEGEND_HEIGHT)

    @property
    def plot_left(self) -> int:
        return self._label_width

    @property
    def plot_width(self) -> int:
        return max(1, self.width() - self._label_width)

    def _fit_label_width(self) -> int:
        """At least :attr:`LABEL_WIDTH`, and room for a lane's bold title with its count of
        hidden tasks: at 160 px a filtered window's lane read "Immediate (8 h…" (Xvfb)."""
        font = QFont(self.font())
        font.setBold(True)
        fm = QFontMetrics(font)
        words = QCoreApplication.translate("Timeline", "{lane} ({count} hidden)")
        widest = max(fm.horizontalAdvance(words.format(lane=QCoreApplication.translate("Timeline", title), count=99))
                     for title in LANE_TITLES.values())
        return max(self.LABEL_WIDTH, widest + 42 + 4)  # the arrow and kind icon before it, air after

    @property
    def span(self) -> float:
        """The visible range's length in µs (not rounded, unlike visible_range)."""
        return self._span

    def visible_range(self) -> tuple[int, int]:
        return int(self._start), int(self._start + self._span)

    def x_for(self, us: float) -> float:
        return self.plot_left + (us - self._start) * self.plot_width / self._span

    def us_at(self, x: float) -> float:
        return self._start + (x - self.plot_left) * self._span / self.plot_width

    def rows(self) -> list[Row]:
        return self._rows

    def row_rects(self) -> list[tuple[Row, QRect]]:
        """Each row and its rectangle across the whole width (label included)."""
        y = self.AXIS_HEIGHT + self.BAND_HEIGHT + 2 - self._scroll
        result = []
        for row in self._rows:
            h = self.LANE_HEIGHT if row.is_lane else self.ROW_HEIGHT
            result.append((row, QRect(0, y, self.width(), h)))
            y += h
        return result

    def row_rect(self, key: RowKey) -> QRect:
        for row, rect in self.row_rects():
            if row.key == key:
                return rect
        raise KeyError(key)

    def rows_bottom(self) -> int:
        return self.height() - self.LEGEND_HEIGHT

    # ------------------------------------------------------------ range

    def set_range(self, start_us: float, span_us: float, *, follow: bool | None = None, fitted: bool = False) -> None:
        """``fitted``: the span was widened for upcoming work, not chosen (see span_for_upcoming)."""
        self._span = min(MAX_SPAN, max(MIN_SPAN, span_us))
        if not fitted:
            self._base_span = self._span
        self._start = start_us
        if follow is not None and follow != self.follow_now:
            self.follow_now = follow
            self.follow_changed.emit(follow)
        start, end = self.visible_range()
        self.timeline.ensure_loaded(start, end, self._span / self.plot_width)
        self._update_ticking()
        self.range_changed.emit()
        self.update()

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom by ``factor`` (>1 zooms in) keeping the instant under ``anchor_x`` in place;
        while following now, the anchor is the now-line."""
        if self.follow_now:
            anchor_us = float(self.timeline.now_us())
        else:
            anchor_us = self.us_at(anchor_x if anchor_x is not None else self.plot_left + self.plot_width / 2)
        span = min(MAX_SPAN, max(MIN_SPAN, self._span / factor))
        self.auto_span = False
        fraction = (anchor_us - self._start) / self._span
        self.set_range(anchor_us - fraction * span, span)

    def pan(self, delta_us: float) -> None:
        self.set_range(self._start + delta_us, self._span, follow=False)

    def fit_all(self) -> None:
        lo, hi = self.timeline.extent()
        span = max(MIN_SPAN, (hi - lo) * 1.08)
        self.set_range(lo - (span - (hi - lo)) / 2, span, follow=False)

    def set_follow_now(self, on: bool) -> None:
        if on:
            span = self.span_for_upcoming(self._base_span) if self.auto_span else self._span
            self.set_range(self.timeline.now_us() - span * FOLLOW_AT, span, follow=True, fitted=self.auto_span)
        else:
            self.set_range(self._start, self._span, follow=False)

    def span_for_upcoming(self, base: float) -> float:
        """``base``, or more so that upcoming work is in view (see :func:`ui.timeline.future.span_for_upcoming`)."""
        return min(MAX_SPAN, future.span_for_upcoming(self.timeline, base))

    def next_beyond_view(self) -> tuple[int, str] | None:
        """The soonest upcoming work due after the visible range (what the edge marker shows)."""
        later = self.timeline.upcoming(self.visible_range()[1])
        return later[0] if later else None

    def bring_into_view(self, due_us: int) -> None:
        """Show ``due_us`` in the future part of the view, following now when it is ahead."""
        now = self.timeline.now_us()
        self.auto_span = False
        if due_us > now:
            span = (due_us - now) * 1.15 / (1 - FOLLOW_AT)
            self.set_range(now - span * FOLLOW_AT, span, follow=True)
        else:
            self.set_range(due_us - self._span / 2, self._span, follow=False)

    def _refresh(self) -> None:
        """Coalesced engine changes: widen the followed view for new upcoming work, repaint."""
        # Hidden (or closing, its engine perhaps gone): no reads; showEvent fits again.
        if self.follow_now and self.auto_span and self.isVisible():
            span = self.span_for_upcoming(self._base_span)
            if span != self._span:
                self.set_range(self.timeline.now_us() - span * FOLLOW_AT, span, fitted=True)
                return
        self.update()

    def set_filter(self, predicate: Callable[[Task], bool] | None) -> None:
        """Show only the tasks ``predicate`` accepts (the window's search and filters)."""
        self.timeline.set_filter(predicate)

    def select_task(self, task_id: str | None) -> None:
        """Highlight ``task_id``'s bars (from the table's selection; emits nothing)."""
        if task_id != self.selected_task:
            self.selected_task = task_id
            self.update()

    # ------------------------------------------------------------ the live clock

    def tick_interval_ms(self) -> int:
        """How long the now-line takes to move one pixel, within 16 ms .. 1 s."""
        return int(min(1000, max(16, self._span / self.plot_width / 1000)))

    def ticking(self) -> bool:
        return self._tick.isActive()

    def _update_ticking(self) -> None:
        start, end = self.visible_range()
        now = self.timeline.now_us()
        window = self.window()
        wanted = (
            self.isVisible()
            and not (window is not None and window.isMinimized())
            and (self.follow_now or start <= now <= end)
        )
        if wanted:
            interval = self.tick_interval_ms()
            if not self._tick.isActive() or self._tick.interval() != interval:
                self._tick.start(interval)
        else:
            self._tick.stop()

    def _on_tick(self) -> None:
        if self.follow_now:
            now = self.timeline.now_us()
            self._start = now - self._span * FOLLOW_AT
            start, end = self.visible_range()
            self.timeline.ensure_loaded(start, end, self._span / self.plot_width)
        self._update_ticking()
        self.update()

    def refresh_ticking(self) -> None:
        """The window was minimized or restored: start or stop the repaint timer."""
        self._update_ticking()

    def showEvent(self, event: object) -> None:  # noqa: N802
        if self.follow_now and self.auto_span:
            self._span = self.span_for_upcoming(self._base_span)
            self._start = self.timeline.now_us() - self._span * FOLLOW_AT
        self._update_ticking()
        start, end = self.visible_range()
        self.timeline.ensure_loaded(start, end, self._span / self.plot_width)

    def hideEvent(self, event: object) -> None:  # noqa: N802
        self._tick.stop()
        self._coalesce.stop()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._clamp_scroll()
        self._update_ticking()

    def _on_timeline_changed(self) -> None:
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _on_rows_changed(self) -> None:
        self._rows = self.timeline.rows()
        self._clamp_scroll()
        self.update()

    def _clamp_scroll(self) -> None:
        total = sum(self.LANE_HEIGHT if r.is_lane else self.ROW_HEIGHT for r in self._rows)
        room = self.rows_bottom() - (self.AXIS_HEIGHT + self.BAND_HEIGHT + 2)
        self._scroll = max(0, min(self._scroll, total - room))

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        try:
            self._painter.paint(painter, self.timeline.now_us())
        finally:
            painter.end()

    def colors(self) -> dict[str, QColor]:
        return style.outcome_colors(self.palette())

    def now_color(self) -> QColor:
        return QColor("#ff7a66") if style.is_dark(self.palette()) else QColor("#d93a26")

    def highlight_color(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    # ------------------------------------------------------------ hit testing

    def item_at(self, pos: QPoint) -> tuple[Row | None, Bar | None, tuple[int, str] | None]:
        """The row under ``pos`` and the bar or due marker there, if any (3 px of slack)."""
        return hover.item_at(self, pos)

    def hover_text(self, pos: QPoint) -> str | None:
        """The tooltip for ``pos``: a run's card, a due marker, a dense bucket, the edge marker."""
        return hover.hover_text(self, pos)

    # ------------------------------------------------------------ input

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.25**steps, event.position().x())
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.pan(-steps * self._span * 0.1)
        else:
            self._scroll -= int(steps * self.ROW_HEIGHT * 2)
            self._clamp_scroll()
            self.update()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.5)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(1 / 1.5)
        elif key == Qt.Key.Key_Left:
            self.pan(-self._span * 0.1)
        elif key == Qt.Key.Key_Right:
            self.pan(self._span * 0.1)
        elif key == Qt.Key.Key_Up:
            self._scroll -= self.ROW_HEIGHT
            self._clamp_scroll()
            self.update()
        elif key == Qt.Key.Key_Down:
            self._scroll += self.ROW_HEIGHT
            self._clamp_scroll()
            self.update()
        elif key == Qt.Key.Key_Home:
            self.fit_all()
        elif key == Qt.Key.Key_End:
            self.set_follow_now(True)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self._press_start = self._start
            self._dragged = False
        self.setFocus()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position().toPoint()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            dx = pos.x() - self._press.x()
            if self._dragged or abs(dx) > 3:
                self._dragged = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.set_range(self._press_start - dx * self._span / self.plot_width, self._span, follow=False)
            return
        tip = self.hover_text(pos)
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        self.unsetCursor()
        pos = event.position().toPoint()
        clicked = not self._dragged
        self._press = None
        if not clicked:
            return
        if self.edge_marker is not None and self.edge_marker[0].contains(pos):
            self.bring_into_view(self.edge_marker[1])
            return
        row, bar, marker = self.item_at(pos)
        if row is not None and pos.x() < self.plot_left:
            if row.is_lane:
                self.timeline.toggle(row.kind)
            elif row.task_id:
                self._select(row.task_id)
            return
        task_id = bar.task_id if bar else marker[1] if marker else None
        if task_id is not None:
            self._select(task_id)

    def _select(self, task_id: str) -> None:
        self.select_task(task_id)
        self.task_selected.emit(task_id)

