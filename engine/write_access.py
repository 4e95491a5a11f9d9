"""Whether Workdeck may write a database, asked before anything is touched.

Apart from :mod:`engine.store_faults` because every command line that writes asks it
first, and this module loads nothing (no sqlite3, no typing). Root ignores permission
bits, but a file or folder someone made read-only (no write bit at all) is treated as
read-only for root too: that was its owner's intent.
"""

from __future__ import annotations

import os
import stat
import sys

from engine.errors import DatabaseReadOnlyError


def is_writable(path: str | os.PathLike[str]) -> bool:
    """Whether Workdeck may write ``path`` (a file or a folder that exists)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not os.access(path, os.W_OK):  # also False on a read-only mount (EROFS), for root too
        return False
    if sys.platform == "win32":  # no root bypassing modes there: os.access said it all
        return True
    return os.geteuid() != 0 or bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def read_only_reason(path: str) -> str | None:
    """Why ``path`` (an existing database) cannot be written, or None if it can."""
    folder = os.path.dirname(os.path.abspath(path))
    if sys.platform != "win32":  # no statvfs there; a read-only volume fails os.access below
        try:
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                return f"{folder} is on a read-only mount"
        except OSError:
            pass
    if not is_writable(path):
        return "the file is read-only"
    if not is_writable(folder):
        # WAL needs its -wal and -shm files beside the database.
        return f"its folder {folder} is read-only"
    return None


def refuse_if_read_only(path: str) -> None:
    """Raise DatabaseReadOnlyError (bad input: exit 2, nothing written) if the database
    at ``path`` exists and cannot be written; a new one needs a writable folder. Checked
    before anything else is touched, the owner's lock file included."""
    if path == ":memory:":
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path):
        reason = read_only_reason(path)
    else:
        reason = None if not os.path.isdir(folder) or is_writable(folder) else f"its folder {folder} is read-only"
    if reason is not None:
        raise DatabaseReadOnlyError(
            f"database {path} is read-only ({reason}): Workdeck can only read it (list, show, log, export); "
            "choose a writable file with --db to change it"
        )
