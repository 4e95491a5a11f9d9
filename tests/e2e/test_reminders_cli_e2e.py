"""``workdeck reminders``, ``snooze`` and ``dismiss``: through a running owner (its socket)
and on the database when none runs; bad input is exit 2, an unknown id exit 3, and
neither writes anything."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Workdeck, wait_until

pytestmark = pytest.mark.e2e


def _fingerprint(*paths: Path) -> list[tuple[str, str]]:
    """Every file's content, but the owner lock's (it names its last holder, as for ``cancel``)."""
    return [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for d in paths for p in sorted(d.iterdir())
            if p.is_file() and p.suffix != ".lock"]


def _shown(wd: Workdeck, message: str) -> str:
    task_id = wd.ok("remind", "--in", "1s", message).strip()
    wait_until(lambda: any(r["task_id"] == task_id for r in wd.json("reminders")), what=f"{message!r} shown")
    return task_id


def test_the_unanswered_list_snooze_and_dismiss_through_the_owner(wd: Workdeck) -> None:
    wd.serve()
    oven = _shown(wd, "Check the oven")
    call = _shown(wd, "Call Alice")
    listed = wd.json("reminders")
    assert [(r["task_id"], r["message"], r["status"]) for r in listed] == [
        (oven, "Check the oven", "shown"), (call, "Call Alice", "shown")]
    text = wd.ok("reminders").splitlines()
    assert len(text) == 2 and text[0].startswith(oven) and text[0].endswith("Check the oven")

    asked = time.time()
    out = wd.ok("snooze", oven, "--for", "10m")
    assert out.startswith(f"{oven} snoozed until ") and out.count("\n") == 1
    again = out.split()[-1]
    assert again == oven  # the snooze keeps the reminder's own task
    task = wd.json("show", again)
    assert (task["kind"], task["state"], task["message"]) == ("exact", "scheduled", "Check the oven")
    assert 600 <= _at(task["next_run_at"]) - asked <= 600 + (time.time() - asked)
    assert [r["task_id"] for r in wd.json("reminders")] == [call]
    # The snooze added no second task: the reminder keeps its id and its first run.
    assert [r["outcome"] for r in task["runs"]] == ["succeeded"]
    assert sorted(t["id"] for t in wd.json("list")) == sorted([oven, call])

    assert wd.ok("dismiss", call) == f"{call} dismissed\n"
    assert wd.json("reminders") == []


def test_without_an_owner_the_database_is_answered_directly(wd: Workdeck) -> None:
    proc = wd.serve()
    oven = _shown(wd, "Check the oven")
    wd.stop(proc)
    assert wd.ping() is None
    out = wd.ok("snooze", oven, "--until", "23:59")
    assert f"{oven} snoozed until " in out and " 23:59:00 as " in out
    assert wd.json("reminders") == []
    snoozed = out.split()[-1]
    assert snoozed == oven and wd.json("show", snoozed)["state"] == "scheduled"


def test_bad_input_is_one_line_and_writes_nothing(wd: Workdeck) -> None:
    proc = wd.serve()
    oven = _shown(wd, "Check the oven")
    wd.stop(proc)
    before = _fingerprint(wd.db.parent)
    for args, status, says in [
        (("snooze", oven, "--for", "ten minutes"), 2, "malformed duration"),
        (("snooze", oven, "--for", "0s"), 2, "must be positive"),
        (("snooze", oven, "--until", "25:61"), 2, "malformed time"),
        (("snooze", oven, "--until", "2001-01-01T10:00+00:00"), 2, "has passed"),
        (("snooze", oven, "--for", "5m", "--until", "14:30"), 2, "not allowed with"),
        (("snooze", "no-such-id"), 3, "no such task: no-such-id"),
        (("dismiss", "no-such-id"), 3, "no such task: no-such-id"),
    ]:
        result = wd.run(*args)
        assert (result.returncode, result.stdout) == (status, ""), (args, result.stderr)
        assert result.stderr.count("\n") == 1 and says in result.stderr, (args, result.stderr)
    assert _fingerprint(wd.db.parent) == before
    assert [r["task_id"] for r in wd.json("reminders")] == [oven]


def test_an_unknown_id_on_no_database_creates_none(wd: Workdeck) -> None:
    for command in ("snooze", "dismiss"):
        result = wd.run(command, "abc")
        assert result.returncode == 3 and "no such task: abc" in result.stderr
    assert wd.json("reminders") == []
    assert not wd.db.exists()


def _at(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()
