"""What lies ahead on the timeline: the future part of a view that follows now, and the
"next: ..." marker for upcoming work beyond the view.

While following now, the now-line sits at :data:`FOLLOW_AT` of the plot's width and the
rest shows the future, where alarms and waiting work are drawn; the span widens (up to
:data:`FUTURE_HORIZON` ahead) so the next alarm and the next due deferred task are in
view. Work due later is named by a marker at the right edge; the view's hover
(:mod:`ui.timeline.hover`) and click read where it was last drawn from ``view.edge_marker``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette, QPen

from ui import text
from ui.timeline.axis import SECOND, local_datetime
from ui.timeline.model import Timeline

if TYPE_CHECKING:
    from ui.timeline.view import TimelineView

#: Where the now-line sits while following now (fraction of the plot's width): a third
#: of the view is the future, where alarms and waiting work are drawn.
FOLLOW_AT = 2 / 3
#: Work due further ahead than this does not widen the view; the edge marker points to it.
FUTURE_HORIZON = 2 * 3600 * SECOND


def span_for_upcoming(timeline: Timeline, base: float) -> float:
    """``base``, or more so that the next alarm and the next due deferred task (within
    :data:`FUTURE_HORIZON`) fall inside the future part of a view that follows now."""
    now = timeline.now_us()
    needed = 0.0
    seen: set[object] = set()
    for due, task_id in timeline.upcoming(now):
        if due - now > FUTURE_HORIZON:
            break
        task = timeline.task(task_id)
        kind = task.kind if task else None
        if kind in seen:
            continue
        seen.add(kind)
        needed = (due - now) * 1.15 / (1 - FOLLOW_AT)
    return max(base, needed)


def edge_marker_layout(view: TimelineView, fm: QFontMetrics) -> tuple[QRect, str, int, str] | None:
    """Where the "next: 14:30 backup ▸" marker goes at the right edge, its words, and the
    due time and task it names; None when no upcoming work lies beyond the view. Laid out
    before the axis is painted, so the axis leaves out a label the marker would cover."""
    nxt = view.next_beyond_view()
    if nxt is None:
        return None
    due, task_id = nxt
    task = view.timeline.task(task_id)
    title = text.task_title(task) if task else task_id
    # The painter's context, as before this moved here: the catalogue's translations stay.
    words = QCoreApplication.translate("TimelinePainter", "next: {time} {title} ▸")
    label = fm.elidedText(words.format(time=local_datetime(due).strftime("%H:%M"), title=title),
                          Qt.TextElideMode.ElideRight, max(60, view.plot_width // 2))
    w = fm.horizontalAdvance(label) + 12
    return QRect(view.width() - w - 2, 2, w, view.AXIS_HEIGHT - 4), label, due, task_id


def paint_edge_marker(p: QPainter, view: TimelineView, pal: QPalette,
                      layout: tuple[QRect, str, int, str] | None) -> None:
    """The marker :func:`edge_marker_layout` placed, if any."""
    view.edge_marker = None
    if layout is None:
        return
    rect, label, due, task_id = layout
    p.fillRect(rect, pal.color(QPalette.ColorRole.Window))
    p.setPen(QPen(view.highlight_color(), 1))
    p.drawRect(rect.adjusted(0, 0, -1, -1))
    p.setPen(pal.color(QPalette.ColorRole.WindowText))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
    view.edge_marker = (rect, due, task_id)
