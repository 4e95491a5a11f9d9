"""The quick path of ``workdeck add`` (ui.cli.thin) builds exactly the spec the full
command line builds, and leaves every other form to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
import pytest

from engine.model import TaskSpec
from ui import cli
from ui.cli import spec as cli_spec
from ui.cli import thin as cli_thin

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

QUICK_FORMS = [
    ["add", "--", "true"],
    ["--db", "/x/y.db", "add", "--", "sh", "-c", "echo --now; exit 3"],
    ["add", "--now", "--", "true"],
    ["add", "--defer", "--", "true", "--json"],
    ["add", "--name", "nightly", "--tag", "b", "--tag", "a", "--tag", "b", "--json", "--", "x"],
    ["add", "--tag", " ", "--defer", "--", "true"],  # the owner refuses it, in the full path's words
    ["add", "--name", "", "--", "true"],
    ["add", "--", ""],
    ["add", "--", "--", "-x"],
]


@pytest.mark.parametrize("argv", QUICK_FORMS, ids=" ".join)
def test_the_quick_spec_is_the_full_command_lines(argv: list[str]) -> None:
    parsed = cli_thin.parse_add(argv)
    assert parsed is not None
    db, compact, as_json = parsed
    split = argv.index("--")
    args, extra = cli.build_parser().parse_known_args(argv[:split])
    assert not extra and args.command == "add"
    full = cli_spec.spec_from_args(args, NOW, worker="shell", task_args=argv[split + 1 :], check=False)
    # What the owner builds from each request, after the JSON round trip of the socket.
    assert TaskSpec.from_json(json.loads(json.dumps(compact))) == TaskSpec.from_json(json.loads(json.dumps(
        full.to_json())))
    assert (db, as_json) == (args.db, args.json)


@pytest.mark.parametrize("argv", [
    ["add", "true"], ["add", "--"], ["list"], ["--help"], ["add", "--help", "--", "true"],
    ["add", "--in", "1h", "--", "true"], ["add", "--now", "--defer", "--", "true"], ["add", "--de", "--", "true"],
    ["add", "--name=x", "--", "true"], ["add", "--name", "-x", "--", "true"], ["add", "--name", "a", "--name", "b",
                                                                                "--", "true"],
    ["add", "--json", "--json", "--", "true"], ["--db", "--", "true"], ["--db", "a", "--db", "b", "add", "--", "x"],
    ["--hidden", "add", "--", "true"], ["add", "--db", "x", "--", "true"], ["remind", "--", "tea"],
    ["add", "--tag", "--", "true"],
])
def test_any_other_form_is_left_to_the_full_command_line(argv: list[str]) -> None:
    assert cli_thin.parse_add(argv) is None


@pytest.mark.parametrize("data_home", [None, "", "relative/data", "/elsewhere/data"])
def test_the_default_database_is_platformdirs_one(monkeypatch: pytest.MonkeyPatch, data_home: str | None) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    if data_home is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", data_home)
    assert cli_thin.default_db() == f"{platformdirs.user_data_dir('workdeck')}/workdeck.db"


def test_an_unusual_home_is_left_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", "relative")
    assert cli_thin.default_db() is None


def test_with_no_owner_the_quick_path_sends_nothing_and_leaves_the_add_to_the_full_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "work.db"
    assert cli_thin.add_through_owner(["--db", str(db), "add", "--", "true"]) is None  # no database yet
    db.write_bytes(b"")
    (tmp_path / "run").mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert cli_thin.add_through_owner(["--db", str(db), "add", "--", "true"]) is None  # no owner listening
