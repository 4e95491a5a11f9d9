"""What the pointer is over on the timeline, and the tooltip that tells about it: a
run's card, a due marker, a bucket of aggregates in a dense view, the "next: ..." edge
marker. The view's clicks use the same hit test (:func:`item_at`).

The texts keep the view's translation context ("TimelineView"), which is where they
were written first: the committed catalogue translates them under that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QPoint

from engine.clock import from_us
from engine.store.reads import OUTCOME_BY_SEVERITY
from ui import style
from ui import text as fmt
from ui.run_history import STOP_WORDS
from ui.timeline.bars import Bar, Row, RowKey

if TYPE_CHECKING:
    from ui.timeline.view import TimelineView


def item_at(view: TimelineView, pos: QPoint) -> tuple[Row | None, Bar | None, tuple[int, str] | None]:
    """The row under ``pos`` and the bar or due marker there, if any (3 px of slack)."""
    row = next((r for r, rect in view.row_rects() if rect.top() <= pos.y() <= rect.bottom()), None)
    if row is None or pos.x() < view.plot_left:
        return row, None, None
    slack = 3 * view.span / view.plot_width
    t = view.us_at(pos.x())
    now = view.timeline.now_us()
    finished, running = view.timeline.bars(row.key, int(t - slack), int(t + slack))
    for bar in [*running, *reversed(finished)]:
        bar_end = bar.end if bar.end is not None else now
        if bar.start - slack <= t <= bar_end + slack:
            return row, bar, None
    dues, ids = view.timeline.markers(row.key, int(t - slack), int(t + slack))
    if dues:
        return row, None, (dues[0], ids[0])
    return row, None, None


def hover_text(view: TimelineView, pos: QPoint) -> str | None:
    timeline = view.timeline
    now = from_us(timeline.now_us())
    if view.edge_marker is not None and view.edge_marker[0].contains(pos):
        _, due, task_id = view.edge_marker
        task = timeline.task(task_id)
        title = fmt.task_title(task) if task else task_id
        return _tr("<b>{title}</b><br>due {time} ({relative})<br>click to bring it into view").format(
            title=_esc(title), time=fmt.full_time(from_us(due)), relative=fmt.relative(from_us(due), now))
    row, bar, marker = item_at(view, pos)
    if bar is None and marker is None and row is not None and timeline.dense and pos.x() >= view.plot_left:
        cell = density_at(view, row.key, view.us_at(pos.x()))
        if cell is not None:
            count, bad, worst = cell
            runs = (_tr("1 run here") if count == 1 else _tr("{count} runs here")).format(count=count)
            return _tr("<b>{label}</b><br>{runs}, {bad} not succeeded; worst outcome: {worst}").format(
                label=_esc(row.label), runs=runs, bad=bad, worst=style.OUTCOME_LABELS.get(worst, worst))
    if bar is not None:
        task = timeline.task(bar.task_id)
        run = bar.run
        title = fmt.task_title(task) if task else bar.task_id
        kind = fmt.KIND_WORDS.get(task.kind.value, "") if task else ""
        lines = [_tr("<b>{title}</b> — {kind} · attempt {attempt}").format(
            title=_esc(title), kind=kind, attempt=run.attempt)]
        if bar.missed:
            lines.append(_tr("missed alarm due {time}").format(time=fmt.full_time(run.due_at)))
        else:
            lines.append(_tr("started {time}").format(time=fmt.full_time(run.started_at)))
            lines.append(_tr("ended {time}").format(time=fmt.full_time(run.ended_at)) if run.ended_at
                         else _tr("still running"))
            lines.append(_tr("duration {span}").format(span=fmt.duration(fmt.run_duration(run, now))))
        outcome = style.OUTCOME_LABELS.get(bar.color, bar.color)
        if bar.missed:
            outcome = STOP_WORDS["missed"]
        reason = STOP_WORDS.get(run.stop_reason.value, run.stop_reason.value) if run.stop_reason else ""
        lines.append(_tr("outcome: {outcome} ({reason})").format(outcome=outcome, reason=reason) if reason
                     else _tr("outcome: {outcome}").format(outcome=outcome))
        if run.detail:
            lines.append(_esc(run.detail))
        return "<br>".join(lines)
    if marker is not None:
        due, task_id = marker
        task = timeline.task(task_id)
        title = fmt.task_title(task) if task else task_id
        return _tr("<b>{title}</b><br>due {time} ({relative})").format(
            title=_esc(title), time=fmt.full_time(from_us(due)), relative=fmt.relative(from_us(due), now))
    return None


def density_at(view: TimelineView, key: RowKey, t: float) -> tuple[int, int, str] | None:
    """Runs and worst outcome in the pixel-wide bucket under ``t`` (3 px of slack)."""
    grid = view.timeline.density.grid
    if grid is None:
        return None
    bucket = int(t) // grid.bucket_us
    cells = view.timeline.density_cells(grid, key, bucket - 3, bucket + 3)
    if not cells:
        return None
    _, (count, bad, severity, _end) = min(cells, key=lambda c: abs(c[0] - bucket))
    return count, bad, OUTCOME_BY_SEVERITY[severity]


def _esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tr(source: str) -> str:
    """The tooltips' words, in the view's context (see the module's docstring)."""
    return QCoreApplication.translate("TimelineView", source)


# The tooltips' words, for extraction: _tr translates them by value.
_WORDS = (
    QT_TRANSLATE_NOOP("TimelineView", "<b>{title}</b><br>due {time} ({relative})<br>click to bring it into view"),
    QT_TRANSLATE_NOOP("TimelineView", "1 run here"),
    QT_TRANSLATE_NOOP("TimelineView", "{count} runs here"),
    QT_TRANSLATE_NOOP("TimelineView", "<b>{label}</b><br>{runs}, {bad} not succeeded; worst outcome: {worst}"),
    QT_TRANSLATE_NOOP("TimelineView", "<b>{title}</b> — {kind} · attempt {attempt}"),
    QT_TRANSLATE_NOOP("TimelineView", "missed alarm due {time}"),
    QT_TRANSLATE_NOOP("TimelineView", "started {time}"),
    QT_TRANSLATE_NOOP("TimelineView", "ended {time}"),
    QT_TRANSLATE_NOOP("TimelineView", "still running"),
    QT_TRANSLATE_NOOP("TimelineView", "duration {span}"),
    QT_TRANSLATE_NOOP("TimelineView", "outcome: {outcome} ({reason})"),
    QT_TRANSLATE_NOOP("TimelineView", "outcome: {outcome}"),
    QT_TRANSLATE_NOOP("TimelineView", "<b>{title}</b><br>due {time} ({relative})"),
)
