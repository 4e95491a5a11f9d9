"""Logging: a rotating file in the user's log dir, and an action that opens it.

The log is where bugs go with their tracebacks (STYLE.md 7); the environment's faults
are shown to the user and logged too. Five files of 1 MiB keep weeks of a normal
desktop's history without ever filling a disk.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs
from engine.private_files import open_private, private_folder
from PySide6.QtCore import QCoreApplication, QObject, QUrl
from PySide6.QtGui import QAction, QDesktopServices

LOG_FILE_NAME = "workdeck.log"
MAX_BYTES = 1024 * 1024
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_handler: logging.Handler | None = None


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files are 0600 whatever the umask: they name commands and quote their errors.
    Every file (the first, and each after a rotation) is opened here."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("workdeck", "Workdeck"))


def setup_logging(directory: str | os.PathLike[str] | None = None, level: int = logging.INFO) -> Path:
    """Send the root logger to a rotating file; returns the file's path. Idempotent:
    calling again (a second window in tests) replaces the handler, never stacks one."""
    global _handler
    folder = Path(directory) if directory is not None else log_dir()
    private_folder(folder)
    path = folder / LOG_FILE_NAME
    handler = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                                          delay=True)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    return path


def teardown_logging() -> None:
    """Remove and close the file handler (tests; a clean quit)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None


def current_log_file() -> Path:
    if isinstance(_handler, logging.handlers.RotatingFileHandler):
        return Path(_handler.baseFilename)
    return log_dir() / LOG_FILE_NAME


def open_log() -> bool:
    """Open the log in the desktop's viewer for text files. False if nothing could open it."""
    path = current_log_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def open_log_action(parent: QObject) -> QAction:
    """"Open log" for a menu (the window's Help menu, the tray)."""
    action = QAction(QCoreApplication.translate("Log", "Open log"), parent)
    action.setToolTip(QCoreApplication.translate("Log", "Open {file}").format(file=current_log_file()))
    action.triggered.connect(lambda: open_log())
    return action


__all__ = ["open_log", "open_log_action", "setup_logging", "teardown_logging", "current_log_file", "log_dir"]
