"""The window's behaviour on a plain QMainWindow: show, hide, minimize and close move the
lifecycle's state; close hides to the tray with a one-time message; Quit asks about
running tasks and each answer does what it says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox, QPushButton, QSystemTrayIcon, QWidget

from engine.clock import FakeClock
from engine.lifecycle import AppState, Lifecycle
from engine.model import Kind, Outcome, State, StopReason
from tests.ui.fake_engine import FakeEngine
from ui.settings import Settings
from ui.window_behaviour import QuitChoice, WindowBehaviour, close_balloons_after


class Harness:
    def __init__(self, qtbot: Any, clock: FakeClock, tmp_path: Path, *, tray_available: bool = True) -> None:
        self.engine = FakeEngine(clock)
        self.lifecycle = Lifecycle(clock)
        self.lifecycle.attach(self.engine)
        self.settings = Settings.at(tmp_path / "s.ini")
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        self.quits: list[bool] = []
        self.tray = QSystemTrayIcon()
        self.behaviour = WindowBehaviour(
            self.window, engine=self.engine, lifecycle=self.lifecycle, settings=self.settings, tray=self.tray,
            tray_available=tray_available, quit_app=lambda: self.quits.append(True),
        )

    def prompt_button(self, choice: QuitChoice) -> QPushButton:
        shown = [b for b in self.window.findChildren(QMessageBox, "quitPrompt") if b.isVisible()]
        assert len(shown) == 1, "no quit prompt is showing"
        box = shown[0]
        button = box.findChild(QPushButton, f"quit_{choice.value}")
        assert button is not None
        return button


@pytest.fixture
def h(qtbot: Any, clock: FakeClock, tmp_path: Path) -> Harness:
    return Harness(qtbot, clock, tmp_path)


def test_show_minimize_restore_hide_move_the_state(h: Harness, qtbot: Any) -> None:
    states: list[str] = []
    h.lifecycle.state_changed.connect(states.append)
    h.window.show()
    qtbot.waitUntil(lambda: h.lifecycle.visible)
    h.window.showMinimized()
    qtbot.waitUntil(lambda: h.lifecycle.state is AppState.BACKGROUND)
    h.window.showNormal()
    qtbot.waitUntil(lambda: h.lifecycle.visible)
    h.window.hide()
    assert h.lifecycle.background
    assert states == ["visible", "background", "visible", "background"]


def test_close_hides_to_the_tray_and_says_so_once(h: Harness, qtbot: Any) -> None:
    h.window.show()
    qtbot.waitUntil(lambda: h.lifecycle.visible)
    with qtbot.waitSignal(h.behaviour.hidden_to_tray) as first:
        assert h.window.close() is False  # refused: hidden instead
    assert first.args == [True] and h.settings.close_message_shown
    assert not h.window.isVisible() and h.lifecycle.background and h.quits == []
    h.behaviour.show_window()
    assert h.lifecycle.visible
    with qtbot.waitSignal(h.behaviour.hidden_to_tray) as second:
        h.window.close()
    assert second.args == [False]  # the message is not repeated


def test_close_to_tray_off_or_no_tray_means_quit(qtbot: Any, clock: FakeClock, tmp_path: Path) -> None:
    h = Harness(qtbot, clock, tmp_path, tray_available=False)
    h.window.show()
    h.window.close()
    assert h.quits == [True] and h.engine.stopped


def test_keep_running_task_started_while_visible_keeps_the_app_in_the_foreground(h: Harness, qtbot: Any) -> None:
    h.window.show()
    qtbot.waitUntil(lambda: h.lifecycle.visible)
    task = h.engine.add(("sleep", "60"), Kind.IMMEDIATE)
    h.engine.start(task.id)
    h.window.close()
    assert h.lifecycle.state is AppState.FOREGROUND
    h.engine.finish(task.id)
    assert h.lifecycle.state is AppState.BACKGROUND


def test_quit_with_nothing_running_quits_at_once(h: Harness) -> None:
    h.engine.add(("later",), Kind.DEFERRED)
    h.behaviour.quit_action.trigger()
    assert h.quits == [True] and h.engine.stopped
    assert h.engine.tasks(state=State.ENQUEUED)  # the waiting task is still there


def _two_running(h: Harness, qtbot: Any) -> tuple[str, str]:
    h.window.show()
    a = h.engine.add(("sleep", "60"))
    b = h.engine.add(("sleep", "90"))
    h.engine.start(a.id)
    h.engine.start(b.id)
    with qtbot.waitSignal(h.behaviour.quit_prompted):
        h.behaviour.quit_action.trigger()
    return a.id, b.id


def test_quit_prompt_stop_resumes_at_next_start(h: Harness, qtbot: Any) -> None:
    a, b = _two_running(h, qtbot)
    h.prompt_button(QuitChoice.STOP).click()
    assert h.quits == [True] and h.engine.stopped
    # Recorded as interrupted and back in the queue: the next start runs them again.
    assert {t.id for t in h.engine.tasks(state=State.ENQUEUED)} == {a, b}


def test_quit_prompt_cancel_cancels_them(h: Harness, qtbot: Any) -> None:
    a, b = _two_running(h, qtbot)
    finished: list[Any] = []
    h.engine.run_finished.connect(finished.append)
    h.prompt_button(QuitChoice.CANCEL).click()
    assert h.quits == [True] and sorted(h.engine.cancelled) == sorted([a, b])
    assert {t.id for t in h.engine.tasks(state=State.CANCELLED)} == {a, b}
    assert {r.outcome for r in finished} == {Outcome.CANCELLED}
    assert {r.stop_reason for r in finished} == {StopReason.CANCELLED_BY_USER}


def test_quit_prompt_finish_waits_for_the_last_one(h: Harness, qtbot: Any) -> None:
    a, b = _two_running(h, qtbot)
    h.prompt_button(QuitChoice.FINISH).click()
    assert h.quits == [] and not h.window.isVisible()
    assert h.engine.dispatcher.paused  # no new deferred work starts while we wait
    with qtbot.waitSignal(h.behaviour.waiting_to_quit) as waiting:
        h.engine.finish(a)
    assert waiting.args == [1] and h.quits == []
    h.engine.finish(b)
    assert h.quits == [True]
    assert {t.id for t in h.engine.tasks(state=State.SUCCEEDED)} == {a, b}


def test_quit_prompt_dont_quit_and_escape_change_nothing(h: Harness, qtbot: Any) -> None:
    a, b = _two_running(h, qtbot)
    h.prompt_button(QuitChoice.ABORT).click()
    qtbot.waitUntil(lambda: h.behaviour.prompt is None)
    assert h.quits == [] and not h.engine.stopped and h.engine.running_count() == 2
    with qtbot.waitSignal(h.behaviour.quit_prompted) as prompted:
        h.behaviour.request_quit()
    box = prompted.args[0]
    assert box.escapeButton() is h.prompt_button(QuitChoice.ABORT)
    assert box.defaultButton() is h.prompt_button(QuitChoice.FINISH)
    box.reject()
    assert h.quits == [] and h.engine.running_count() == 2


def test_the_window_and_its_quit_prompt_lie_on_the_screen(h: Harness, qtbot: Any) -> None:
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    assert screen is not None
    area = screen.availableGeometry()
    # A geometry saved on a bigger screen (or at another scale), restored here.
    h.window.setGeometry(area.right() - 100, area.bottom() - 50, area.width() * 2, area.height() * 2)
    _two_running(h, qtbot)
    qtbot.waitUntil(lambda: area.contains(h.window.frameGeometry()))
    prompt = h.behaviour.prompt
    assert prompt is not None
    qtbot.waitUntil(lambda: prompt.isVisible() and area.contains(prompt.frameGeometry()))
    h.prompt_button(QuitChoice.ABORT).click()


def test_showing_the_window_while_finish_waits_calls_the_quit_off(h: Harness, qtbot: Any) -> None:
    # Seen under Xvfb: after "Let it finish", the tray's Show (or a second start) brought
    # the window back as if nothing were pending: deferred work stayed paused with Pause
    # unchecked, Quit did nothing, and the window vanished when the run ended.
    a, b = _two_running(h, qtbot)
    h.prompt_button(QuitChoice.FINISH).click()
    assert h.engine.dispatcher.paused and not h.window.isVisible()
    h.behaviour.show_window()
    assert h.window.isVisible() and not h.engine.dispatcher.paused
    h.engine.finish(a)
    h.engine.finish(b)
    assert h.quits == [] and not h.engine.stopped
    c = h.engine.add(("sleep", "30"))
    h.engine.start(c.id)
    with qtbot.waitSignal(h.behaviour.quit_prompted):  # Quit asks again
        h.behaviour.quit_action.trigger()
    h.prompt_button(QuitChoice.STOP).click()
    assert h.quits == [True]


def test_a_pause_from_before_finish_waited_stays_when_the_quit_is_called_off(h: Harness, qtbot: Any) -> None:
    h.engine.dispatcher.paused = True  # the user paused deferred work earlier
    _two_running(h, qtbot)
    h.prompt_button(QuitChoice.FINISH).click()
    h.behaviour.show_window()
    assert h.engine.dispatcher.paused


class QBalloonTip(QWidget):
    """Stands in for Qt's private balloon: found the same way, by its class name."""


def test_a_tray_balloon_left_up_closes_once_the_pointer_is_off_it(qtbot: Any) -> None:
    # Seen under Xvfb: Qt checks the pointer once, at the message's timeout; a balloon
    # with the pointer on it then stayed up until clicked, over the tray icon.
    tip = QBalloonTip()
    qtbot.addWidget(tip)
    tip.show()
    tip.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)  # the pointer on it at the timeout
    parent = QWidget()
    qtbot.addWidget(parent)
    timer = close_balloons_after(10, parent)
    with qtbot.waitSignal(timer.timeout, timeout=3_000):  # its first sweep, after Qt's own check
        pass
    assert tip.isVisible() and timer.isActive()  # read while the pointer is on it
    tip.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)  # the pointer leaves
    qtbot.waitUntil(lambda: not tip.isVisible(), timeout=3_000)
