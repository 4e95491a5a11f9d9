"""The live timeline: lanes of runs over time, the future with its due work, and the
visible/background band.

- :mod:`~ui.timeline.bars`: a run as drawn (``Bar``), rows and their keys, and each
  row's index of bars sorted by start with its pixel strip.
- :mod:`~ui.timeline.model`: ``Timeline``, what is shown, fed by the engine's signals
  and range reads; the rows, due markers and upcoming work.
- :mod:`~ui.timeline.density`: per-pixel aggregates, read off the UI thread, for a
  range that holds more runs than pixels.
- :mod:`~ui.timeline.view`: ``TimelineView``, the widget: range, zoom, pan, follow now,
  the live repaint timer, input.
- :mod:`~ui.timeline.hover`: hit tests and tooltips.
- :mod:`~ui.timeline.future`: the future part of a view that follows now and the
  "next: ..." marker for work beyond it.
- :mod:`~ui.timeline.axis`: ticks at local times and the visible/background band.
- :mod:`~ui.timeline.paint`: ``TimelinePainter``, the rows, bars, markers and legend.

The names other modules use are importable from here.
"""

from __future__ import annotations

from ui.timeline.bars import Bar, Row, RowKey, lane_key, task_key
from ui.timeline.future import FOLLOW_AT
from ui.timeline.model import Timeline
from ui.timeline.paint import TimelinePainter
from ui.timeline.view import MAX_SPAN, MIN_SPAN, TimelineView

__all__ = ["FOLLOW_AT", "MAX_SPAN", "MIN_SPAN", "Bar", "Row", "RowKey", "Timeline", "TimelinePainter",
           "TimelineView", "lane_key", "task_key"]
