"""The contract of the reminder's notification backend (ui.notification_backends),
run against each platform's backend: freedesktop over a real private session bus with
a stand-in notification server (Linux), and the fallbacks Windows and macOS get (no
desktop notification of ours: the tray's message and Workdeck's reminder window).

The contract: every reminder reaches a place where the user can answer it, the answer
reaches the engine, and one left unanswered stays in the missed list.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QSystemTrayIcon

from engine.clock import FakeClock
from tests.ui.reminder_fakes import FakeReminderEngine
from tests.ui.test_notifications_dbus import server  # noqa: F401 - the private bus and stand-in server
from ui.notification_backends import NoDesktopNotifier, notifier_for_platform
from ui.notifications import DesktopNotifier, ReminderPresenter
from ui.settings import Settings


class _RecordingTray(QSystemTrayIcon):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def showMessage(self, title: str, body: str, icon: Any = None, ms: int = 10_000) -> None:  # noqa: N802
        self.messages.append(body)


@dataclass
class Backend:
    notifier: Any
    expected: str  # where a reminder goes: "desktop", "tray", "window"
    #: What the user does to snooze the shown reminder (the server answers by itself).
    snooze: Callable[[ReminderPresenter, _RecordingTray, Any], None]


def _click_snooze(presenter: ReminderPresenter, qtbot: Any) -> None:
    qtbot.waitUntil(presenter.window.isVisible)
    button = presenter.window.findChild(QPushButton, "snooze10")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _via_tray(presenter: ReminderPresenter, tray: _RecordingTray, qtbot: Any) -> None:
    assert tray.messages and not presenter.window.isVisible()
    tray.messageClicked.emit()  # the toast / balloon clicked: the reminder window opens
    _click_snooze(presenter, qtbot)


@pytest.fixture(params=["freedesktop", "win32", "darwin"])
def backend(request: pytest.FixtureRequest, qapp: Any) -> Backend:
    if request.param == "freedesktop":
        if shutil.which("dbus-daemon") is None:
            pytest.skip("needs dbus-daemon to run a private session bus")
        address, _served = request.getfixturevalue("server")
        return Backend(DesktopNotifier(address), "desktop", lambda presenter, tray, qtbot: None)
    notifier = notifier_for_platform(request.param)
    assert isinstance(notifier, NoDesktopNotifier)
    if request.param == "win32":
        return Backend(notifier, "tray", _via_tray)
    return Backend(notifier, "window", lambda presenter, tray, qtbot: _click_snooze(presenter, qtbot))


@pytest.fixture
def presenter_for(tmp_path: Path, qtbot: Any, clock: FakeClock) -> Callable[[Backend], tuple[
        ReminderPresenter, FakeReminderEngine, _RecordingTray]]:
    def make(backend: Backend) -> tuple[ReminderPresenter, FakeReminderEngine, _RecordingTray]:
        engine = FakeReminderEngine(clock)
        tray = _RecordingTray()
        presenter = ReminderPresenter(engine, Settings.at(tmp_path / "s.ini"), notifier=backend.notifier, tray=tray,
                                      tray_available=True)
        qtbot.addWidget(presenter.window)
        return presenter, engine, tray

    return make


def test_a_reminder_is_answered_where_it_is_shown(backend: Backend, presenter_for: Any, qtbot: Any) -> None:
    presenter, engine, tray = presenter_for(backend)
    with qtbot.waitSignal(presenter.answered, timeout=10_000) as answered:
        engine.fire("t1", "Stand-up in 5 minutes")
        assert presenter.backend_for(presenter._settings.notification_style) == backend.expected
        backend.snooze(presenter, tray, qtbot)
    assert answered.args[1] == "snoozed"
    assert engine.calls == [("snooze", "t1", 600.0, None)] and presenter.missed() == []


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_an_unanswered_reminder_stays_in_the_missed_list(platform: str, presenter_for: Any, qtbot: Any) -> None:
    backend = Backend(notifier_for_platform(platform), "", lambda *a: None)
    presenter, engine, tray = presenter_for(backend)
    engine.fire("t1", "Call Alice")
    if platform == "darwin":
        qtbot.waitUntil(presenter.window.isVisible)
        presenter.window.close()  # closed, not answered
    else:
        assert tray.messages == ["Call Alice"]  # the toast went by unclicked
    assert [r.task_id for r in presenter.missed()] == ["t1"] and engine.calls == []


def test_the_backend_is_chosen_by_platform(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no bus: it must not try to start one
    assert isinstance(notifier_for_platform("linux"), DesktopNotifier)
    windows, mac = notifier_for_platform("win32"), notifier_for_platform("darwin")
    assert not windows.available and not windows.supports_actions and not windows.prefers_window
    assert mac.prefers_window and windows.notify("x", "y") is None
