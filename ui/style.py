"""Icons and colours: SVG icons from resources/icons, outcome colours derived from the palette.

Colours are picked per palette so that each outcome stays readable on light and on
dark themes: the same hue, lighter on a dark window, deeper on a light one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from PySide6.QtCore import QT_TRANSLATE_NOOP, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF

from engine.model import Kind, Outcome
from ui.resource_files import resource_path
from ui.text import Words

#: Hues (degrees) and saturations per outcome; lightness comes from the palette.
_OUTCOME_HUES: dict[str, tuple[int, int]] = {
    Outcome.SUCCEEDED.value: (140, 150),
    Outcome.FAILED.value: (4, 190),
    Outcome.TIMED_OUT.value: (300, 150),
    Outcome.INTERRUPTED.value: (35, 200),
    Outcome.CANCELLED.value: (210, 20),
    "running": (212, 200),
    "missed": (4, 190),
}

#: How a run ended, as a person reads it (translated when looked up).
OUTCOME_LABELS: Mapping[str, str] = Words({
    Outcome.SUCCEEDED.value: QT_TRANSLATE_NOOP("Words", "succeeded"),
    Outcome.FAILED.value: QT_TRANSLATE_NOOP("Words", "failed"),
    Outcome.TIMED_OUT.value: QT_TRANSLATE_NOOP("Words", "timed out"),
    Outcome.INTERRUPTED.value: QT_TRANSLATE_NOOP("Words", "interrupted"),
    Outcome.CANCELLED.value: QT_TRANSLATE_NOOP("Words", "cancelled"),
    "running": QT_TRANSLATE_NOOP("Words", "running"),
})


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons/NAME.svg (scalable: sharp at any device pixel ratio)."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def kind_icon(kind: Kind) -> QIcon:
    return icon(kind.value)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def outcome_color(key: str, palette: QPalette) -> QColor:
    """The fill colour of a bar for an outcome value, "running" or "missed"."""
    hue, sat = _OUTCOME_HUES.get(key, (0, 0))
    lightness = 150 if is_dark(palette) else 105
    return QColor.fromHsl(hue, sat, lightness)


def outcome_colors(palette: QPalette) -> dict[str, QColor]:
    return {key: outcome_color(key, palette) for key in _OUTCOME_HUES}


#: The sizes an outcome icon is drawn at: 16 px rows at 1x, 2x and 3x scale.
_ICON_SIZES = (16, 32, 48)


@cache
def outcome_icon(key: str) -> QIcon:
    """A shape per outcome, so no outcome is told by colour alone: a tick (succeeded), a
    warning triangle (failed), a clock (timed out), a pause sign (interrupted), a struck
    circle (cancelled), a play sign (running). Drawn, not read from a file: crisp at any
    scale, and the same for every theme (the shapes carry the meaning)."""
    icon = QIcon()
    color = outcome_color(key, QPalette())
    for size in _ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        _draw_outcome(p, key, color)
        p.end()
        icon.addPixmap(pixmap)
    return icon


def _draw_outcome(p: QPainter, key: str, color: QColor) -> None:
    white = QPen(QColor("white"), 2.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    ring = QPen(color, 2.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    disc = QRectF(3, 3, 18, 18)
    if key == "failed":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawPolygon(QPolygonF([QPointF(12, 2.5), QPointF(22, 20.5), QPointF(2, 20.5)]))
        p.setPen(white)
        p.drawLine(QPointF(12, 9), QPointF(12, 13.5))
        p.drawPoint(QPointF(12, 17.3))
    elif key in ("timed_out", "cancelled"):
        p.setPen(ring)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(disc)
        if key == "timed_out":
            p.drawPolyline(QPolygonF([QPointF(12, 7), QPointF(12, 12.5), QPointF(15.5, 15)]))
        else:
            p.drawLine(QPointF(6.5, 17.5), QPointF(17.5, 6.5))
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawEllipse(disc)
        p.setPen(white)
        if key == "succeeded":
            p.drawPolyline(QPolygonF([QPointF(7.5, 12.5), QPointF(10.5, 15.5), QPointF(16.5, 8.5)]))
        elif key == "interrupted":
            p.drawLine(QPointF(9.5, 8), QPointF(9.5, 16))
            p.drawLine(QPointF(14.5, 8), QPointF(14.5, 16))
        else:  # running
            p.setBrush(QColor("white"))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon(QPolygonF([QPointF(10, 7.5), QPointF(16.5, 12), QPointF(10, 16.5)]))
