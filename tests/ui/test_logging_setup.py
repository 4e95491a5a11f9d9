"""The rotating log and the action that opens it (the desktop's opener is intercepted)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from ui.logging_setup import open_log_action, setup_logging, teardown_logging


class _Opener(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_log_goes_to_the_file_and_the_action_opens_it(tmp_path: Path, qapp: Any) -> None:
    path = setup_logging(tmp_path)
    try:
        setup_logging(tmp_path)  # again: replaces, does not stack handlers
        logging.getLogger("workdeck.test").warning("a line to find")
        opener = _Opener()
        QDesktopServices.setUrlHandler("file", opener, "open")
        try:
            open_log_action(opener).trigger()
        finally:
            QDesktopServices.unsetUrlHandler("file")
    finally:
        teardown_logging()
    assert path.read_text().count("a line to find") == 1
    assert [u.toLocalFile() for u in opener.urls] == [str(path)]
