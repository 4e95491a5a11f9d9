"""DesktopNotifier over a real (private) session bus with a stand-in notification server:
Notify goes out with the spec's signature, ActionInvoked comes back and snoozes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock
from tests.ui.reminder_fakes import FakeReminderEngine
from ui.notifications import DesktopNotifier, ReminderPresenter
from ui.settings import Settings

pytestmark = [
    pytest.mark.linux,  # freedesktop notifications on a session bus
    pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="needs dbus-daemon to run a private session bus"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    served: subprocess.Popen[str] | None = None
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()
        assert address, "dbus-daemon printed no address"
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "QT_QPA_PLATFORM": "offscreen"}
        served = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_notification_server.py"))],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        assert served.stdout is not None
        assert served.stdout.readline().strip() == "ready"
        yield address, served
    finally:
        for proc in (served, daemon):
            if proc is not None:
                proc.terminate()
                proc.wait(10)
                if proc.stdout is not None:
                    proc.stdout.close()


def test_notify_with_actions_and_snooze_from_the_server(server: tuple[str, subprocess.Popen[str]],
                                                        clock: FakeClock, tmp_path: Path, qtbot: Any) -> None:
    address, served = server
    notifier = DesktopNotifier(address)
    assert notifier.available and notifier.supports_actions
    engine = FakeReminderEngine(clock)
    presenter = ReminderPresenter(engine, Settings.at(tmp_path / "s.ini"), notifier=notifier, tray_available=False)
    qtbot.addWidget(presenter.window)
    with qtbot.waitSignal(notifier.closed, timeout=10_000) as closed:
        engine.fire("t1", "Stand-up in 5 minutes")
        qtbot.waitUntil(lambda: engine.calls != [], timeout=10_000)
    assert engine.calls == [("snooze", "t1", 600.0, None)]
    assert closed.args == [1, 3]  # we closed it after the answer
    assert not presenter.window.isVisible()
    assert served.stdout is not None
    sent = json.loads(served.stdout.readline())
    assert sent["summary"] == "Reminder" and sent["body"] == "Stand-up in 5 minutes"
    assert sent["actions"] == ["default", "Open", "snooze", "Snooze 10 min", "dismiss", "Dismiss"]
    assert sent["timeout"] == 0  # stays until answered


def test_no_server_means_not_available(qapp: Any, tmp_path: Path) -> None:
    notifier = DesktopNotifier(f"unix:path={tmp_path / 'no-bus'}")
    assert not notifier.available and not notifier.supports_actions
    assert notifier.notify("x", "y") is None
