"""A real ``workdeck serve`` drains a backlog long enough for its WAL to restart in place
several times, while another process reads the database again and again, each time on
a connection of its own, as ``workdeck list`` would beside it (engine.store, issue 14).

The unit tests of the WAL run one process. This one has what they lack: the owner's
checkpoint thread with its own connection, the event loop's restarts, and readers in
another process that come and go, all on one -shm file. A checkpoint rule that opened
the -shm itself passed the unit tests, and here serve died of SIGBUS after ~200 runs:
closing that descriptor dropped SQLite's POSIX locks on the file, and a connection
that then found itself alone reset the file serve had mapped. (A reader that stays
connected holds its own locks and hides that: so each read has its own connection.)
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from engine import store as store_module
from engine.engine import Engine
from engine.model import Kind, TaskSpec
from engine.store import Store
from tests.e2e.conftest import Workdeck

pytestmark = [pytest.mark.e2e, pytest.mark.linux]  # shell `true`, POSIX locks on the -shm

#: At ~8 WAL frames a run, 1,500 runs write ~48 MB: without restarts the WAL would pass
#: its 8 MB size limit six times over; restarted in place it stays near it.
RUNS = 1500


def test_serve_drains_through_wal_restarts_beside_a_reader_in_another_process(wd: Workdeck) -> None:
    store = Store(wd.db)
    try:
        engine = Engine(store)
        for _ in range(RUNS):
            engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED))
    finally:
        store.close()
    serve = wd.serve()
    wal = Path(f"{wd.db}-wal")
    peak, reads = 0, 0
    deadline = time.monotonic() + 120
    while True:
        assert serve.poll() is None, f"serve died (status {serve.returncode}): {serve.communicate()[1][-2000:]}"
        reader = sqlite3.connect(f"file:{wd.db}?mode=ro", uri=True, timeout=10)
        try:
            done = reader.execute("SELECT count(*) FROM tasks WHERE state = 'succeeded'").fetchone()[0]
        finally:
            reader.close()
        reads += 1
        peak = max(peak, wal.stat().st_size if wal.exists() else 0)
        if done == RUNS:
            break
        assert time.monotonic() < deadline, f"{done} of {RUNS} runs done in 120 s"
        time.sleep(0.02)
    assert wd.stop(serve) == 0
    assert reads > 10  # the reader really read alongside the drain
    # Restarted in place: near journal_size_limit (8 MB), what was written while a
    # checkpoint ran on top (9.8-10.6 MB measured); far below the ~48 MB the drain wrote.
    assert peak < 3 * store_module.WAL_KEEP_BYTES, f"the WAL reached {peak / 1e6:.1f} MB"
    check = sqlite3.connect(wd.db)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM runs WHERE outcome = 'succeeded'").fetchone()[0] == RUNS
    finally:
        check.close()
