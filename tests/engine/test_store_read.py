"""Opening a database to read it creates, migrates and writes nothing (issue 11, item 7)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from engine.errors import DatabaseReadOnlyError
from engine.quarantine import NeedsUpgradeError
from engine.schema import APPLICATION_ID, SCHEMA_VERSION, create_v1
from engine.store import Store
from engine.store.opening import open_for_reading


def _older(path: Path) -> None:
    """A database as the first Workdeck left it (schema 1)."""
    db = sqlite_utils.Database(path)
    create_v1(db)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.conn.close()


def _version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_nothing_to_read_is_not_created(tmp_path: Path) -> None:
    assert open_for_reading(tmp_path / "none.db") is None
    (tmp_path / "zero.db").touch()
    assert open_for_reading(tmp_path / "zero.db") is None
    assert sorted(os.listdir(tmp_path)) == ["zero.db"] and (tmp_path / "zero.db").stat().st_size == 0


def test_an_older_read_only_database_is_refused_in_one_line_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _older(path)
    path.chmod(0o444)  # read-only, for root too (engine.store_faults.is_writable)
    before = path.read_bytes()
    with pytest.raises(NeedsUpgradeError, match="from an older Workdeck .schema 1. .*read-only"):
        open_for_reading(path)
    with pytest.raises(DatabaseReadOnlyError, match=r"read-only \(the file is read-only\)"):
        Store(path)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["old.db"]


def test_an_older_writable_database_is_upgraded_once_then_read(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _older(path)
    store = open_for_reading(path)
    assert store is not None and store.read_only and store.tasks() == []
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.conn.execute("DELETE FROM tasks")  # PRAGMA query_only: this connection cannot write
    store.close()
    assert _version(path) == SCHEMA_VERSION
    assert sorted(os.listdir(tmp_path)) == ["old.db"]  # the WAL files went with the last connection
