"""One bad row no longer takes down list, show, export or serve (issue 11, item 6)."""

from __future__ import annotations

import re
import sqlite3

from tests.e2e.conftest import Workdeck, wait_until

CONTRACT_KEYS = {"id", "name", "kind", "state", "command", "tags", "attempts", "created_at", "next_run_at", "runs"}


def _damage(wd: Workdeck, sql: str, *params: object) -> None:
    conn = sqlite3.connect(wd.db)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def test_unreadable_rows_are_shown_exported_skipped_and_cancellable(wd: Workdeck) -> None:
    bad_json = wd.ok("add", "--in", "1s", "--", "echo", "one").strip()
    bad_state = wd.ok("add", "--in", "1s", "--", "echo", "two").strip()
    good = wd.ok("add", "--", "echo", "three").strip()
    _damage(wd, "UPDATE tasks SET spec = '{\"worker\": ' WHERE id = ?", bad_json)
    _damage(wd, "UPDATE tasks SET state = 'paused' WHERE id = ?", bad_state)

    listed = {t["id"]: t for t in wd.json("list")}
    assert set(listed) == {bad_json, bad_state, good}
    for task_id in (bad_json, bad_state):
        assert CONTRACT_KEYS <= set(listed[task_id]) and listed[task_id]["state"] == "unreadable"
    assert listed[bad_state]["unreadable"] == "unknown state 'paused'"
    assert listed[bad_json]["unreadable"].startswith("its spec is not valid JSON")
    table = wd.ok("list")
    assert re.search(rf"^{bad_state}\s+deferred\s+unreadable\s", table, re.M) and "unreadable: unknown state 'paused'" in table
    assert "unreadable (unknown state 'paused')" in wd.ok("show", bad_state)
    assert wd.json("show", bad_json)["stored"]["spec"] == '{"worker": '
    exported = wd.ok("export")
    assert f"# unreadable task {bad_json}" in exported and '#   spec = "{\\"worker\\": "' in exported

    serve = wd.serve()  # starts, and runs what it can read
    wait_until(lambda: wd.json("show", good)["state"] == "succeeded", what="the readable task to run")
    later = wd.ok("add", "--", "echo", "four").strip()
    wait_until(lambda: wd.json("show", later)["state"] == "succeeded", what="a new task to run")
    assert wd.ok("cancel", bad_state).strip() == f"{bad_state} cancelled"  # its stored state was unknown: now known
    assert wd.json("show", bad_json)["state"] == "unreadable"
    assert wd.ok("cancel", bad_json).strip() == f"{bad_json} unreadable"  # stopped for good, still unreadable
    assert wd.json("show", bad_json)["stored"]["state"] == "cancelled"
    assert wd.stop(serve) == 0


def test_a_missing_table_is_one_line_naming_it(wd: Workdeck) -> None:
    task = wd.ok("add", "--in", "1h", "--", "true").strip()
    _damage(wd, "DROP TABLE runs")
    for args in (("list",), ("show", task), ("export",), ("add", "--", "true"), ("serve",)):
        result = wd.run(*args)
        assert result.returncode == 2, (args, result.returncode, result.stderr)
        assert result.stderr.splitlines() == [
            f"workdeck: database {wd.db} is damaged: its table runs is missing (changed outside Workdeck); "
            "restore it from a backup, or move it aside and Workdeck starts a new one"
        ], args
