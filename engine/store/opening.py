"""Opening a database to read it: ``list``, ``show``, ``log`` and ``export``.

Reading never creates, migrates or writes anything a person did not ask for:

- no file at the path: nothing to read (None); the file is not created.
- an empty file (0 bytes, or SQLite with no tables and no version): nothing to read
  (None); no schema is written into it.
- a read-only file, folder or mount: opened read-only (engine.store_faults
  .connect_for_reading explains how, WAL included).
- an older schema: upgraded first if the file may be written, as the next owner
  would do anyway; refused in one line if it may not (reading never migrates).
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import BadInputError
from engine.quarantine import NeedsUpgradeError
from engine.store import Store
from engine.store_faults import read_only_reason


def open_for_reading(path: str | os.PathLike[str]) -> Store | None:
    """A read-only Store on ``path``, or None when there is nothing to read."""
    path = str(path)
    if not os.path.exists(path):
        return None
    if os.path.isdir(path):
        raise BadInputError(f"{path} is a folder, not a database: give a file with --db")
    if Path(path).stat().st_size == 0:
        return None  # SQLite would read it as an empty database; no need to open it
    try:
        return Store(path, read_only=True)
    except NeedsUpgradeError as exc:
        if exc.empty:
            return None
        if read_only_reason(path) is not None:
            raise
    Store(path).close()  # an older schema in a writable file: upgrade it once
    return Store(path, read_only=True)
