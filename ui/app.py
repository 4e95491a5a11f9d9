"""Starting the window: a QApplication, qasync's loop as asyncio's loop, the engine's
owner (or the window that already owns the database), the main window with its tray
and reminders, and a clean stop when the user quits."""

from __future__ import annotations

import asyncio
import gc
import os
import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from ui import style


def main(db_path: str | os.PathLike[str], *, manifest: str | os.PathLike[str] | None = None,
         hidden: bool = False) -> int:
    """Open the window on ``db_path`` and run until the user quits. Returns the exit status."""
    import qasync

    from ui.desktop import DesktopShell
    from ui.i18n import install_translator
    from ui.instance import open_for_window
    from ui.logging_setup import setup_logging
    from ui.main_window import MainWindow
    from ui.quit_signals import quit_on_signals
    from ui.window_behaviour import QuitChoice
    from ui.workers import register_gui_workers

    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Workdeck")
    app.setOrganizationName("Workdeck")
    app.setDesktopFileName("workdeck")
    app.setWindowIcon(style.icon("app"))
    install_translator(app)  # before any window: widgets translate their texts when built
    setup_logging()
    register_gui_workers()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # Logout sends SIGTERM and nobody can answer the quit prompt: stop running tasks so
    # they resume at the next start. (Qt 6's quit() would ask the window to close, which
    # hides to the tray instead.) Caught from before the window shows: a signal that
    # comes while the engine starts waits in the wakeup socket until the loop runs, then
    # quits gracefully. (Caught from the loop's start only, it killed the process.)
    shell: DesktopShell | None = None
    stopped_early = False

    def stop_gracefully() -> None:
        nonlocal stopped_early
        if shell is None:
            # Before the window: the take-over prompt (or the wait for serve to let go)
            # runs its own event loop, and app.quit() does nothing before app.exec(), so
            # a logout left this process waiting for an answer nobody could give.
            # exit() ends every running loop: the prompt returns as declined.
            stopped_early = True
            QApplication.exit(0)
        else:
            shell.behaviour.choose(QuitChoice.STOP)

    with quit_on_signals(app, on_signal=stop_gracefully):
        # Another window owns the database: it was brought forward. serve owns it: the
        # user chose to leave it running. Either way this process has nothing to show.
        host = open_for_window(db_path, manifest=manifest)
        if host is None:
            return 0
        if stopped_early:  # the signal came as serve let go: own nothing, run nothing
            host.stop()
            return 0
        window = MainWindow(host.engine)
        shell = DesktopShell(host.engine, window, db_path=db_path, hidden=hidden)
        window.attach_desktop(shell)
        host.activate_requested.connect(shell.show_window)
        quitting = asyncio.Event()
        app.aboutToQuit.connect(quitting.set)
        try:
            host.start()
            freeze_startup_heap()
            receivers = host.manifest_receivers
            if receivers is not None:
                receivers.problem.connect(lambda message: window.statusBar().showMessage(
                    QCoreApplication.translate("App", "Manifest: {message}").format(message=message)))
                if receivers.last_error is not None:
                    window.statusBar().showMessage(
                        QCoreApplication.translate("App", "Manifest: {message}").format(message=receivers.last_error))
            with loop:
                loop.run_until_complete(quitting.wait())
        finally:
            host.stop()
    return 0


def freeze_startup_heap() -> None:
    """What the start built (modules, Qt wrappers, every task) lives as long as the
    window: out of the collector's sight, a full collection walks only what came after.
    Otherwise one walked all of it, 30-60 ms in whichever frame it fell (measured in
    tests/bench/bench_window_history.py: the worst pan frame at 10 million runs)."""
    gc.freeze()
