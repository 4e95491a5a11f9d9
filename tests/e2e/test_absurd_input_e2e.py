"""Absurd input through real ``workdeck`` processes (issue 11, item 10): exit 2, one
line on stderr, no traceback, and nothing written: no database, no lock file, no row.

Each case was a traceback (exit 1) or was accepted and broke later, on main before
this fix. Run with no owner (a new ``--db`` path must stay absent) and through a
running ``serve`` (the owner path refuses the same way, and its database is unchanged).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine import ipc
from engine.owner.lock import socket_path
from tests.e2e.conftest import Workdeck

pytestmark = pytest.mark.e2e

NOT_UTF8 = os.fsdecode(b"caf\xe9")  # what Python makes of a Latin-1 argv: lone surrogates

# (id, argv after --db PATH, words the one line must hold)
CASES: list[tuple[str, list[str], str]] = [
    ("in-overflows-timedelta", ["add", "--in", "99999999999999d", "--", "true"], "too long"),
    ("in-overflows-datetime", ["add", "--in", "3000000d", "--", "true"], "too long"),
    ("every-overflows", ["add", "--every", "99999999999d", "--", "true"], "too long"),
    ("remind-in-overflows", ["remind", "--in", "99999999999999d", "tea"], "too long"),
    ("timeout-overflows", ["add", "--timeout", "99999999999d", "--", "true"], "too long"),
    ("backoff-delay-overflows", ["add", "--retries", "2", "--backoff-delay", "99999999999d", "--", "true"], "too long"),
    ("at-year-1-every-1s", ["add", "--at", "0001-01-01T00:00", "--every", "1s", "--", "true"], "out of range"),
    ("at-year-9999", ["add", "--at", "9999-12-31T23:59", "--", "true"], "out of range"),
    ("tag-not-utf8", ["add", "--tag", NOT_UTF8, "--", "true"], "tag 'caf\\xe9' is not valid UTF-8"),
    ("name-not-utf8", ["add", "--name", NOT_UTF8, "--", "true"], "name 'caf\\xe9' is not valid UTF-8"),
    ("cron-six-fields", ["add", "--cron", "0 0 * * * *", "--", "true"], "five fields"),
    ("rrule-interval-0", ["add", "--rrule", "FREQ=DAILY;INTERVAL=0", "--", "true"], "INTERVAL must be 1 or more"),
    ("rrule-never", ["add", "--rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31", "--", "true"], "never occurs"),
    ("rrule-ended", ["add", "--rrule", "FREQ=DAILY;UNTIL=20200101T000000Z", "--", "true"], "no occurrence after now"),
    ("retries-float", ["add", "--retries", "1e30", "--", "true"], "not a whole number"),
    ("retries-huge", ["add", "--retries", str(10**30), "--", "true"], "retries must be at most 1000"),
    ("import-nul-argument", ["import", "{nul_args}"], "contains a NUL byte"),
    ("import-nul-tag", ["import", "{nul_tag}"], "contains a NUL byte"),
    ("import-retries-huge", ["import", "{huge_retries}"], "retries: must be at most 1000"),
]


def _manifests(folder: Path) -> dict[str, str]:
    files = {
        "nul_args": '[tasks.a]\nrun = ["echo", "a\\u0000b"]\n',
        "nul_tag": '[tasks.a]\nrun = ["true"]\ntags = ["x\\u0000y"]\n',
        "huge_retries": f'[tasks.a]\nrun = ["false"]\nretries = {10**18}\n',
    }
    paths = {}
    for key, text in files.items():
        path = folder / f"{key}.toml"
        path.write_text(text)
        path.chmod(0o600)
        paths[key] = str(path)
    return paths


def _argv(argv: list[str], manifests: dict[str, str]) -> list[str]:
    return [a.format(**manifests) if a.startswith("{") else a for a in argv]


def _assert_refused(result: tuple[int, str, str], case: str, words: str) -> None:
    code, out, err = result
    assert (code, out) == (2, ""), (case, code, err)
    # import names the manifest's file and line instead of the program (its existing form)
    assert "Traceback" not in err and err.count("\n") == 1, (case, err)
    assert err.startswith("workdeck: ") or (case.startswith("import") and ".toml:" in err), (case, err)
    assert words in err, (case, err)


@pytest.mark.parametrize(("case", "argv", "words"), CASES, ids=[c[0] for c in CASES])
def test_absurd_input_with_no_owner_leaves_no_database_and_no_lock(
    wd: Workdeck, tmp_path: Path, case: str, argv: list[str], words: str
) -> None:
    manifests = _manifests(tmp_path)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    proc = wd.popen(*_argv(argv, manifests), db=fresh / "new.db")
    out, err = proc.communicate(timeout=60)
    _assert_refused((proc.returncode, out, err), case, words)
    assert sorted(os.listdir(fresh)) == []  # no new.db, no new.db.lock, no -wal/-shm


def test_absurd_input_through_a_running_owner_is_refused_the_same_way(wd: Workdeck, tmp_path: Path) -> None:
    manifests = _manifests(tmp_path)
    serve = wd.serve()
    before = wd.ok("list", "--json")
    procs = [(case, wd.popen(*_argv(argv, manifests)), words) for case, argv, words in CASES]
    for case, proc, words in procs:
        out, err = proc.communicate(timeout=60)
        _assert_refused((proc.returncode, out, err), case, words)
    # The owner's own checks, for a client that skips the command line's: the same refusals.
    raw: list[tuple[dict[str, Any], str]] = [
        ({"retry": {"max_retries": 10**30, "backoff": "exponential", "delay": 30.0, "jitter": 0.0}},
         "retries must be at most 1000"),
        ({"kind": "deferred", "schedule": {"every": 1e300}}, "too long"),
        ({"kind": "deferred", "schedule": {"cron": "0 0 * * * *"}}, "five fields"),
        ({"kind": "deferred", "schedule": {"rrule": "FREQ=DAILY;INTERVAL=0"}}, "INTERVAL must be 1 or more"),
        ({"name": "a\0b"}, "contains a NUL byte"),
        ({"args": ["echo", "a\0b"]}, "contains a NUL byte"),
    ]
    for changes, words in raw:
        spec = {"worker": "shell", "args": ["true"], **changes}
        reply = ipc.call(socket_path(wd.db), {"v": 1, "op": "add", "spec": spec}, timeout=30.0)
        assert reply is not None and reply["ok"] is False and reply["exit"] == 2, (changes, reply)
        assert words in reply["error"] and "internal error" not in reply["error"], (changes, reply)
    assert wd.ok("list", "--json") == before == "[]\n"
    assert wd.ping() is not None  # the owner is fine
    assert wd.stop(serve) == 0


def test_a_folder_as_the_database_is_refused_without_a_lock_beside_it(wd: Workdeck, tmp_path: Path) -> None:
    folder = tmp_path / "data.db"
    folder.mkdir()
    for argv in (["add", "--", "true"], ["list"], ["import", _manifests(tmp_path)["nul_args"]]):
        result = wd.run(*argv, db=folder)
        _assert_refused((result.returncode, result.stdout, result.stderr), str(argv), "is a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.db", "huge_retries.toml", "nul_args.toml",
                                                          "nul_tag.toml"]
    assert list(folder.iterdir()) == []
