"""The command line in process: options -> TaskSpec, output forms, exit statuses.

No owner runs here, so writes go straight to the database (the socket path is
covered in tests/engine/test_owner.py and tests/e2e).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.errors import BadInputError
from engine.model import Backoff, Constraint, Kind, MissedPolicy, Schedule, TaskSpec, UniquePolicy
from engine.store import Store
from ui import cli
from ui.cli import spec as cli_spec
from tests.contract import assert_task_json

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="wd-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    monkeypatch.delenv("WORKDECK_DB", raising=False)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "work.db"


def spec(*argv: str, command: tuple[str, ...] = ("echo", "hi")) -> TaskSpec:
    args, extra = cli.build_parser().parse_known_args(["add", *argv])
    assert not extra
    return cli_spec.spec_from_args(args, NOW, worker="shell", task_args=list(command))


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------- options -> spec


def test_the_default_is_immediate_and_keeps_the_argv_untouched() -> None:
    got = spec(command=("sh", "-c", "echo --now; exit 3"))
    assert got.kind is Kind.IMMEDIATE and got.run_at is None and got.schedule is None
    assert got.args == ("sh", "-c", "echo --now; exit 3")


@pytest.mark.parametrize(
    ("argv", "kind", "run_at"),
    [
        (["--now"], Kind.IMMEDIATE, None),
        (["--defer"], Kind.DEFERRED, None),
        (["--in", "1h30m"], Kind.DEFERRED, NOW + timedelta(minutes=90)),
        (["--in", "500ms"], Kind.DEFERRED, NOW + timedelta(milliseconds=500)),
        (["--at", "2026-03-02T14:30:00.250+01:00"], Kind.EXACT, datetime(2026, 3, 2, 13, 30, 0, 250000, tzinfo=UTC)),
        (["--at", "14:30", "--tz", "Europe/Berlin"], Kind.EXACT, datetime(2026, 3, 2, 13, 30, tzinfo=UTC)),
        (["--at", "08:00", "--tz", "UTC"], Kind.EXACT, datetime(2026, 3, 3, 8, 0, tzinfo=UTC)),  # the next 08:00
        (["--every", "15m"], Kind.DEFERRED, None),
        (["--in", "1m", "--cron", "0 8 * * 1-5"], Kind.DEFERRED, NOW + timedelta(minutes=1)),
        (["--at", "2020-01-01T08:00:00+00:00", "--every", "1d"], Kind.EXACT, datetime(2020, 1, 1, 8, tzinfo=UTC)),
        (["--at", "2020-01-01T08:00:00+00:00", "--now-if-past"], Kind.EXACT, NOW),
    ],
)
def test_when_options_choose_the_kind_and_the_first_instant(
    argv: list[str], kind: Kind, run_at: datetime | None
) -> None:
    got = spec(*argv)
    assert got.kind is kind and got.run_at == run_at


def test_every_option_lands_in_the_spec() -> None:
    got = spec(
        "--in", "10s", "--every", "1h", "--tz", "Europe/Berlin", "--name", "sync", "--policy", "replace",
        "--tag", "b", "--tag", "a", "--retries", "3", "--backoff", "linear", "--backoff-delay", "45s",
        "--timeout", "2m", "--requires", "network", "--requires", "ac-power",
    )
    assert got.schedule == Schedule(every=3600.0, tz="Europe/Berlin")
    assert (got.name, got.policy, got.tags) == ("sync", UniquePolicy.REPLACE, ("a", "b"))
    assert (got.retry.max_retries, got.retry.backoff, got.retry.delay) == (3, Backoff.LINEAR, 45.0)
    assert got.timeout == 120.0
    assert set(got.constraints) == {Constraint.NETWORK, Constraint.AC_POWER}
    assert TaskSpec.from_json(json.loads(json.dumps(got.to_json()))) == got  # the socket's round trip


def test_retries_alone_keep_the_default_backoff() -> None:
    got = spec("--retries", "2")
    assert (got.retry.max_retries, got.retry.backoff, got.retry.delay) == (2, Backoff.EXPONENTIAL, 30.0)


def test_after_and_missed() -> None:
    assert spec("--after", "abc", "--after", "def", "--after", "abc").after == ("abc", "def")
    assert spec("--at", "10:00", "--missed", "skip").missed is MissedPolicy.SKIP


def test_rrule_flex_grace_and_before() -> None:
    weekly = spec("--at", "2026-03-02T09:00:00+00:00", "--rrule", "FREQ=WEEKLY;BYDAY=MO,WE", "--tz", "Europe/Berlin")
    assert weekly.kind is Kind.EXACT and weekly.schedule is not None
    assert (weekly.schedule.rrule, weekly.schedule.tz) == ("FREQ=WEEKLY;BYDAY=MO,WE", "Europe/Berlin")
    periodic = spec("--defer", "--every", "1h", "--flex", "15m")
    assert periodic.schedule is not None and (periodic.schedule.every, periodic.schedule.flex) == (3600, 900)
    assert spec("--at", "10:00", "--grace", "10m").grace == 600
    args, _ = cli.build_parser().parse_known_args(["remind", "--at", "10:00", "--before", "5m", "tea"])
    got = cli_spec.spec_from_args(args, NOW, worker="reminder", task_args=["tea"])
    assert got.remind_before == 300


def test_remind_is_an_exact_reminder() -> None:
    args, _ = cli.build_parser().parse_known_args(["remind", "--in", "10m", "stretch"])
    got = cli_spec.spec_from_args(args, NOW, worker="reminder", task_args=["stretch"])
    assert (got.worker, got.kind, got.args, got.run_at) == ("reminder", Kind.EXACT, ("stretch",), NOW + timedelta(minutes=10))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--now", "--every", "1h"], "--now runs once"),
        (["--policy", "replace"], "--policy needs --name"),
        (["--requires", "network"], "--requires is for deferred work"),
        (["--at", "10:00", "--requires", "network"], "--requires is for deferred work"),
        (["--at", "10:00", "--after", "abc"], "--after cannot be combined with --at"),
        (["--at", "2026-03-02T08:59:59+00:00"], "that time has passed"),
        (["--at", "tomorrow"], "malformed time"),
        (["--at", "25:00"], "malformed time"),
        (["--cron", "every day"], "invalid cron expression"),
        (["--every", "1h", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--at", "10:00", "--tz", ""], "unknown time zone"),  # was ignored: the user's zone instead
        (["--every", "1h", "--tz", ""], "unknown time zone"),
        (["--now-if-past"], "--now-if-past only applies to --at"),
        (["--defer", "--missed", "skip"], "--missed only applies to alarms"),
        (["--name", " "], "must not be empty"),
        (["--rrule", "FREQ=SOMETIMES"], "invalid RRULE"),
        (["--at", "10:00", "--every", "1h", "--flex", "10m"], "--flex applies to deferred periodic work"),
        (["--defer", "--every", "1h", "--flex", "2h"], "flex window must be between 0 and the interval"),
        (["--defer", "--grace", "1h"], "--grace only applies to alarms"),
    ],
)
def test_contradictions_are_bad_input(argv: list[str], words: str) -> None:
    with pytest.raises(BadInputError, match=words.replace("(", r"\(")):
        spec(*argv)


# ---------------------------------------------------------------- commands


def test_add_prints_the_id_and_list_json_has_the_contract_form(capsys: Any, db: Path) -> None:
    status, out, err = run(capsys, "--db", db, "add", "--defer", "--tag", "x", "--", "echo", "hi")
    assert (status, err) == (0, "")
    task_id = out.strip()
    status, out, _ = run(capsys, "--db", db, "list", "--json")
    (task,) = json.loads(out)
    assert_task_json(task)
    assert (task["id"], task["kind"], task["state"], task["command"], task["tags"], task["attempts"]) == (
        task_id, "deferred", "enqueued", ["echo", "hi"], ["x"], 0)
    assert task["runs"] == [] and task["name"] is None


def test_add_json_and_show_json_agree(capsys: Any, db: Path) -> None:
    status, out, _ = run(capsys, "--db", db, "add", "--json", "--in", "1h", "--name", "n", "--", "true")
    added = json.loads(out)
    assert_task_json(added)
    status, out, _ = run(capsys, "--db", db, "show", added["id"], "--json")
    assert json.loads(out) == added


def test_remind_joins_the_message_words(capsys: Any, db: Path) -> None:
    status, out, _ = run(capsys, "--db", db, "remind", "--in", "10m", "take", "a", "break", "--json")
    task = json.loads(out)
    assert (status, task["kind"], task["state"], task["message"], task["command"]) == (
        0, "exact", "scheduled", "take a break", [])


def test_human_list_and_show(capsys: Any, db: Path) -> None:
    run(capsys, "--db", db, "add", "--in", "1h", "--tag", "nightly", "--retries", "2", "--", "sh", "-c", "echo x")
    status, out, _ = run(capsys, "--db", db, "list")
    header, row = out.splitlines()
    assert header.split()[:3] == ["ID", "KIND", "STATE"]
    assert "deferred" in row and "enqueued" in row and "#nightly" in row and "sh -c 'echo x'" in row
    status, out, _ = run(capsys, "--db", db, "show", row.split()[0])
    assert "state:     enqueued (due " in out and "retry:     2 retries, exponential backoff from 30s" in out
    assert out.rstrip().endswith("runs:      none yet")


def test_list_and_reminders_keep_one_line_a_task_whatever_the_text(capsys: Any, db: Path) -> None:
    # A newline in a name, a tag, an argument or a message printed raw: `list` and
    # `reminders` (TASK-ID STATUS DUE MESSAGE per line) split one task over two lines.
    from engine.clock import SystemClock
    from engine.model import Reminder, ReminderStatus

    run(capsys, "--db", db, "add", "--defer", "--name", "two\nlines", "--tag", "a\tb", "--",
        "printf", "x\ny", "it's\x1b[2J", "plain")
    reminder = run(capsys, "--db", db, "remind", "--in", "1h", "tea\nnow")[1].strip()
    status, out, _ = run(capsys, "--db", db, "list")
    header, *rows = out.splitlines()
    assert status == 0 and len(rows) == 2, out
    assert "two\\nlines #a\\tb" in out and "printf $'x\\ny' $'it\\'s\\x1b[2J' plain" in out
    store = Store(db)
    with store.transaction():
        store.add_reminder(Reminder(reminder, "tea\nnow", NOW, None, status=ReminderStatus.MISSED),
                           SystemClock().now_us())
    store.close()
    status, out, _ = run(capsys, "--db", db, "reminders")
    assert status == 0 and out.count("\n") == 1 and out.split()[:2] == [reminder, "missed"], out
    assert out.rstrip("\n").endswith("  tea\\nnow")
    assert json.loads(run(capsys, "--db", db, "reminders", "--json")[1])[0]["message"] == "tea\nnow"  # exact


def test_now_if_past_fires_at_once_instead_of_being_refused(capsys: Any, db: Path) -> None:
    # The command line moved the time to its "now" but the engine, a moment later, found
    # that past and refused it: --now-if-past never worked, with or without an owner.
    for argv in (["add", "--at", "2020-01-01T00:00", "--now-if-past", "--json", "--", "true"],
                 ["remind", "--at", "2020-01-01T00:00", "--now-if-past", "--json", "tea"]):
        before = datetime.now(UTC)
        status, out, err = run(capsys, "--db", db, *argv)
        assert (status, err) == (0, ""), err
        task = json.loads(out)
        assert task["kind"] == "exact" and task["state"] == "scheduled"
        assert datetime.fromisoformat(task["next_run_at"]) <= before + timedelta(seconds=5)


def test_list_filters(capsys: Any, db: Path) -> None:
    run(capsys, "--db", db, "add", "--defer", "--tag", "a", "--", "true")
    run(capsys, "--db", db, "add", "--at", "23:59", "--", "true")
    for argv, count in ((["--kind", "exact"], 1), (["--tag", "a"], 1), (["--state", "enqueued"], 1),
                        (["--state", "running"], 0), ([], 2)):
        status, out, _ = run(capsys, "--db", db, "list", "--json", *argv)
        assert len(json.loads(out)) == count, argv


def test_cancel_by_id_tag_and_name(capsys: Any, db: Path) -> None:
    ids = [run(capsys, "--db", db, "add", "--defer", "--tag", "t", "--", "true")[1].strip() for _ in range(2)]
    named = run(capsys, "--db", db, "add", "--defer", "--name", "nm", "--", "true")[1].strip()
    assert run(capsys, "--db", db, "cancel", ids[0]) == (0, f"{ids[0]} cancelled\n", "")
    status, out, _ = run(capsys, "--db", db, "cancel", "--tag", "t")
    assert status == 0 and out == f"{ids[1]} cancelled\n"  # only unfinished tasks match
    assert run(capsys, "--db", db, "cancel", "--name", "nm")[:2] == (0, f"{named} cancelled\n")
    assert run(capsys, "--db", db, "cancel", "--name", "nm") == (3, "", "workdeck: no such task: name nm\n")


def test_log_of_a_task_that_never_ran_is_empty(capsys: Any, db: Path) -> None:
    task_id = run(capsys, "--db", db, "add", "--defer", "--", "true")[1].strip()
    assert run(capsys, "--db", db, "log", task_id) == (0, "", "")


@pytest.mark.parametrize("argv", [["show", "nope"], ["log", "nope"], ["cancel", "nope"], ["show", "nope", "--json"]])
def test_no_such_task_is_status_3(capsys: Any, db: Path, argv: list[str]) -> None:
    run(capsys, "--db", db, "add", "--defer", "--", "true")
    before = db.read_bytes()
    assert run(capsys, "--db", db, *argv) == (3, "", "workdeck: no such task: nope\n")
    assert db.read_bytes() == before


@pytest.mark.parametrize("argv", [["show", "x"], ["log", "x"], ["cancel", "x"], ["list"]])
def test_reading_a_database_that_does_not_exist_creates_nothing(capsys: Any, tmp_path: Path, argv: list[str]) -> None:
    status, _, _ = run(capsys, "--db", tmp_path / "none.db", *argv)
    assert status == (0 if argv == ["list"] else 3)
    assert list(tmp_path.iterdir()) == []


BAD_ADDS = [
    (["add", "--bogus", "--", "true"], "add: unrecognized arguments: --bogus"),
    (["add", "--"], "add: missing the command after --"),
    (["add", "echo", "hi"], "add: put the command after --"),
    (["add", "--in", "5x", "--", "true"], "malformed duration '5x'"),
    (["add", "--timeout", "0s", "--", "true"], "must be longer than zero"),
    (["add", "--retries", "-1", "--", "true"], "must be 0 or more"),
    (["add", "--at", "2001-01-01T00:00:00", "--", "true"], "that time has passed"),
    (["add", "--defer", "--requires", "wifi", "--", "true"], "invalid choice: 'wifi'"),
    (["add", "--defer", "--at", "10:00", "--", "true"], "not allowed with argument"),
    (["add", "--after", "nope", "--", "true"], "--after nope: no such task"),
    (["remind", "--in", "5m"], "remind: missing the MESSAGE"),
    (["remind", "stretch"], "one of the arguments --in --at is required"),
    (["list", "--state", "sleeping"], "invalid choice: 'sleeping'"),
    (["cancel"], "cancel: give one of ID, --tag TAG or --name NAME"),
    (["cancel", "x", "--tag", "y"], "cancel: give one of ID"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "words"), BAD_ADDS)
def test_bad_input_is_one_line_status_2_and_writes_nothing(
    capsys: Any, tmp_path: Path, argv: list[str], words: str
) -> None:
    db = tmp_path / "fresh.db"
    status, out, err = run(capsys, "--db", db, *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("workdeck: ") and words in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["--db", "", "add", "--", "true"], ["--db", " ", "add", "--defer", "--", "true"],
                                  ["--db", "", "list"], ["--db=", "remind", "--in", "1h", "x"]])
def test_an_empty_db_is_bad_input_not_the_users_own_database(
    capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    # `workdeck --db "$DB" add ...` with DB unset wrote to the default database.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    status, out, err = run(capsys, *argv)
    assert (status, out, err) == (2, "", "workdeck: --db: empty; give the path of a database file\n")
    assert list(tmp_path.iterdir()) == []


def test_a_stray_double_dash_is_one_line_with_one_prefix(capsys: Any, db: Path) -> None:
    assert run(capsys, "--db", db, "--", "list")[::2] == (
        2, "workdeck: unexpected -- (only add takes a command after --, and remind its MESSAGE)\n")
    assert run(capsys, "--db", db, "list", "--", "x")[2].startswith("workdeck: list: unexpected --")


def test_bad_input_leaves_an_existing_database_unchanged(capsys: Any, db: Path) -> None:
    run(capsys, "--db", db, "add", "--defer", "--", "true")
    before = {p.name: p.read_bytes() for p in db.parent.iterdir()}
    for argv, _ in BAD_ADDS:
        assert run(capsys, "--db", db, *argv)[0] == 2, argv
    assert {p.name: p.read_bytes() for p in db.parent.iterdir()} == before


def test_a_file_that_is_not_sqlite_is_refused_and_untouched(capsys: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping: milk\n")
    for argv in (["add", "--", "true"], ["list"], ["cancel", "x"], ["remind", "--in", "1m", "hi"]):
        status, _, err = run(capsys, "--db", notes, *argv)
        assert status == 2 and "is not an SQLite database" in err and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"] and notes.read_text() == "shopping: milk\n"


def test_a_database_from_a_newer_workdeck_is_refused(capsys: Any, db: Path) -> None:
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    status, _, err = run(capsys, "--db", db, "add", "--", "true")
    assert status == 2 and "written by a newer Workdeck (schema 99" in err and err.count("\n") == 1
    assert db.read_bytes() == before


def test_a_folder_that_does_not_exist_is_bad_input(capsys: Any, tmp_path: Path) -> None:
    status, _, err = run(capsys, "--db", tmp_path / "no" / "such.db", "add", "--", "true")
    assert status == 2 and "no folder" in err
    assert list(tmp_path.iterdir()) == []


def test_the_environment_and_the_default_location(
    capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run(capsys, "list")[0] == 0
    assert not (tmp_path / "data").exists()  # reading creates nothing
    task_id = run(capsys, "add", "--defer", "--", "true")[1].strip()
    assert Store(tmp_path / "data" / "workdeck" / "workdeck.db").task(task_id).id == task_id
    monkeypatch.setenv("WORKDECK_DB", str(tmp_path / "env.db"))
    env_id = run(capsys, "add", "--defer", "--", "true")[1].strip()
    assert Store(tmp_path / "env.db").task(env_id).id == env_id
    assert run(capsys, "--db", tmp_path / "opt.db", "list", "--json")[1] == "[]\n"  # --db wins over the env


def test_help_exits_0(capsys: Any) -> None:
    assert cli.main(["add", "--help"]) == 0
    assert "--backoff-delay" in capsys.readouterr().out


def test_the_manifest_commands_are_wired_to_the_same_database(capsys: Any, db: Path, tmp_path: Path) -> None:
    run(capsys, "--db", db, "add", "--in", "1h", "--name", "backup", "--", "true")
    out_file = tmp_path / "tasks.toml"
    assert run(capsys, "--db", db, "export", "-o", out_file)[0] == 0
    assert "backup" in out_file.read_text()
    other = tmp_path / "other.db"
    status, out, err = run(capsys, "--db", other, "import", out_file)
    assert (status, err) == (0, "") and out.startswith("added backup ")
    assert [t.name for t in Store(other).tasks()] == ["backup"]


def test_at_typed_in_a_dst_gap_keeps_the_typed_wall_time_for_the_rule() -> None:
    """--at 02:30 --every 1d typed at 01:35 on Berlin's spring-forward day: the first alarm
    is 03:00 (the gap's end), the rule keeps 02:30 for the days after (issue 11, item 12)."""
    typed_at = datetime(2027, 3, 28, 0, 35, tzinfo=UTC)  # 01:35 CET
    for repeat in (["--every", "1d"], ["--rrule", "FREQ=DAILY"]):
        args = cli.build_parser().parse_args(["add", "--at", "02:30", "--tz", "Europe/Berlin", *repeat])
        got = cli_spec.spec_from_args(args, typed_at, worker="shell", task_args=["true"])
        assert got.run_at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST
        assert got.schedule is not None and got.schedule.anchor_wall == "2027-03-28T02:30:00"
        args = cli.build_parser().parse_args(["add", "--at", "02:30", "--tz", "Europe/Berlin", "--every", "1d"])
        plain = cli_spec.spec_from_args(args, typed_at - timedelta(days=1), worker="shell", task_args=["true"])
        assert plain.schedule is not None and plain.schedule.anchor_wall is None  # 02:30 exists that day
