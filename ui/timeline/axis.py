"""The timeline's time axis: ticks at round local times with their labels, and under
it the band of when the window was visible or in the background.

Ticks are aligned to local time (a tick at local midnight reads as the day), so the
zone's offset at the view's start shifts the grid.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette

from engine.clock import from_us
from ui.text import local_zone

if TYPE_CHECKING:
    from ui.timeline.view import TimelineView

SECOND = 1_000_000
#: Tick steps in seconds: the first that leaves >= 90 px between ticks is used.
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
          86400, 172800, 604800, 1209600)
#: Pixels kept free between an axis label and the "next: ..." marker.
AVOID_GAP = 4


def local_offset_us(at_us: int) -> int:
    """The local zone's UTC offset at an instant, for aligning ticks to local time."""
    offset = from_us(at_us).astimezone(local_zone()).utcoffset() or timedelta(0)
    return int(offset.total_seconds() * SECOND)


def local_datetime(at_us: int) -> datetime:
    return from_us(at_us).astimezone(local_zone())


def paint_axis(p: QPainter, view: TimelineView, pal: QPalette, start: int, end: int, bottom: int,
               avoid: QRect | None = None) -> None:
    """Ticks and their labels across the plot, grid lines down to ``bottom``, and the
    band's title in the label column. A label that would run under ``avoid`` (the "next:
    ..." marker, painted over the axis) is left out whole: half a time reads as another
    time. The labels drawn are kept in ``view.axis_labels``."""
    px_per_s = view.plot_width / ((end - start) / SECOND)
    step = next((s for s in _STEPS if s * px_per_s >= 90), _STEPS[-1]) * SECOND
    offset = local_offset_us(start)
    first = math.ceil((start + offset) / step) * step - offset
    grid = QColor(pal.color(QPalette.ColorRole.Text))
    grid.setAlpha(28)
    text_pen = pal.color(QPalette.ColorRole.Text)
    fm = QFontMetrics(p.font())
    view.axis_labels = []
    tick = first
    while tick <= end:
        x = round(view.x_for(tick))
        local = local_datetime(tick)
        if step < 60 * SECOND:
            label = local.strftime("%H:%M:%S")
        elif step < 86400 * SECOND:
            label = local.strftime("%a %d %b" if (local.hour, local.minute) == (0, 0) else "%H:%M")
        else:
            label = local.strftime("%a %d %b")
        # fillRect, not drawLine: the raster engine's fast path (drawLine measured 1 ms a line).
        p.fillRect(x, view.AXIS_HEIGHT - 4, 1, bottom - view.AXIS_HEIGHT + 4, grid)
        tick += step
        box = QRect(x + 3, view.AXIS_HEIGHT - 7 - fm.ascent(), fm.horizontalAdvance(label), fm.height())
        if avoid is not None and box.right() + AVOID_GAP >= avoid.left() and box.left() <= avoid.right():
            continue
        if box.right() >= view.width():  # cut by the edge: "00:06" read "00:0" (Xvfb)
            continue
        p.setPen(text_pen)
        p.drawText(x + 3, view.AXIS_HEIGHT - 7, label)
        view.axis_labels.append((box, label))
    p.setPen(pal.color(QPalette.ColorRole.Mid))
    p.drawLine(0, view.AXIS_HEIGHT, view.width(), view.AXIS_HEIGHT)
    p.setPen(text_pen)
    # The painter's context, as before this moved here: the catalogue's translations stay.
    p.drawText(QRect(6, 0, view.plot_left - 8, view.AXIS_HEIGHT), Qt.AlignmentFlag.AlignVCenter,
               QCoreApplication.translate("TimelinePainter", "visible / background"))


def paint_band(p: QPainter, view: TimelineView, pal: QPalette, start: int, end: int) -> None:
    """When the window was visible and when in the background, under the axis."""
    y = view.AXIS_HEIGHT + 1
    visible = band_color(pal, True)
    background = band_color(pal, False)
    for at, until, is_visible in view.timeline.visibility_segments(start, end):
        x1 = max(view.plot_left, round(view.x_for(at)))
        x2 = min(view.width(), round(view.x_for(until)))
        if x2 > x1:
            p.fillRect(x1, y, x2 - x1, view.BAND_HEIGHT, visible if is_visible else background)


def band_color(pal: QPalette, visible: bool) -> QColor:
    if visible:
        color = QColor(pal.color(QPalette.ColorRole.Highlight))
        color.setAlpha(150)
    else:
        color = QColor(pal.color(QPalette.ColorRole.Mid))
        color.setAlpha(110)
    return color
