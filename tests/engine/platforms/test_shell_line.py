"""``shell = true`` runs the platform's shell: ``/bin/sh -c`` on POSIX, ``cmd /d /s /c``
(COMSPEC) on Windows. Windows' side is checked at its seams with ``sys.platform``
patched: the manifest's argv, its export, and what the shell worker gives Popen (cmd.exe
cannot run here; CI's Windows runner runs it)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.manifest.model import parse
from engine.manifest.io import export_manifest
from engine.model import Kind, State, Task, TaskSpec
from engine.platforms.shell_line import popen_args, shell_argv, shell_line
from engine.platforms import spawn as spawn_module
from engine.workers.base import WorkContext
from engine.workers.shell import ShellWorker
from tests.engine.platforms.doubles import JobObjectDouble

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
CMD = r"C:\Windows\system32\cmd.exe"
MANIFEST = '[tasks.line]\nrun = "echo \\"a b\\" && dir > out.txt"\nshell = true\n'
LINE = 'echo "a b" && dir > out.txt'


@pytest.fixture
def on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("COMSPEC", CMD)


def _parse(env: dict[str, str] | None = None) -> tuple[str, ...]:
    manifest = parse(MANIFEST, "m.toml", now=NOW, env=env or {"HOME": "/h", "PATH": "/bin", "TZ": "UTC"})
    return manifest.tasks["line"].spec.args


def test_posix_runs_sh(monkeypatch: pytest.MonkeyPatch) -> None:
    assert shell_argv(LINE, "linux") == shell_argv(LINE, "darwin") == ["/bin/sh", "-c", LINE]
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _parse() == ("/bin/sh", "-c", LINE)


def test_windows_runs_comspec_with_autorun_off(on_windows: None) -> None:
    assert _parse() == (CMD, "/d", "/s", "/c", LINE)


def test_windows_without_comspec_runs_cmd_from_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMSPEC", raising=False)
    assert shell_argv(LINE, "win32") == ["cmd.exe", "/d", "/s", "/c", LINE]


@pytest.mark.parametrize("args", [("/bin/sh", "-c", LINE), (CMD, "/d", "/s", "/c", LINE), ("cmd", "/D", "/S", "/C", LINE)])
def test_either_shell_line_exports_as_shell_true_and_reads_back(monkeypatch: pytest.MonkeyPatch,
                                                                args: tuple[str, ...]) -> None:
    assert shell_line(args) == LINE
    spec = TaskSpec(worker="shell", args=args, kind=Kind.DEFERRED, name="line")
    text = export_manifest([Task(id="abc", spec=spec, state=State.ENQUEUED, created_at=NOW)], NOW)
    assert "shell = true" in text and "/bin/sh" not in text and "cmd" not in text
    # Read back on Windows it is cmd's line; on Linux sh's: the same line either way.
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("COMSPEC", CMD)
    (back,) = parse(text, "m.toml", now=NOW, env={"HOME": "/h", "PATH": "/bin", "TZ": "UTC"}).tasks.values()
    assert back.spec.args == (CMD, "/d", "/s", "/c", LINE)


@pytest.mark.parametrize("args", [("sh", "-c", LINE), ("/bin/sh", "-c"), ("cmd", "/c", LINE), ("rsync", "-a", "x", "y", "z")])
def test_other_argvs_are_not_shell_lines(args: tuple[str, ...]) -> None:
    assert shell_line(args) is None


def test_popen_gets_cmds_line_as_one_string_quoted_as_cmd_reads_it() -> None:
    # list2cmdline would give cmd `echo \"a b\"`: backslash escapes are the C runtime's, not cmd's.
    assert popen_args([CMD, "/d", "/s", "/c", LINE], "win32") == rf'{CMD} /d /s /c "{LINE}"'
    spaced = r"C:\Program Files\cmd.exe"
    assert popen_args([spaced, "/d", "/s", "/c", "ver"], "win32") == rf'"{spaced}" /d /s /c "ver"'
    assert popen_args(["tool", "a b"], "win32") == ["tool", "a b"]  # any other argv: Popen joins it
    assert popen_args([CMD, "/d", "/s", "/c", LINE], "linux") == [CMD, "/d", "/s", "/c", LINE]
    assert popen_args(["/bin/sh", "-c", LINE], "linux") == ["/bin/sh", "-c", LINE]


def test_the_shell_worker_hands_popen_the_string_on_windows(monkeypatch: pytest.MonkeyPatch, on_windows: None) -> None:
    seen: list[Any] = []

    def popen(args: Any, **kwargs: Any) -> None:
        seen.append(args)
        raise FileNotFoundError(2, "not here")  # cmd.exe is not on Linux: stop at the spawn

    monkeypatch.setattr(spawn_module.subprocess, "Popen", popen)  # Windows starts commands with Popen
    ctx = WorkContext(task_id="t", attempt=1, args=(CMD, "/d", "/s", "/c", LINE), on_log=lambda text: None)
    result = ShellWorker(processes=JobObjectDouble()).run(ctx)
    assert seen == [rf'{CMD} /d /s /c "{LINE}"']
    assert result.error == rf"command not found: {CMD}"  # messages still name the program


@pytest.mark.posix
def test_a_real_sh_line_still_runs_on_posix(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    chunks: list[str] = []
    ctx = WorkContext(task_id="t", attempt=1, args=tuple(shell_argv(f'echo "a b" > {out}; echo done')),
                      on_log=chunks.append)
    assert ShellWorker().run(ctx).exit_code == 0
    assert out.read_text() == "a b\n" and "".join(chunks) == "done\n"
