"""``workdeck manifest check``, ``export`` and ``import`` through their argparse handlers."""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FakeClock
from engine.engine import Engine
from engine.manifest.model import parse
from engine.model import Constraint, Kind, RetryPolicy, Schedule, State, TaskSpec, UniquePolicy
from engine.store import Store
from ui.cli.manifest import add_manifest_commands

ROOT = Path(__file__).parents[2]


def _engine(path: Path, clock: FakeClock) -> Engine:
    return Engine(Store(path), clock)


@pytest.fixture
def cli(qapp: Any, tmp_path: Path, clock: FakeClock) -> Iterator[Any]:
    engines: dict[str, Engine] = {}

    @contextlib.contextmanager
    def open_engine(args: argparse.Namespace) -> Iterator[Engine]:
        yield engines.setdefault(args.db, _engine(Path(args.db), clock))

    parser = argparse.ArgumentParser(prog="workdeck")
    parser.add_argument("--db", default=str(tmp_path / "w.db"))
    add_manifest_commands(parser.add_subparsers(dest="command", required=True), open_engine)

    def run(*argv: str) -> tuple[int, Engine | None]:
        args = parser.parse_args(list(argv))
        return args.func(args), engines.get(args.db)

    run.engine = lambda db=str(tmp_path / "w.db"): engines.setdefault(db, _engine(Path(db), clock))  # type: ignore[attr-defined]
    yield run
    for engine in engines.values():
        engine.store.close()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_manifest_check_ok_and_example(cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "m.toml", '[tasks.a]\nrun = ["true"]\nevery = "1h"\n[[receivers]]\non = "app-start"\nstart = "b"\n[tasks.b]\nworker = "thumbnails"\nargs = ["/", "/tmp/t"]\n')
    assert cli("manifest", "check", str(good))[0] == 0
    assert capsys.readouterr().out == f"{good}: ok: 2 tasks (1 standing), 1 receivers\n"


def test_manifest_check_reports_every_problem_with_file_line_key_and_exit_2(cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "m.toml", '[tasks.a]\nrun = ["true"]\nretries = "x"\n\n[[receivers]]\non = "teleport"\nstart = "a"\n')
    status, engine = cli("manifest", "check", str(bad))
    assert status == 2 and engine is None  # no database was opened: nothing written
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{bad}:3: tasks.a.retries: must be an integer, not a string",
        f"{bad}:6: receivers[0].on: unknown trigger 'teleport' (choose from app-start, power-connected, "
        "power-disconnected, network-available, user-idle, file-changed, alarm)",
    ]


def test_the_example_manifest_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.workers import register_gui_workers

    register_gui_workers()
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    for folder in ("Pictures", "Downloads"):
        (home / folder).mkdir(parents=True)
    bin_dir.mkdir()
    for tool in ("rsync", "find"):
        (bin_dir / tool).write_text("#!/bin/sh\n")
        (bin_dir / tool).chmod(0o755)
    text = (ROOT / "resources" / "manifest.example.toml").read_text()
    manifest = parse(text, "example", now=FakeClock().now(), env={"HOME": str(home), "PATH": str(bin_dir)})
    assert len(manifest.tasks) == 7 and len(manifest.receivers) == 6
    assert manifest.tasks["fetch-iso"].spec.constraints == (Constraint.NETWORK,)


@pytest.mark.posix
def test_export_then_import_round_trips_and_a_second_import_keeps_everything(
    cli: Any, tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    source = cli.engine()
    parent = source.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="fetch", tags=("x",), constraints=(Constraint.NETWORK,)))
    child = source.enqueue(TaskSpec("notify", ("done {path}",), kind=Kind.DEFERRED, after=(parent.id,)))
    source.enqueue(TaskSpec("shell", ("/bin/sh", "-c", "echo $HOME | wc"), kind=Kind.DEFERRED, name="line", retry=RetryPolicy(2, delay=90)))
    source.enqueue(TaskSpec("reminder", ("tea",), kind=Kind.EXACT, name="tea", run_at=clock.now() + timedelta(hours=2)))
    source.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="daily", schedule=Schedule(cron="0 8 * * *", tz="UTC")))
    source.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="manifest:own", origin="manifest"))
    gone = source.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="gone"))
    source.cancel(gone.id)

    out = tmp_path / "tasks.toml"
    assert cli("export", "-o", str(out))[0] == 0
    text = out.read_text()
    assert "[tasks.fetch]" in text and "manifest:own" not in text and "gone" not in text
    assert (out.stat().st_mode & 0o077) == 0

    other_db = str(tmp_path / "other.db")
    assert cli("--db", other_db, "import", str(out))[0] == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(line.split()[1] for line in lines) == sorted(["fetch", f"task-{child.id}", "line", "tea", "daily"])
    assert all(line.startswith("added ") for line in lines) and len(lines) == 5
    imported = {t.name: t for t in cli.engine(other_db).tasks()}
    originals = {t.name or f"task-{t.id}": t for t in source.tasks() if t.spec.origin == "user" and t.state is not State.CANCELLED}
    assert set(imported) == set(originals)
    for name, task in imported.items():
        want = originals[name].spec
        assert (task.spec.worker, task.spec.args, task.spec.kind, task.spec.tags, task.spec.constraints) == (
            want.worker, want.args, want.kind, want.tags, want.constraints
        ), name
        assert (task.spec.schedule, task.spec.run_at, task.spec.retry) == (want.schedule, want.run_at, want.retry), name
    chained = next(t for n, t in imported.items() if n.startswith("task-"))
    assert chained.spec.after == (imported["fetch"].id,) and chained.state is State.BLOCKED

    assert cli("--db", other_db, "import", "--json", str(out))[0] == 0
    again = capsys.readouterr().out
    assert '"added": true' not in again  # names decide: everything was kept
    assert len(cli.engine(other_db).tasks()) == len(imported)


@pytest.mark.posix
def test_export_then_import_keeps_a_dollar_and_a_tilde_as_written(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Import expands $VAR and ~ in run: an exported `awk '{print $NF}'` was refused
    # ("$NF is not set") and `sh -c 'echo $HOME'` came back with the path in its place.
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.delenv("NF", raising=False)
    argvs = [("awk", "{print $NF}", "/etc/hostname"), ("sh", "-c", "echo $HOME ~"), ("ls", "~/x")]
    source = cli.engine()
    for i, argv in enumerate(argvs):
        source.enqueue(TaskSpec("shell", argv, kind=Kind.DEFERRED, name=f"t{i}"))
    source.enqueue(TaskSpec("shell", ("echo", "plain"), kind=Kind.DEFERRED, name="plain"))
    out = tmp_path / "tasks.toml"
    assert cli("export", "-o", str(out))[0] == 0
    assert out.read_text().count("expand = false") == 3  # only where it matters
    other_db = str(tmp_path / "other.db")
    assert cli("--db", other_db, "import", str(out))[0] == 0, capsys.readouterr().err
    imported = {t.name: t.spec.args for t in cli.engine(other_db).tasks()}
    assert imported == {**{f"t{i}": argv for i, argv in enumerate(argvs)}, "plain": ("echo", "plain")}


def test_expand_false_in_a_manifest_takes_run_as_written(cli: Any, tmp_path: Path) -> None:
    manifest = _write(tmp_path / "m.toml", '[tasks.a]\nrun = ["echo", "$UNSET_HERE", "~"]\nexpand = false\n')
    parsed = parse(manifest.read_text(), str(manifest), now=FakeClock().now(), env={"PATH": "/bin:/usr/bin", "HOME": "/h"})
    assert parsed.tasks["a"].spec.args == ("echo", "$UNSET_HERE", "~")


def test_import_of_a_broken_file_adds_nothing(cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "m.toml", '[tasks.a]\nrun = ["true"]\n[tasks.b]\nrun = ["true"]\nafter = ["c"]\n')
    status, engine = cli("import", str(bad))
    assert status == 2
    assert capsys.readouterr().err == f"{bad}:5: tasks.b.after[0]: no task 'c' in [tasks]\n"
    assert engine is not None and engine.tasks() == []


@pytest.mark.posix
@pytest.mark.parametrize("where", ["missing/tasks.toml", "folder"])
def test_export_to_a_file_that_cannot_be_written_is_one_line_and_leaves_nothing(
    cli: Any, tmp_path: Path, where: str
) -> None:
    # It was a traceback (FileNotFoundError, IsADirectoryError) and exit 1.
    from engine.errors import BadInputError

    (tmp_path / "folder").mkdir()
    target = tmp_path / where
    with pytest.raises(BadInputError, match=rf"^export: cannot write {target}: ") as refused:
        cli("export", "-o", str(target))
    assert refused.value.exit_status == 2 and "\n" not in str(refused.value)
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == []
    assert not (tmp_path / "missing").exists()


@pytest.mark.posix
def test_export_writes_into_a_pipe_or_a_link_and_never_replaces_them(cli: Any, tmp_path: Path) -> None:
    # -o replaced whatever it named with a regular file: `export -o /dev/null` (as root)
    # put a file in place of /dev/null, `-o >(gzip > x)` wrote nowhere, a link became a file.
    import threading

    cli.engine().enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="thé"))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert cli("export", "-o", str(fifo))[0] == 0
    reader.join(10)
    assert b'[tasks."th\xc3\xa9"]' in got[0] and stat.S_ISFIFO(fifo.lstat().st_mode)
    real, link = tmp_path / "real.toml", tmp_path / "link.toml"
    real.write_text("old")
    link.symlink_to(real)
    assert cli("export", "-o", str(link))[0] == 0
    assert link.is_symlink() and real.read_bytes() == got[0]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("w.db")) == ["link.toml", "pipe", "real.toml"]


def test_export_on_stdout_marks_a_shell_line(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cli.engine().enqueue(TaskSpec("shell", ("/bin/sh", "-c", "a | b"), kind=Kind.DEFERRED, name="pipe", policy=UniquePolicy.REPLACE))
    assert cli("export")[0] == 0
    text = capsys.readouterr().out
    assert '[tasks.pipe]\nrun = "a | b"\nshell = true\nkind = "deferred"\npolicy = "replace"\n' in text
