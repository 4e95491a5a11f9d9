"""The rotating log and the action that opens it (the desktop's opener is intercepted)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from ui.logging_setup import MAX_BYTES, open_log_action, setup_logging, teardown_logging


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


@pytest.mark.posix
def test_the_log_and_its_rotations_are_private_whatever_the_umask(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    old_umask = os.umask(0o022)
    try:
        path = setup_logging(folder)
        try:
            logger = logging.getLogger("workdeck.test")
            for _ in range(3):  # past MAX_BYTES: the handler rotates and opens a new file
                logger.warning("x" * (MAX_BYTES // 2))
        finally:
            teardown_logging()
    finally:
        os.umask(old_umask)
    files = sorted(folder.iterdir())
    assert path in files and len(files) >= 2
    assert [f.stat().st_mode & 0o777 for f in files] == [0o600] * len(files)
    assert folder.stat().st_mode & 0o777 == 0o700
