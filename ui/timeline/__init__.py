"""The live timeline: its model (:mod:`~ui.timeline.model`), the per-pixel aggregates
of dense ranges (:mod:`~ui.timeline.density`), the widget (:mod:`~ui.timeline.view`)
and its painter (:mod:`~ui.timeline.paint`).

The names other modules use are importable from here.
"""

from __future__ import annotations

from ui.timeline.model import Bar, Row, RowKey, Timeline, lane_key, task_key
from ui.timeline.paint import TimelinePainter
from ui.timeline.view import FOLLOW_AT, MAX_SPAN, MIN_SPAN, TimelineView

__all__ = ["FOLLOW_AT", "MAX_SPAN", "MIN_SPAN", "Bar", "Row", "RowKey", "Timeline", "TimelinePainter",
           "TimelineView", "lane_key", "task_key"]
