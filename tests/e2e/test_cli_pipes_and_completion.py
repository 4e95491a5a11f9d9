"""The command line as a shell uses it: output into a pipe the reader closed, and Tab."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Workdeck

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("command", "status"), [
    (["list"], 141), (["list", "--json"], 141), (["show", "{id}", "--json"], 141),
    (["--version"], 0),  # argparse's own printing ignores a closed pipe: 0, as the convention allows
])
def test_a_closed_pipe_ends_the_command_quietly(wd: Workdeck, command: list[str], status: int) -> None:
    ids = [wd.ok("add", "--defer", "--name", f"t{i}", "--", "true").strip() for i in range(3)]
    argv = wd.argv(*[part.format(id=ids[0]) for part in command])
    # `workdeck list | head -0`: the reader has gone before the first byte is written.
    proc = subprocess.Popen(argv, env=wd.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(30) == status
    assert err == b""


def _shell_with_workdeck(wd: Workdeck, tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "workdeck"
    script.write_text(f'#!/bin/sh\nexec "{wd.argv()[0]}" -m ui.cli "$@"\n')
    script.chmod(0o755)
    return {**wd.env, "PATH": f"{bin_dir}{os.pathsep}{wd.env['PATH']}"}


def _bash_complete(env: dict[str, str], words: list[str]) -> list[str]:
    line = " ".join(words)
    script = (
        'eval "$(workdeck completion bash)"\n'
        f"COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f"COMP_CWORD={len(words) - 1}\n"
        "_python_argcomplete workdeck\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return sorted(word.strip() for word in result.stdout.splitlines() if word.strip())


@pytest.mark.skipif(not shutil.which("bash"), reason="bash is not installed")
def test_bash_completes_commands_options_and_task_ids(wd: Workdeck, tmp_path: Path) -> None:
    first = wd.ok("add", "--defer", "--", "true").strip()
    second = wd.ok("add", "--defer", "--", "true").strip()
    env = _shell_with_workdeck(wd, tmp_path)
    assert _bash_complete(env, ["workdeck", "sh"]) == ["show"]
    assert {"--retries", "--requires"} <= set(_bash_complete(env, ["workdeck", "add", "--re"]))
    ids = _bash_complete(env, ["workdeck", "--db", str(wd.db), "show", ""])
    assert {first, second} <= set(ids)
    assert _bash_complete(env, ["workdeck", "--db", str(wd.db), "log", first[:6]]) == [first]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_scripts_for_zsh_and_fish_name_the_command(wd: Workdeck, shell: str) -> None:
    script = wd.ok("completion", shell)
    assert "workdeck" in script and "_ARGCOMPLETE" in script
    if shutil.which(shell):  # load it in the real shell where installed
        result = subprocess.run([shell, "-c", script if shell == "fish" else f"autoload -U compinit; compinit -u; {script}"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr


def test_completion_of_an_unknown_shell_is_bad_input(wd: Workdeck) -> None:
    result = wd.run("completion", "tcsh")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_output_is_utf_8_whatever_the_locale_encodes(wd: Workdeck, encoding: str) -> None:
    # A locale that cannot encode a name's character (ASCII; cp1252, a Windows pipe's)
    # made list, show and every --json a UnicodeEncodeError traceback, exit 1.
    task_id = wd.ok("add", "--defer", "--name", "thé ✓", "--", "echo", "naïve").strip()
    env = {**wd.env, "PYTHONIOENCODING": encoding}
    for args in (["list"], ["list", "--json"], ["show", task_id], ["show", task_id, "--json"]):
        result = subprocess.run(wd.argv(*args), env=env, cwd=ROOT, capture_output=True, timeout=60)
        assert (result.returncode, result.stderr) == (0, b""), (args, result.stderr)
        assert "thé ✓" in result.stdout.decode("utf-8"), args


def test_import_reads_a_manifest_from_a_pipe_with_or_without_an_owner(wd: Workdeck) -> None:
    # `workdeck import /dev/stdin` (or <(...)): the checks read the pipe, then the import
    # read it empty and added nothing (exit 0); an owner opened its own stdin instead.
    def pipe_import(name: str) -> subprocess.CompletedProcess[str]:
        text = f'version = 1\n[tasks.{name}]\nrun = ["true"]\nkind = "deferred"\n'
        return subprocess.run(wd.argv("import", "/dev/stdin"), input=text, env=wd.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    wd.ok("add", "--defer", "--", "true")
    direct = pipe_import("direct")
    assert (direct.returncode, direct.stderr) == (0, "") and direct.stdout.startswith("added direct ")
    wd.serve()
    owned = pipe_import("owned")
    assert (owned.returncode, owned.stderr) == (0, "") and owned.stdout.startswith("added owned ")
    assert {"direct", "owned"} <= {t["name"] for t in wd.json("list")}
