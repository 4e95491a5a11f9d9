"""Starting the window: a QApplication, qasync's loop as asyncio's loop, the engine's
owner, the main window, and a clean stop when the user quits."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from ui import style


def main(db_path: str | Path) -> int:
    """Open the window on ``db_path`` and run until the user quits. Returns the exit status."""
    import qasync

    # engine.owner arrives with the command line's branch: imported here so that the
    # window's own modules import without it.
    from engine.owner import EngineHost

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Workdeck")
    app.setDesktopFileName("workdeck")
    app.setWindowIcon(style.icon("app"))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    host = EngineHost.open(str(db_path), role="window")
    from ui.main_window import MainWindow

    window = MainWindow(host.engine)
    _connect_activate(host, window)
    host.start()
    window.show()

    quitting = asyncio.Event()
    app.aboutToQuit.connect(quitting.set)
    app.lastWindowClosed.connect(app.quit)
    try:
        with loop:
            loop.run_until_complete(quitting.wait())
    finally:
        host.stop()
    return 0


def _connect_activate(host: Any, window: Any) -> None:
    """A second ``workdeck`` asks the running one to show itself."""
    signal = getattr(host, "activate", None) or getattr(host, "activated", None)
    if signal is None or not hasattr(signal, "connect"):
        return

    def raise_window(*_: object) -> None:
        window.showNormal()
        window.raise_()
        window.activateWindow()

    signal.connect(raise_window)
