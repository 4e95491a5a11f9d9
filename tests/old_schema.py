"""Databases as an earlier Workdeck made them, for the tests of a migration."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from engine.schema import APPLICATION_ID, MIGRATIONS, create_v1


def version_before(migration: Callable[[sqlite_utils.Database], None]) -> int:
    """The version ``migration`` starts from (the lead may renumber it at a merge)."""
    return next(v for v, f in MIGRATIONS.items() if f is migration)


def database_at(path: Path, version: int) -> sqlite3.Connection:
    """A new Workdeck database at schema ``version`` (version 1 and the migrations up
    to it), its connection in autocommit: the caller writes rows as that version did."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    create_v1(db)
    for earlier in range(1, version):
        MIGRATIONS[earlier](db)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    return conn
