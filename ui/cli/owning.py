"""The commands that own a database: ``serve`` (the engine headless) and the window.

Qt, the owner's host and the workers are imported by each command as it runs, never at
module level: ``--help`` and the other commands do not pay for them.
"""

from __future__ import annotations

from ui.cli import PROG
from ui.cli.thin import OwnerRefusalError as _OwnerReplyError

TYPE_CHECKING = False  # not typing's: as in ui.cli, for the command line's start-up
if TYPE_CHECKING:
    from pathlib import Path


def cmd_serve(db: Path, manifest: Path | None = None) -> int:
    import gc

    # No collection until the engine has started (issue 14): the imports and the engine's
    # build make tens of thousands of objects and next to no garbage, and the collector's
    # passes over them were ~5 ms of the time to the first due run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _serve(db, manifest, collect=collecting)
    finally:
        if collecting:
            gc.enable()


def _serve(db: Path, manifest: Path | None, *, collect: bool) -> int:
    import gc
    import logging

    from PySide6.QtCore import QCoreApplication

    from engine.owner.host import EngineHost
    from ui.quit_signals import quit_on_signals
    from ui.workers import register_gui_workers

    logging.basicConfig(level=logging.INFO, format="workdeck serve: %(levelname)s %(name)s: %(message)s")
    app = QCoreApplication.instance() or QCoreApplication([PROG])
    with quit_on_signals(app):
        register_gui_workers()  # thumbnails decode with QImage, which needs no display
        host = EngineHost.open(db, role="serve", manifest=manifest)
        host.yield_requested.connect(app.quit)  # a window takes over: stop gracefully
        try:
            host.start()
            # What the start built lives as long as serve: out of the collector's sight, a
            # full collection walks only what came after (ui.app.freeze_startup_heap, the window's).
            gc.freeze()
            if collect:
                gc.enable()  # cmd_serve turned it off for the start
            app.exec()
        finally:
            host.stop()
    return 0


def cmd_window(db: Path, manifest: Path | None = None, *, hidden: bool = False) -> int:
    from engine import ipc
    from engine.owner.lock import socket_path

    # A window already open for this database is brought forward instead of a second
    # one. Any other case (no owner, or serve: the window offers to take over) is the
    # window's to handle.
    owner = ipc.call(socket_path(db), {"op": "ping"}, timeout=5.0)
    if owner is not None and owner.get("role") == "window":
        reply = ipc.call(socket_path(db), {"op": "activate"}, timeout=5.0)
        if reply is not None:
            if not reply.get("ok"):
                raise _OwnerReplyError(str(reply.get("error")), int(reply.get("exit", 1)))
            return 0
    from ui import app  # imported only here: the other commands never load widgets

    return int(app.main(str(db), manifest=manifest, hidden=hidden) or 0)
