"""Windows lie fully on a screen that exists now: a restored geometry from a bigger
screen, a window placed past the bottom edge, the reminder window, the quit prompt."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

from ui.on_screen import StayOnScreen, clamp_rect, fit_on_screen
from ui.reminder_window import ReminderWindow


def _available() -> QRect:
    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    return screen.availableGeometry()


def test_clamp_rect_shrinks_and_moves_inside() -> None:
    area = QRect(0, 0, 1600, 1000)
    assert clamp_rect(QRect(100, 848, 300, 167), area) == QRect(100, 833, 300, 167)  # the clipped reminder
    assert clamp_rect(QRect(-50, -20, 2560, 1720), area) == QRect(0, 0, 1600, 1000)  # a 2x-scale geometry
    assert clamp_rect(QRect(1700, 1200, 200, 100), area) == QRect(1400, 900, 200, 100)  # a screen now gone
    assert clamp_rect(QRect(10, 10, 200, 100), area) == QRect(10, 10, 200, 100)  # on screen: unchanged


def test_a_window_restored_too_big_and_off_screen_is_fitted_when_shown(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    StayOnScreen(window)
    area = _available()
    window.setGeometry(area.right() + 500, area.bottom() + 500, area.width() * 2, area.height() * 2)
    window.show()
    qtbot.waitUntil(lambda: area.contains(window.frameGeometry()))
    assert window.width() <= area.width() and window.height() <= area.height()


def test_fit_on_screen_counts_a_title_bar_before_the_first_show(qtbot: Any) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    area = _available()
    widget.setGeometry(area.x() + 10, area.y(), 200, 100)  # the title bar would be above the screen
    assert fit_on_screen(widget)
    assert widget.geometry().y() >= area.y()


def test_the_reminder_window_opens_on_the_screen(qtbot: Any) -> None:
    from tests.ui.reminder_fakes import FakeReminder

    window = ReminderWindow()
    qtbot.addWidget(window)
    window.move(_available().right() - 10, _available().bottom() - 10)  # where a previous one was left
    window.hide()
    window.add(FakeReminder("t1", "Check the oven " * 20, None, None))
    qtbot.waitUntil(window.isVisible)
    assert _available().contains(window.frameGeometry())
    assert _available().contains(window.dismiss_button.mapToGlobal(window.dismiss_button.rect().bottomRight()))
