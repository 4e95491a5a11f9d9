"""One instance per database, from the window's side.

engine/owner/ (the lock and the local socket) decides who owns a database; this
module is what the window does about it at start:

- nobody owns it: take it (:class:`engine.owner.host.EngineHost`, role ``window``);
- another window owns it: ask that one to come forward (``activate``) and exit;
- ``workdeck serve`` owns it: say so plainly and offer to take over. Taking over asks
  serve to ``yield`` (it stops gracefully: running tasks are recorded as interrupted,
  and this window's engine resumes them), waits for the lock, then owns it.

A stale socket after a crash needs nothing here: the lock dies with its process and
the new owner removes the socket file before listening (engine/owner/host.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import ipc
from engine.errors import AlreadyOwnedError
from engine.owner.host import EngineHost, socket_path

log = logging.getLogger(__name__)

#: serve stops gracefully (engine.stop waits up to 10 s for running work): wait a little longer.
TAKE_OVER_WAIT_MS = 20_000
TAKE_OVER_POLL_MS = 50

AskTakeOver = Callable[[AlreadyOwnedError], bool]


class TakeOverFailedError(RuntimeError):
    """serve was asked to yield and did not release the database in time."""


def ask_take_over(exc: AlreadyOwnedError, parent: QWidget | None = None) -> bool:
    """The question the user sees when ``workdeck serve`` owns the database."""
    box = QMessageBox(parent)
    box.setObjectName("takeOverPrompt")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(QCoreApplication.translate("TakeOver", "Workdeck is running in the background"))
    box.setText(QCoreApplication.translate(
        "TakeOver", "Workdeck is already running without a window (workdeck serve, pid {pid}) "
        "and owns this database.").format(pid=exc.pid))
    box.setInformativeText(QCoreApplication.translate(
        "TakeOver",
        "Take over to run Workdeck in this window instead: the background instance stops, and tasks it "
        "was running are stopped and resumed here. Or quit and leave it running."
    ))
    take = box.addButton(QCoreApplication.translate("TakeOver", "Take over"), QMessageBox.ButtonRole.AcceptRole)
    take.setObjectName("takeOver")
    leave = box.addButton(QCoreApplication.translate("TakeOver", "Quit"), QMessageBox.ButtonRole.RejectRole)
    leave.setObjectName("leaveIt")
    box.setDefaultButton(take)
    box.setEscapeButton(leave)
    box.exec()
    return box.clickedButton() is take


def open_for_window(
    db_path: str | os.PathLike[str],
    *,
    clock: Any = None,
    manifest: str | os.PathLike[str] | None = None,
    ask: AskTakeOver | None = None,
    wait_ms: int = TAKE_OVER_WAIT_MS,
) -> EngineHost | None:
    """Own ``db_path`` for a window, or hand over to the window that does.

    Returns the started-later :class:`EngineHost` (call ``start()``), or None when
    this process should exit quietly: another window was brought forward, or the user
    chose to leave ``serve`` running.
    """
    try:
        return EngineHost.open(db_path, role="window", clock=clock, manifest=manifest)
    except AlreadyOwnedError as exc:
        owned = exc
    sock = socket_path(db_path)
    if owned.role == "window":
        reply = ipc.call(sock, {"op": "activate"}, timeout=5.0)
        log.info("database owned by a window (pid %s): asked it to come forward (%s)", owned.pid, reply)
        if reply is not None:
            return None
        # It died between our lock attempt and the call: the lock is free now.
        return EngineHost.open(db_path, role="window", clock=clock, manifest=manifest)
    if owned.role != "serve":
        raise owned
    log.info("workdeck serve (pid %s) owns %s: asking whether to take over", owned.pid, db_path)
    if not (ask or ask_take_over)(owned):
        return None
    reply = ipc.call(sock, {"op": "yield"}, timeout=5.0)
    if reply is not None and not reply.get("ok"):
        raise TakeOverFailedError(f"workdeck serve (pid {owned.pid}) refused to stop: {reply.get('error')}")
    return _wait_for_ownership(db_path, clock=clock, manifest=manifest, wait_ms=wait_ms, pid=owned.pid)


def _wait_for_ownership(db_path: str | os.PathLike[str], *, clock: Any, manifest: str | os.PathLike[str] | None,
                        wait_ms: int, pid: int | None) -> EngineHost | None:
    """Try the lock every few milliseconds until serve has let go, with the event loop
    running meanwhile (the window stays responsive; no sleep on the UI thread). None:
    the loop was ended from outside (a quit signal: QApplication.exit) before that."""
    deadline = QDeadlineTimer(wait_ms)
    loop = QEventLoop()
    result: dict[str, Any] = {}

    def attempt() -> None:
        try:
            result["host"] = EngineHost.open(db_path, role="window", clock=clock, manifest=manifest)
        except AlreadyOwnedError:
            if deadline.hasExpired():
                result["error"] = TakeOverFailedError(
                    f"workdeck serve (pid {pid}) did not stop within {wait_ms / 1000:g}s; try again, "
                    "or stop it yourself"
                )
            else:
                return
        except Exception as exc:  # a bad database: the caller reports it
            result["error"] = exc
        timer.stop()
        loop.quit()

    timer = QTimer()
    timer.setInterval(TAKE_OVER_POLL_MS)
    timer.timeout.connect(attempt)
    timer.start()
    attempt()
    if not result:
        loop.exec()
    if not result:  # QApplication.exit() ended the loop: stop trying
        timer.stop()
        return None
    if "error" in result:
        raise result["error"]
    return result["host"]  # type: ignore[no-any-return]


__all__ = ["TakeOverFailedError", "ask_take_over", "open_for_window"]
