"""The desktop shell wired to the real engine: tray menu from real runs, the New
reminder dialog, reminders reaching the fallback window, settings applied."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMainWindow

from engine.clock import FakeClock
from engine.engine import Engine, Reminder
from engine.model import Kind, State, TaskSpec
from tests.ui import ui_targets
from ui.autostart import Autostart
from ui.desktop import DesktopShell
from ui.settings import Settings
from ui.window_behaviour import QuitChoice


@pytest.fixture
def engine(real_engine: Engine) -> Engine:
    return real_engine


@pytest.fixture
def shell(engine: Engine, tmp_path: Path, qtbot: Any, qapp: QApplication) -> Iterator[DesktopShell]:
    window = QMainWindow()
    qtbot.addWidget(window)
    settings = Settings.at(tmp_path / "s.ini", data_location=tmp_path / "w.db")
    settings.max_parallel = 1
    autostart = Autostart(["workdeck", "--hidden"], platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path)},
                          home=tmp_path)
    before = qapp.quitOnLastWindowClosed()
    desk = DesktopShell(engine, window, settings=settings, autostart=autostart, tray_available=False)
    yield desk
    qapp.setQuitOnLastWindowClosed(before)
    desk.reminders.window.close()


def test_shell_shows_the_window_and_applies_settings(shell: DesktopShell, engine: Engine, qapp: Any,
                                                     tmp_path: Path) -> None:
    assert shell.window.isVisible() and shell.lifecycle.visible
    assert qapp.quitOnLastWindowClosed() is False
    assert engine.dispatcher.max_deferred == 1
    shell.settings.start_at_login = True
    assert (tmp_path / "autostart" / "workdeck.desktop").exists()


def test_tray_menu_lists_a_real_running_task(shell: DesktopShell, engine: Engine, qtbot: Any) -> None:
    task = engine.enqueue(TaskSpec(worker="python", args=("tests.ui.ui_targets:until_released",),
                                   kind=Kind.IMMEDIATE, name="long job"))
    qtbot.waitUntil(lambda: task.id in shell.tray_menu.running_actions)
    qtbot.waitUntil(lambda: shell.tray_menu.running_actions[task.id].text() == "long job — 25% — waiting")
    ui_targets.release.set()
    qtbot.waitUntil(lambda: not shell.tray_menu.running_actions)
    assert engine.task(task.id).state is State.SUCCEEDED


def test_new_reminder_dialog_enqueues_an_exact_reminder(shell: DesktopShell, engine: Engine, clock: FakeClock,
                                                        qtbot: Any) -> None:
    dialog = shell.new_reminder()
    dialog.message.setText("Water the plants")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.created is not None
    task = engine.task(dialog.created.id)
    assert task.kind is Kind.EXACT and task.spec.worker == "reminder" and task.spec.args == ("Water the plants",)
    assert task.next_run_at is not None and task.next_run_at > clock.now()
    assert any(a.text().endswith("Water the plants") for a in shell.tray_menu.alarm_actions)


def test_new_reminder_refuses_an_empty_message(shell: DesktopShell, engine: Engine) -> None:
    dialog = shell.new_reminder()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.created is None and dialog.isVisible() and not dialog.error.isHidden()
    assert engine.tasks(kind=Kind.EXACT) == []
    dialog.reject()


def test_engine_reminder_reaches_the_fallback_window(shell: DesktopShell, engine: Engine, clock: FakeClock) -> None:
    engine.reminder.emit(Reminder("t1", "Stretch", clock.now() - timedelta(seconds=1), clock.now()))
    assert shell.reminders.window.isVisible()
    assert shell.reminders.window.message.text() == "Stretch"


def test_the_window_comes_back_as_the_user_left_it(engine: Engine, tmp_path: Path, qtbot: Any,
                                                   qapp: QApplication) -> None:
    """Size, splitters, table columns and the timeline's zoom are saved when the window
    closes (to the tray, or at quit) and restored before it next shows."""
    from ui.main_window import MainWindow

    before = qapp.quitOnLastWindowClosed()
    settings = Settings.at(tmp_path / "s.ini", data_location=tmp_path / "w.db")
    autostart = Autostart(["workdeck"], platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path)}, home=tmp_path)
    try:
        first = MainWindow(engine)
        qtbot.addWidget(first)
        shell = DesktopShell(engine, first, settings=settings, autostart=autostart, tray_available=False)
        default_span = first.timeline_view.visible_range()[1] - first.timeline_view.visible_range()[0]
        # The offscreen screen is 800x800 and the window's minimum wider: change the height.
        first.resize(first.minimumSizeHint().width(), 520)
        size = first.size()
        assert size.height() == 520
        first.table.setColumnWidth(1, 151)
        first.timeline_view.zoom(4.0)  # zoom in 4x, still following now
        span = first.timeline_view.visible_range()[1] - first.timeline_view.visible_range()[0]
        assert span == pytest.approx(default_span / 4, rel=1e-3)
        shell._save_layout()  # what closing the window or quitting does
        assert shell.eventFilter(first, QCloseEvent()) is False  # and the close path saves too
        shell.reminders.window.close()

        second = MainWindow(engine)
        qtbot.addWidget(second)
        again_shell = DesktopShell(engine, second, settings=Settings.at(tmp_path / "s.ini"), autostart=autostart,
                                   tray_available=False)
        qtbot.waitUntil(second.isVisible)
        assert second.size() == size
        assert second.table.columnWidth(1) == 151
        again = second.timeline_view.visible_range()
        assert again[1] - again[0] == pytest.approx(span, rel=1e-3) and second.timeline_view.follow_now
        again_shell.reminders.window.close()
    finally:
        qapp.setQuitOnLastWindowClosed(before)


def test_the_tray_says_workdeck_quits_once_the_running_task_finishes(shell: DesktopShell, engine: Engine,
                                                                     qtbot: Any) -> None:
    # Seen under Xvfb: after "Let it finish" the window went away and the tray icon stayed
    # as before; nothing said Workdeck would quit (waiting_to_quit had no listener).
    task = engine.enqueue(TaskSpec(worker="python", args=("tests.ui.ui_targets:until_released",),
                                   kind=Kind.IMMEDIATE, name="long job"))
    qtbot.waitUntil(lambda: task.id in shell.tray_menu.running_actions)
    shell.behaviour.choose(QuitChoice.FINISH)
    assert "Quits when the running task finishes" in shell.tray_model.tooltip()
    shell.show_window()  # the user came back: no quit pending
    assert "Quits" not in shell.tray_model.tooltip()
    ui_targets.release.set()
    qtbot.waitUntil(lambda: not shell.tray_menu.running_actions)
    assert shell.window.isVisible()
