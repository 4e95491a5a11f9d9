"""Parsing the manifest: every trigger, the compiled specs, and every error with file, line and key."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent

import pytest

from engine.manifest.model import Manifest, ManifestError, Trigger, load, parse
from engine.manifest.text import KeyLines, format_key
from engine.model import Backoff, Constraint, Kind, UniquePolicy
from engine.platforms.shell_line import shell_argv

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    (home / "Pictures").mkdir(parents=True)
    (home / "Downloads").mkdir()
    bin_dir.mkdir()
    tool = bin_dir / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    return {"HOME": str(home), "PATH": str(bin_dir), "DEST": str(home / "Downloads"), "TZ": "UTC"}


def _parse(text: str, env: dict[str, str]) -> Manifest:
    return parse(dedent(text), "m.toml", now=NOW, env=env)


def _problems(text: str, env: dict[str, str]) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        _parse(text, env)
    return [str(p) for p in caught.value.problems]


ALL_TRIGGERS = """
    [tasks.job]
    run = ["tool", "~/Pictures", "${DEST}/x", "$HOME"]

    [[receivers]]
    on = "app-start"
    start = "job"

    [[receivers]]
    on = "power-connected"
    start = ["job"]

    [[receivers]]
    on = "power-disconnected"
    start = "job"

    [[receivers]]
    on = "network-available"
    start = "job"

    [[receivers]]
    name = "idle ten"
    on = "user-idle"
    minutes = 10
    start = "job"

    [[receivers]]
    on = "file-changed"
    path = "~/Pictures"
    debounce = "5s"
    start = "job"

    [[receivers]]
    on = "alarm"
    at = "07:30"
    start = "job"

    [receivers.weekly]
    on = "alarm"
    cron = "0 8 * * 1"
    tz = "Europe/Berlin"
    start = "job"
"""


def test_every_trigger_parses(env: dict[str, str]) -> None:
    with pytest.raises(ManifestError, match="receivers"):
        _parse(ALL_TRIGGERS, env)  # [[receivers]] and [receivers.NAME] cannot be mixed: TOML says so
    manifest = _parse(ALL_TRIGGERS.split("[receivers.weekly]")[0], env)
    assert [r.trigger for r in manifest.receivers] == [
        Trigger.APP_START, Trigger.POWER_CONNECTED, Trigger.POWER_DISCONNECTED, Trigger.NETWORK_AVAILABLE,
        Trigger.USER_IDLE, Trigger.FILE_CHANGED, Trigger.ALARM,
    ]
    idle, files, alarm = manifest.receivers[4], manifest.receivers[5], manifest.receivers[6]
    assert (idle.label, idle.minutes) == ("idle ten", 10.0)
    assert (files.path, files.debounce) == (f"{env['HOME']}/Pictures", 5.0)
    (spec,) = alarm.alarms
    assert spec.kind is Kind.EXACT and spec.schedule is not None and spec.schedule.cron == "30 7 * * *"
    assert spec.name == "manifest:job@alarm 07:30" and spec.origin == "manifest"
    assert manifest.tasks["job"].spec.args == ("tool", f"{env['HOME']}/Pictures", f"{env['HOME']}/Downloads/x", env["HOME"])
    assert manifest.standing_specs() == [spec]


def test_named_receiver_tables(env: dict[str, str]) -> None:
    text = '[tasks.job]\nrun = ["tool"]\n' + ALL_TRIGGERS.split("[receivers.weekly]")[1].join(["[receivers.weekly]", ""])
    manifest = _parse(text, env)
    (weekly,) = manifest.receivers
    assert weekly.label == "weekly"
    assert weekly.alarms[0].schedule is not None and weekly.alarms[0].schedule.tz == "Europe/Berlin"


def test_task_keys_compile_to_a_spec(env: dict[str, str]) -> None:
    manifest = _parse(
        """
        [tasks.backup]
        run = ["tool", "-a"]
        every = "1d"
        requires = ["ac-power", "network"]
        retries = 3
        backoff = "linear"
        backoff_delay = "5m"
        timeout = "2h"
        tags = ["b", "a"]
        input = { depth = 2, names = ["x"] }

        [tasks.get]
        worker = "download"
        args = ["https://example.org/f.iso", "$DEST/"]
        policy = "replace"

        [tasks.done]
        worker = "notify"
        args = ["saved {path}"]
        after = ["get"]

        [tasks.line]
        run = "tool | tool > ~/out"
        shell = true

        [tasks.once]
        worker = "notify"
        args = ["hello"]
        at = 2026-03-01T10:00:00Z
        """,
        env,
    )
    backup = manifest.tasks["backup"].spec
    assert (backup.name, backup.origin, backup.kind, backup.worker) == ("manifest:backup", "manifest", Kind.DEFERRED, "shell")
    assert backup.schedule is not None and backup.schedule.every == 86400
    assert backup.constraints == (Constraint.AC_POWER, Constraint.NETWORK)
    assert (backup.retry.max_retries, backup.retry.backoff, backup.retry.delay) == (3, Backoff.LINEAR, 300)
    assert (backup.timeout, backup.tags, backup.input) == (7200, ("a", "b"), {"depth": 2, "names": ["x"]})
    get = manifest.tasks["get"].spec
    assert get.constraints == (Constraint.NETWORK,)  # implied by the download worker
    assert get.args == ("https://example.org/f.iso", env["DEST"] + "/") and get.policy is UniquePolicy.REPLACE
    assert manifest.tasks["line"].spec.args == tuple(shell_argv("tool | tool > ~/out"))  # not expanded
    once = manifest.tasks["once"].spec
    assert once.kind is Kind.EXACT and once.run_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert [t.key for t in manifest.chain("done")] == ["get", "done"]
    assert {s.name for s in manifest.standing_specs()} == {"manifest:backup", "manifest:once"}
    assert manifest.tasks["done"].standing is False


def test_chains_start_prerequisites_once_in_order(env: dict[str, str]) -> None:
    manifest = _parse(
        """
        [tasks.a]
        run = ["tool"]
        [tasks.b]
        run = ["tool"]
        after = ["a"]
        [tasks.c]
        run = ["tool"]
        after = ["a"]
        [tasks.d]
        run = ["tool"]
        after = ["b", "c"]
        """,
        env,
    )
    assert [t.key for t in manifest.chain("d")] == ["a", "b", "c", "d"]


# (text, the one problem expected: "m.toml:LINE: KEY: message fragment")
BAD = {
    "unknown trigger": (
        '[tasks.a]\nrun = ["tool"]\n\n[[receivers]]\non = "usb-plugged"\nstart = "a"\n',
        "m.toml:5: receivers[0].on: unknown trigger 'usb-plugged' (choose from app-start,",
    ),
    "unknown task key": ('[tasks.a]\nrun = ["tool"]\ncolour = "red"\n', "m.toml:3: tasks.a.colour: unknown key in a task"),
    "key of another trigger": (
        '[tasks.a]\nrun = ["tool"]\n[[receivers]]\non = "power-connected"\nminutes = 3\nstart = "a"\n',
        'm.toml:5: receivers[0].minutes: unknown key in an "power-connected" receiver',
    ),
    "unknown top-level key": ('colour = 1\n', "m.toml:1: colour: unknown top-level key"),
    "wrong type": ('[tasks.a]\nrun = ["tool"]\nretries = "three"\n', "m.toml:3: tasks.a.retries: must be an integer, not a string"),
    "bool is not an integer": ('[tasks.a]\nrun = ["tool"]\nretries = true\n', "m.toml:3: tasks.a.retries: must be an integer, not true or false"),
    "array of non-strings": ('[tasks.a]\nrun = ["tool"]\ntags = [1]\n', "m.toml:3: tasks.a.tags: must be an array of strings, not an array holding an integer"),
    "shell string without shell": ('[tasks.a]\nrun = "tool -x"\n', "m.toml:2: tasks.a.run: must be an argv array"),
    "shell with an argv": ('[tasks.a]\nrun = ["tool"]\nshell = true\n', "m.toml:2: tasks.a.run: with shell = true, run must be one command line"),
    "missing worker": ('[tasks.a]\nworker = "teleport"\n', "m.toml:2: tasks.a.worker: unknown worker 'teleport' (known:"),
    "worker args": ('[tasks.a]\nworker = "download"\nargs = ["ftp://x/y", "/tmp/y"]\n', "m.toml:3: tasks.a.args: download: 'ftp://x/y' is not an http"),
    "no work": ('[tasks.a]\ntags = ["x"]\n', 'm.toml:1: tasks.a: a task needs run = ["command", "arg", ...] or worker = "..."'),
    "cycle": (
        '[tasks.a]\nrun = ["tool"]\nafter = ["b"]\n\n[tasks.b]\nrun = ["tool"]\nafter = ["a"]\n',
        "m.toml:7: tasks.b.after: tasks form a cycle: a -> b -> a",
    ),
    "self cycle": ('[tasks.a]\nrun = ["tool"]\nafter = ["a"]\n', "m.toml:3: tasks.a.after: tasks form a cycle: a -> a"),
    "unknown prerequisite": ('[tasks.a]\nrun = ["tool"]\nafter = ["zz"]\n', "m.toml:3: tasks.a.after[0]: no task 'zz' in [tasks]"),
    "watched path missing": (
        '[tasks.a]\nrun = ["tool"]\n[[receivers]]\non = "file-changed"\npath = "~/Nope"\nstart = "a"\n',
        "m.toml:5: receivers[0].path: path does not exist: ",
    ),
    "copy source missing": ('[tasks.a]\nworker = "copy"\nargs = ["~/Gone", "~/x"]\n', "m.toml:3: tasks.a.args[0]: path does not exist: "),
    "command not found": ('[tasks.a]\nrun = ["no-such-tool", "x"]\n', "m.toml:2: tasks.a.run[0]: command 'no-such-tool': not found on PATH"),
    "unset variable": ('[tasks.a]\nrun = ["tool", "$NOPE/x"]\n', "m.toml:2: tasks.a.run[1]: $NOPE is not set"),
    "start of an unknown task": ('[[receivers]]\non = "app-start"\nstart = "ghost"\n', "m.toml:3: receivers[0].start: no task 'ghost' in [tasks]"),
    "receiver without start": ('[[receivers]]\non = "app-start"\n', 'm.toml:1: receivers[0]: a receiver needs start = "task"'),
    "idle without minutes": (
        '[tasks.a]\nrun = ["tool"]\n[[receivers]]\non = "user-idle"\nstart = "a"\n',
        "m.toml:3: receivers[0]: user-idle needs minutes = N",
    ),
    "bad cron": ('[tasks.a]\nrun = ["tool"]\ncron = "61 * * * *"\n', "m.toml:3: tasks.a.cron: invalid cron expression '61 * * * *'"),
    "bad duration": ('[tasks.a]\nrun = ["tool"]\nevery = "soon"\n', "m.toml:3: tasks.a.every: malformed duration 'soon'"),
    "two repeat rules": ('[tasks.a]\nrun = ["tool"]\nevery = "1h"\ncron = "0 * * * *"\n', "m.toml:4: tasks.a.cron: give one repeat rule, not every and cron"),
    "past instant": ('[tasks.a]\nrun = ["tool"]\nat = 2020-01-01T00:00:00Z\n', "m.toml:3: tasks.a.at: 2020-01-01T00:00:00+00:00 has passed"),
    "unknown constraint": ('[tasks.a]\nrun = ["tool"]\nrequires = ["sunshine"]\n', "m.toml:3: tasks.a.requires[0]: unknown constraint 'sunshine'"),
    "alarm without time": (
        '[tasks.a]\nrun = ["tool"]\n[[receivers]]\non = "alarm"\nstart = "a"\n',
        'm.toml:3: receivers[0]: an alarm needs cron = "..." or at = "HH:MM"',
    ),
    "receiver starts a scheduled task": (
        '[tasks.a]\nrun = ["tool"]\nevery = "1h"\n[[receivers]]\non = "app-start"\nstart = "a"\n',
        "m.toml:6: receivers[0].start: 'a' has a schedule; a receiver starts only unscheduled tasks",
    ),
    "scheduled task in a chain": (
        '[tasks.a]\nrun = ["tool"]\nevery = "1h"\nafter = ["b"]\n[tasks.b]\nrun = ["tool"]\n',
        "m.toml:4: tasks.a.after: a scheduled task cannot wait for others",
    ),
    "newer version": ('version = 2\n', "m.toml:1: version: version 2 is newer than this Workdeck reads (1)"),
    "TOML syntax": ('[tasks.a]\nrun = ["tool"\n', "m.toml:3: not valid TOML: "),
    "key in a dotted table": ('tasks.a.run = ["tool"]\ntasks.a.kind = "sometimes"\n', "m.toml:2: tasks.a.kind: unknown value 'sometimes' (choose from immediate, deferred, exact)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_error_names_file_line_and_key(case: str, env: dict[str, str]) -> None:
    text, expected = BAD[case]
    problems = _problems(text, env)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


def test_all_problems_are_reported_and_references_to_broken_tasks_are_not_repeated(env: dict[str, str]) -> None:
    problems = _problems(
        """
        [tasks.a]
        run = ["tool"]
        retries = -1

        [tasks.b]
        worker = "teleport"

        [[receivers]]
        on = "app-start"
        start = "b"

        [[receivers]]
        on = "nonsense"
        start = "a"
        """,
        env,
    )
    assert [p.split(": ")[0:2] for p in problems] == [
        ["m.toml:4", "tasks.a.retries"], ["m.toml:7", "tasks.b.worker"], ["m.toml:14", "receivers[1].on"],
    ]
    with pytest.raises(ManifestError, match=r"\(and 2 more\)$"):
        _parse("[tasks.a]\nrun = ['tool']\nretries = -1\n[tasks.b]\nworker = 'x'\n[[receivers]]\non = 'x'\nstart='a'\n", env)


def test_load_reads_a_file_and_names_it(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text('[tasks.a]\nrun = ["tool"]\n')
    path.chmod(0o600)
    assert load(path, now=NOW, env=env).tasks["a"].line == 1
    path.write_text('[tasks.a]\nrun = ["tool"]\nnope = 1\n')
    with pytest.raises(ManifestError, match=rf"^{path}:3: tasks.a.nope: unknown key"):
        load(path, now=NOW, env=env)
    with pytest.raises(ManifestError, match=rf"^{tmp_path}/missing.toml:1: no such file$"):
        load(tmp_path / "missing.toml", now=NOW, env=env)


@pytest.mark.posix
@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_a_manifest_others_can_write_is_refused(tmp_path: Path, env: dict[str, str], mode: int) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text('[tasks.a]\nrun = ["tool"]\n')
    path.chmod(mode)
    with pytest.raises(ManifestError, match=r"refused: other users can write it .*chmod go-w"):
        load(path, now=NOW, env=env)


@pytest.mark.posix
def test_a_manifest_in_a_folder_others_can_write_is_refused_unless_sticky(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "manifest.toml"
    path.write_text('[tasks.a]\nrun = ["tool"]\n')
    path.chmod(0o600)
    folder.chmod(0o777)
    with pytest.raises(ManifestError, match="its folder is writable by them"):
        load(path, now=NOW, env=env)
    folder.chmod(0o777 | stat.S_ISVTX)  # like /tmp: others cannot replace our file
    assert "a" in load(path, now=NOW, env=env).tasks


@pytest.mark.posix
@pytest.mark.skipif(os.name == "posix" and os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_manifest_owned_by_another_user_is_refused(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "manifest.toml"
    path.write_text('[tasks.a]\nrun = ["tool"]\n')
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    monkeypatch.setattr(os, "getuid", lambda: 1000)  # we are not root, and not 65534
    with pytest.raises(ManifestError, match="refused: owned by uid 65534"):
        load(path, now=NOW, env=env)


def test_key_lines_follow_tables_arrays_and_multiline_values() -> None:
    text = dedent(
        '''\
        # comment
        version = 1
        [tasks.a]
        run = [
          "x = 1",
        ]
        description = """
        retries = 5
        """
        retries = 2
        "quoted.key" = 1
        [[receivers]]
        on = "a"
        [[receivers]]
        on = "b"   # [not a table]
        [receivers.extra]
        k = 1
        '''
    )
    lines = KeyLines(text)
    assert lines.line(("version",)) == 2
    assert lines.line(("tasks", "a", "run")) == 4
    assert lines.line(("tasks", "a", "retries")) == 10
    assert lines.line(("tasks", "a", "quoted.key")) == 11
    assert lines.line(("receivers", 1, "on")) == 15
    assert lines.line(("receivers", 1, "extra", "k")) == 17
    assert lines.line(("tasks", "a", "not-there")) == 3  # the nearest known table
    assert format_key(("tasks", "a b", "args", 2)) == 'tasks."a b".args[2]'


@pytest.mark.parametrize(("lines", "problem"), [
    ('retries = 1000000000000000000', "m.toml:3: tasks.a.retries: must be at most 1000"),
    ('retries = 1\nbackoff_delay = 1e300', "m.toml:4: tasks.a.backoff_delay: must be at most 100 years (36525d)"),
    ('every = "99999999999d"', "m.toml:3: tasks.a.every: duration '99999999999d' is too long: at most 100 years (36525d)"),
    ('timeout = nan', "m.toml:3: tasks.a.timeout: must be positive"),
    ('timeout = inf', "m.toml:3: tasks.a.timeout: must be at most 100 years (36525d)"),
    ('run = ["echo", "a\\u0000b"]', "m.toml:1: tasks.a: an argument 'a\\x00b' contains a NUL byte"),
    ('tags = ["x\\u0000"]', "m.toml:1: tasks.a: tag 'x\\x00' contains a NUL byte"),
])
def test_absurd_values_are_one_problem_each_not_a_crash(lines: str, problem: str) -> None:
    """Issue 11, item 10: each was accepted (and broke later) or a traceback."""
    body = lines if lines.startswith("run") else 'run = ["true"]\n' + lines
    with pytest.raises(ManifestError) as caught:
        parse(f"[tasks.a]\n{body}\n", "m.toml", now=NOW)
    assert [str(p) for p in caught.value.problems] == [problem]
