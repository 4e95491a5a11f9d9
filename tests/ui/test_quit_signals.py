"""SIGTERM, SIGINT and (Windows) SIGBREAK quit gracefully through Qt's loop."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from ui.quit_signals import quit_on_signals


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGBREAK"])
def test_a_quit_signal_calls_back_once_and_the_handlers_are_restored(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A real signal to this process, through the C handler's wakeup byte. SIGBREAK
    exists on Windows only: here SIGUSR1 stands in for it, so the test proves that a
    platform which has it handles it the same way (not that Windows delivers it)."""
    if name == "SIGBREAK":
        monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    signum = getattr(signal, name)
    before = signal.getsignal(signum)
    app = QCoreApplication.instance()
    assert app is not None
    calls: list[int] = []
    with quit_on_signals(app, lambda: calls.append(1)):
        os.kill(os.getpid(), signum)
        qtbot.waitUntil(lambda: calls == [1])
    assert signal.getsignal(signum) == before
