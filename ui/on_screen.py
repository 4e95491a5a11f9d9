"""Every window Workdeck opens lies fully on a screen that exists now.

A saved geometry comes from another monitor layout or scale (2560x1720 restored on a
1600x1000 screen at 2x), and a window manager may place a small window near the bottom
edge: :func:`fit_on_screen` shrinks a window to the available area of the screen it is
mostly on (else the primary screen) and moves it inside, frame included.
:class:`StayOnScreen` does that whenever the window is shown, and once more after the
window manager framed it (the frame's size is known only then).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QTimer
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: A title bar's height before the window manager has framed the window (so it is
#: counted when a window is fitted before it is first shown).
UNFRAMED_TITLE = 32


def clamp_rect(frame: QRect, available: QRect) -> QRect:
    """``frame`` shrunk to ``available``'s size at most and moved inside it."""
    width, height = min(frame.width(), available.width()), min(frame.height(), available.height())
    x = min(max(frame.x(), available.x()), available.x() + available.width() - width)
    y = min(max(frame.y(), available.y()), available.y() + available.height() - height)
    return QRect(x, y, width, height)


def screen_for(rect: QRect) -> QScreen | None:
    """The screen showing most of ``rect``; the primary one when none shows any of it."""
    best, area = None, 0
    for screen in QGuiApplication.screens():
        common = screen.geometry().intersected(rect)
        if common.width() * common.height() > area:
            best, area = screen, common.width() * common.height()
    return best or QGuiApplication.primaryScreen()


def fit_on_screen(window: QWidget) -> bool:
    """Fit ``window`` (frame included) on a screen; True if it had to move or shrink."""
    frame, inner = window.frameGeometry(), window.geometry()
    left, top = inner.x() - frame.x(), inner.y() - frame.y()
    right, bottom = frame.right() - inner.right(), frame.bottom() - inner.bottom()
    if frame == inner and not window.isVisible():
        top = UNFRAMED_TITLE
        frame = inner.adjusted(0, -top, 0, 0)
    screen = screen_for(frame)
    if screen is None:
        return False
    target = clamp_rect(frame, screen.availableGeometry())
    if target == frame:
        return False
    width = max(target.width() - left - right, window.minimumWidth())
    height = max(target.height() - top - bottom, window.minimumHeight())
    if (width, height) != (inner.width(), inner.height()):
        window.resize(width, height)
    window.move(target.x(), target.y())  # a top-level window's pos() is its frame's
    return True


class StayOnScreen(QObject):
    """Fits its window on a screen each time it is shown, and when the window manager
    moves or frames it in the moment after (SETTLE_MS). Parented to the window; a
    window the user drags partly off the screen later is left where they put it."""

    SETTLE_MS = 500

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._settling = QTimer(self)
        self._settling.setSingleShot(True)
        self._settling.setInterval(self.SETTLE_MS)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not getattr(self, "_window", None):
            return False
        kind = event.type()
        if kind == QEvent.Type.Show:
            fit_on_screen(self._window)
            self._settling.start()
        elif kind in (QEvent.Type.Move, QEvent.Type.Resize) and self._settling.isActive():
            QTimer.singleShot(0, self, self._refit)
        elif kind == QEvent.Type.Hide:
            self._settling.stop()
        return False

    def _refit(self) -> None:
        if self._window.isVisible():
            fit_on_screen(self._window)


__all__ = ["StayOnScreen", "clamp_rect", "fit_on_screen", "screen_for"]
