"""engine.platforms.spawn: a command started with posix_spawn gets what Popen gave it.

Each test starts real processes and asks them (``/proc/self``) what they got."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.platforms import spawn
from engine.platforms.processes import PosixProcesses
from engine.process_groups import MARKER, marked_environment

pytestmark = pytest.mark.skipif(not spawn.ENABLED, reason="posix_spawn starts commands on Linux only")

ROOT = Path(__file__).parents[3]

#: What the child reports: its descriptors past stderr, stdin's target and mode, whether
#: stdout and stderr are one pipe, its group and session, its marker (Python, exec'd by
#: the shell below: Python ignores SIGPIPE and SIGXFSZ itself once it runs).
REPORT = r"""
import fcntl, json, os, stat
extra = []
for fd in range(3, 256):
    try:
        os.fstat(fd)
    except OSError:
        continue
    extra.append(fd)
out, err = os.fstat(1), os.fstat(2)
print(json.dumps({
    "extra_fds": extra,
    "stdin": os.readlink("/proc/self/fd/0"),
    "stdin_mode": fcntl.fcntl(0, fcntl.F_GETFL) & os.O_ACCMODE,
    "one_pipe": stat.S_ISFIFO(out.st_mode) and (out.st_ino, out.st_dev) == (err.st_ino, err.st_dev),
    "group_leader": os.getpgid(0) == os.getpid(),
    "session_leader": os.getsid(0) == os.getpid(),
    "marker": os.environ.get("%s"),
}))
""" % MARKER
#: The command: a shell that prints its signal dispositions and mask as it got them, then
#: becomes Python with REPORT (same process, same descriptors).
#: (Builtins only: a shell blocks every signal while it forks, which a child reading
#: /proc/$$/status would see.)
COMMAND = ["sh", "-c", 'while read -r key value; do case $key in SigIgn:|SigBlk:) echo "$key $value";; esac; '
           'done < /proc/self/status; exec "$0" -c "$1"', sys.executable, REPORT]


def _report(child: spawn.Child) -> dict[str, Any]:
    assert child.stdout is not None
    with child.stdout:
        text = child.stdout.read().decode()
    assert child.wait() == 0, text
    *signals, report = text.splitlines()
    masks = {line.split(":")[0]: int(line.split()[1], 16) for line in signals}
    return {**json.loads(report), "ignored": masks.get("SigIgn"), "blocked": masks.get("SigBlk")}


def _both(own_session: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    env = marked_environment("t.1")
    by_popen = _report(spawn.popen_start(COMMAND, env, PosixProcesses().spawn_options(own_session=own_session)))
    by_spawn = _report(spawn.posix_start(COMMAND, env, own_session=own_session))
    return by_popen, by_spawn


@pytest.mark.parametrize("own_session", [False, True], ids=["group", "session"])
def test_a_spawned_command_gets_what_popen_gave_it(own_session: bool) -> None:
    by_popen, by_spawn = _both(own_session)
    assert by_spawn["extra_fds"] == [] == by_popen["extra_fds"]
    assert by_spawn["stdin"] == os.devnull and by_spawn["stdin_mode"] == os.O_RDWR
    assert by_spawn["one_pipe"] is True
    assert by_spawn["group_leader"] is True
    assert by_spawn["session_leader"] is own_session
    assert by_spawn["blocked"] == 0
    assert by_spawn["marker"] == "t.1"
    # SIGPIPE and SIGXFSZ (ignored by Python) are back at their default in both
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not by_spawn["ignored"] & 1 << (signum - 1)
    # glibc's posix_spawn leaves its internal signals 32 and 33 ignored (module docstring):
    # the only difference, and nothing else
    internal = 1 << 31 | 1 << 32
    assert by_spawn["ignored"] & ~internal == by_popen["ignored"] & ~internal
    for key in ("extra_fds", "stdin", "stdin_mode", "one_pipe", "group_leader", "session_leader", "blocked", "marker"):
        assert by_spawn[key] == by_popen[key], key


def test_errors_are_raised_as_popen_raises_them(tmp_path: Path) -> None:
    not_executable = tmp_path / "script"
    not_executable.write_text("#!/bin/sh\necho hi\n")
    env = marked_environment("t.1")
    for argv, error in (
        (["no-such-command-workdeck"], FileNotFoundError),
        ([str(tmp_path / "missing")], FileNotFoundError),
        ([str(not_executable)], PermissionError),
        (["echo\0hi"], ValueError),
    ):
        with pytest.raises(error):
            spawn.popen_start(argv, env, {"process_group": 0})
        with pytest.raises(error):
            spawn.posix_start(argv, env, own_session=False)
    assert sorted(os.listdir(tmp_path)) == ["script"]


def test_the_program_is_found_on_the_path_the_command_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = tmp_path / "workdeck-test-tool"
    tool.write_text("#!/bin/sh\necho found \"$@\"\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    child = spawn.posix_start([tool.name, "me"], marked_environment("t.1"), own_session=False)
    assert child.stdout is not None
    assert child.stdout.read() == b"found me\n"
    child.stdout.close()
    assert child.wait() == 0


def test_wait_gives_popens_returncode() -> None:
    env = marked_environment("t.1")
    failed = spawn.posix_start(["sh", "-c", "exit 3"], env, own_session=False)
    killed = spawn.posix_start(["sleep", "30"], env, own_session=False)
    os.kill(killed.pid, signal.SIGKILL)
    assert failed.wait() == 3 and failed.wait() == 3  # reaped once, remembered
    assert killed.wait() == -signal.SIGKILL
    for child in (failed, killed):
        assert child.stdout is not None
        child.stdout.close()


def _python_313() -> str | None:
    for candidate in sorted(Path(sys.base_prefix).parent.glob("3.13*/bin/python3")):
        return str(candidate)  # pyenv's (CI and this machine): a shim runs only the global version
    return shutil.which("python3.13")


def test_a_descriptor_the_engine_left_inheritable_stays_out_of_the_command() -> None:
    """What the engine inherited from whoever started it (this test's harness leaves some
    too) or a library opened without close-on-exec: Popen closed it in the child; before
    Python 3.13 the spawn makes it close-on-exec first, from 3.13 the child closes it."""
    leaked = os.open(os.devnull, os.O_RDONLY)
    try:
        os.set_inheritable(leaked, True)
        report = _report(spawn.posix_start(COMMAND, marked_environment("t.1"), own_session=False))
    finally:
        os.close(leaked)
    assert report["extra_fds"] == []


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="this Python is 3.13+: the test above covers CLOSEFROM")
def test_python_313_closes_them_in_the_child() -> None:
    python = _python_313()
    if python is None:
        pytest.skip("no Python 3.13 on this machine: POSIX_SPAWN_CLOSEFROM is 3.13's")
    code = (
        "import json, os, sys\nfrom engine.platforms import spawn\nfrom engine.process_groups import marked_environment\n"
        "assert spawn._CLOSE_THE_REST\n"
        "leaked = os.open(os.devnull, os.O_RDONLY); os.set_inheritable(leaked, True)\n"
        f"child = spawn.posix_start({COMMAND!r}, marked_environment('t.1'), own_session=False)\n"
        "print(child.stdout.read().decode(), end=''); child.wait()\n"
        "assert os.get_inheritable(leaked)  # closed in the child only, not marked here\n"
    )
    result = subprocess.run([python, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["extra_fds"] == []


def test_commands_start_through_popen_where_descriptors_cannot_be_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    if spawn._CLOSE_THE_REST:
        pytest.skip("Python 3.13+ closes them in the child: nothing to mark")
    monkeypatch.setattr(spawn, "ENABLED", True)  # restored after the test
    monkeypatch.setattr(spawn, "_close_on_exec", lambda: False)  # an old kernel's ENOSYS
    assert spawn.posix_start(["true"], marked_environment("t.1"), own_session=False) is None
    assert spawn.ENABLED is False  # for good: Popen from now on
    child = PosixProcesses().start(["true"], marked_environment("t.1"), own_session=False)
    assert isinstance(child, subprocess.Popen)
    assert child.wait() == 0
    assert child.stdout is not None
    child.stdout.close()


def test_a_shell_run_starts_through_posix_spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell worker's commands go through posix_start on Linux (and only Popen if it is off)."""
    from engine.workers.base import WorkContext
    from engine.workers.shell import ShellWorker

    started: list[str] = []
    real_posix, real_popen = spawn.posix_start, spawn.popen_start
    monkeypatch.setattr(spawn, "posix_start", lambda *a, **k: started.append("posix_spawn") or real_posix(*a, **k))
    monkeypatch.setattr(spawn, "popen_start", lambda *a, **k: started.append("Popen") or real_popen(*a, **k))
    assert ShellWorker().run(WorkContext(task_id="t", attempt=1, args=("true",), on_log=lambda text: None)).exit_code == 0
    monkeypatch.setattr(spawn, "ENABLED", False)
    assert ShellWorker().run(WorkContext(task_id="t", attempt=1, args=("true",), on_log=lambda text: None)).exit_code == 0
    assert started == ["posix_spawn", "Popen"]


def test_a_command_whose_supervision_cannot_begin_is_killed_not_left() -> None:
    """Between the spawn and its supervisor (which takes a pidfd) something may fail, no
    descriptor left, say: the command is killed and reaped, never left running unwatched."""
    from engine.workers.base import WorkContext
    from engine.workers.shell import ShellWorker, _Supervisor

    started: list[spawn.Child] = []

    class NoDescriptorLeft(_Supervisor):
        def __init__(self, proc: spawn.Child, *args: Any) -> None:
            started.append(proc)
            raise OSError(24, "Too many open files")

    worker = ShellWorker(supervisor=NoDescriptorLeft)
    with pytest.raises(OSError, match="Too many open files"):
        worker.run(WorkContext(task_id="t", attempt=1, args=("sleep", "30"), on_log=lambda text: None))
    [proc] = started
    assert isinstance(proc, spawn.SpawnedProcess) and proc.returncode == -signal.SIGKILL  # killed, reaped
    assert proc.stdout is not None and proc.stdout.closed
