"""Icons and colours: SVG icons from resources/icons, outcome colours derived from the palette.

Colours are picked per palette so that each outcome stays readable on light and on
dark themes: the same hue, lighter on a dark window, deeper on a light one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QColor, QIcon, QPalette

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
