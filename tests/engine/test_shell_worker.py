"""The shell worker: live merged output, exit codes, missing commands, cancellation, cleanup.

Every test that reaches a supervisor runs with both: the selector one (POSIX's) and
the thread one (Windows', engine.workers.shell_threads), on real processes here.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil
import pytest

from engine import process_groups
from engine.errors import BadSpecError
from engine.model import Outcome, StopReason
from engine.workers import shell as shell_module
from engine.workers.base import WorkContext, WorkResult
from engine.workers.shell import ShellWorker, _Supervisor
from engine.workers.shell_threads import ThreadSupervisor

# sh scripts, process groups and SIGKILL/SIGTERM; Windows runs the thread supervisor in
# tests/engine/platforms/test_shell_as_on_windows.py and CI.
pytestmark = pytest.mark.posix

MakeWorker = Callable[..., ShellWorker]


@pytest.fixture(params=[_Supervisor, ThreadSupervisor], ids=["selector", "threads"])
def make_worker(request: pytest.FixtureRequest) -> Iterator[MakeWorker]:
    """A ShellWorker with the supervisor under test; after the test, no run's thread is left."""
    supervisor: type[_Supervisor] = request.param
    yield lambda *args, **kwargs: ShellWorker(*args, supervisor=supervisor, **kwargs)
    assert not _run_threads(), "a run left a thread behind"


def _run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("workdeck-run-")]


def _ctx(argv: Sequence[str], on_log: Callable[[str], None]) -> WorkContext:
    return WorkContext(task_id="t1", attempt=1, args=tuple(argv), on_log=on_log)


def _gone(pid: int) -> bool:
    """Not running: absent, or a zombie nobody reaped yet (our PID 1 may not reap)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class _Background:
    """Runs the worker on a thread, so the test thread can cancel it (any thread may)."""

    def __init__(self, worker: ShellWorker, ctx: WorkContext) -> None:
        self.result: WorkResult | None = None
        self._thread = threading.Thread(target=self._run, args=(worker, ctx))
        self._thread.start()

    def _run(self, worker: ShellWorker, ctx: WorkContext) -> None:
        self.result = worker.run(ctx)

    def join(self, timeout: float = 20.0) -> WorkResult:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the shell worker did not return"
        assert self.result is not None
        return self.result


def test_validate_refuses_an_empty_argv() -> None:
    worker = ShellWorker()
    with pytest.raises(BadSpecError, match="needs a command"):
        worker.validate(())
    with pytest.raises(BadSpecError, match="must not be empty"):
        worker.validate(("",))
    worker.validate(("echo", "hi"))


def test_output_is_passed_on_live_in_arrival_order(tmp_path: Path, make_worker: MakeWorker) -> None:
    # The command cannot go on until the test has seen its previous line: if output
    # were passed on only at the end, this would deadlock (and time out).
    fifo = tmp_path / "go"
    os.mkfifo(fifo)
    # The shell holds the FIFO open read-write for its whole life: were it to reopen
    # it for each read, a second read could open it while the test's first writer
    # was still closing and see end-of-file (it did, under load).
    script = f'exec 3<>"{fifo}"; echo one; read x <&3; echo two >&2; read x <&3; echo three'
    chunks: list[str] = []

    def on_log(text: str) -> None:
        chunks.append(text)
        if text in ("one\n", "two\n"):
            with open(fifo, "w") as pipe:
                pipe.write("go\n")

    result = make_worker().run(_ctx(["sh", "-c", script], on_log))
    assert chunks == ["one\n", "two\n", "three\n"]
    assert result == WorkResult(Outcome.SUCCEEDED, exit_code=0)


def test_stderr_is_merged_unmarked_and_a_partial_last_line_is_kept(make_worker: MakeWorker) -> None:
    chunks: list[str] = []
    result = make_worker().run(_ctx(["sh", "-c", "echo oops >&2; printf 'no newline'"], chunks.append))
    assert "".join(chunks) == "oops\nno newline"
    assert result.outcome is Outcome.SUCCEEDED


def test_stdout_and_stderr_lines_come_in_the_order_written(tmp_path: Path, make_worker: MakeWorker) -> None:
    """Both are one pipe, as with ``2>&1``: lines written to stdout and stderr while the
    run was busy passing on an earlier one still come out in the order written (two
    pipes read in one round passed a later stdout line before an earlier stderr one)."""
    go, written = tmp_path / "go", tmp_path / "written"
    os.mkfifo(go)
    os.mkfifo(written)
    script = f'echo a; read x < "{go}"; echo b; echo c >&2; echo d; echo all > "{written}"'
    chunks: list[str] = []

    def on_log(text: str) -> None:
        chunks.append(text)
        if text == "a\n":  # hold the run here until b, c and d are all written
            with open(go, "w") as pipe:
                pipe.write("go\n")
            with open(written) as pipe:
                assert pipe.read() == "all\n"

    assert make_worker().run(_ctx(["sh", "-c", script], on_log)).outcome is Outcome.SUCCEEDED
    assert "".join(chunks) == "a\nb\nc\nd\n"


def test_undecodable_bytes_are_replaced_not_fatal(make_worker: MakeWorker) -> None:
    chunks: list[str] = []
    result = make_worker().run(_ctx(["printf", "caf\\351\\n"], chunks.append))
    assert "".join(chunks) == "caf\ufffd\n"
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("script", "exit_code", "error"),
    [("exit 0", 0, None), ("exit 3", 3, "exited with status 3"), ("kill -KILL $$", -9, "killed by signal SIGKILL")],
)
def test_exit_codes(script: str, exit_code: int, error: str | None, make_worker: MakeWorker) -> None:
    result = make_worker().run(_ctx(["sh", "-c", script], lambda text: None))
    assert result.exit_code == exit_code
    assert result.outcome is (Outcome.SUCCEEDED if exit_code == 0 else Outcome.FAILED)
    assert result.error == error


def test_a_command_that_does_not_exist_fails_with_one_clear_line() -> None:
    chunks: list[str] = []
    result = ShellWorker().run(_ctx(["workdeck-no-such-command"], chunks.append))
    assert result == WorkResult(
        Outcome.FAILED, exit_code=127, error="command not found: workdeck-no-such-command"
    )
    assert chunks == ["command not found: workdeck-no-such-command\n"]


def test_a_file_that_is_not_executable_fails_with_126(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    result = ShellWorker().run(_ctx([str(script)], lambda text: None))
    assert (result.outcome, result.exit_code) == (Outcome.FAILED, 126)
    assert result.error == f"permission denied: {script}"


def test_cancelled_before_the_start_kills_at_once(make_worker: MakeWorker) -> None:
    ctx = _ctx([sys.executable, "-c", "import signal; signal.pause()"], lambda text: None)  # waits until killed
    ctx.cancel(StopReason.CANCELLED_BY_USER)
    result = make_worker().run(ctx)
    assert result.outcome is Outcome.CANCELLED
    assert result.exit_code == -15


# A command whose child (the worker's grandchild) ignores SIGTERM and prints its pid.
_STUBBORN_GRANDCHILD = "sh -c 'trap \"\" TERM; echo \"grandchild $$\"; exec sleep 60' &"


@pytest.mark.realtime
@pytest.mark.parametrize("reason", [StopReason.CANCELLED_BY_USER, StopReason.TIMED_OUT])
def test_cancel_from_another_thread_kills_the_whole_tree(reason: StopReason, make_worker: MakeWorker) -> None:
    pids: dict[str, int] = {}
    ready = threading.Event()

    def on_log(text: str) -> None:
        for line in text.splitlines():
            name, _, pid = line.partition(" ")
            pids[name] = int(pid)
        if len(pids) == 2:
            ready.set()

    script = f'echo "child $$"; {_STUBBORN_GRANDCHILD} wait'
    ctx = _ctx(["sh", "-c", script], on_log)
    run = _Background(make_worker(grace_period=0.3), ctx)
    assert ready.wait(10), f"the command did not start: {pids}"
    assert not _gone(pids["grandchild"])
    ctx.cancel(reason)
    result = run.join()
    assert result.outcome is Outcome.CANCELLED
    assert result.exit_code == -15  # the shell took SIGTERM; its stubborn child needed SIGKILL
    assert ctx.stop_reason is reason
    assert _gone(pids["child"]) and _gone(pids["grandchild"])


@pytest.mark.realtime
def test_processes_left_behind_by_a_finished_command_are_stopped(tmp_path: Path, make_worker: MakeWorker) -> None:
    # The command ends only once its child is ready (has set its trap), via a FIFO.
    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    chunks: list[str] = []
    stubborn = f"sh -c 'trap \"\" TERM; echo \"grandchild $$\"; echo ready > {fifo}; exec sleep 60' &"
    script = f"{stubborn} read x < {fifo}; echo done"
    result = make_worker(grace_period=0.3).run(_ctx(["sh", "-c", script], chunks.append))
    text = "".join(chunks)
    grandchild = int(text.split("grandchild ")[1].split()[0])
    assert result == WorkResult(Outcome.SUCCEEDED, exit_code=0)
    assert "the command left processes running; stopping them" in text
    assert _gone(grandchild)


@pytest.mark.realtime
def test_output_held_open_by_an_escaped_process_does_not_hang_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_worker: MakeWorker
) -> None:
    # setsid leaves the group on purpose: not ours to kill, but we must not wait for it.
    monkeypatch.setattr(shell_module, "DRAIN_TIMEOUT", 0.2)
    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    chunks: list[str] = []
    script = f"setsid sh -c 'echo \"escaped $$\"; echo ready > {fifo}; exec sleep 30' & read x < {fifo}"
    escaped = None
    try:
        result = make_worker(grace_period=0.3).run(_ctx(["sh", "-c", script], chunks.append))
        text = "".join(chunks)
        escaped = int(text.split("escaped ")[1].split()[0])
        assert result.outcome is Outcome.SUCCEEDED
        assert "stopped reading output held open by a process outside the task" in text
    finally:
        if escaped is not None:
            os.kill(escaped, 9)
    # The thread supervisor's reader of the held pipe ends once the holder lets go.
    for thread in _run_threads():
        thread.join(10)


@pytest.mark.realtime
def test_a_command_runs_at_idle_priority_in_a_process_group_of_its_own(
    tmp_path: Path, make_worker: MakeWorker
) -> None:
    """Background work must not starve the window: SCHED_IDLE on Linux (and nice +10
    wherever the policy is missing), in a process group of its own. With no terminal
    (this test process has none, like a desktop launch or a service) the command stays
    in the engine's session, where the scheduler weighs it against the engine."""
    assert not shell_module._has_terminal(), "run the suite without a controlling terminal"
    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    ctx = _ctx(["sh", "-c", f"echo $$ > {fifo}; exec sleep 30"], lambda text: None)
    worker = threading.Thread(target=make_worker().run, args=(ctx,))
    worker.start()
    try:
        with open(fifo) as ready:
            pid = int(ready.read().strip())
        process = psutil.Process(pid)
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + shell_module.NICENESS)
        # The priority follows the spawn at once; the exec'd sleep is the same process.
        deadline = time.monotonic() + 5
        while process.nice() != expected and time.monotonic() < deadline:
            pass
        assert process.nice() == expected
        if hasattr(os, "sched_getscheduler"):
            while os.sched_getscheduler(pid) != os.SCHED_IDLE and time.monotonic() < deadline:
                pass
            assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        assert os.getpgid(pid) == pid != os.getpgid(0)
        assert os.getsid(pid) == os.getsid(0)
    finally:
        ctx.cancel(StopReason.CANCELLED_BY_USER)
        worker.join(10)
    assert not worker.is_alive()


#: Run in a child that has a controlling terminal: prints the command's session id and
#: its own, and the command's autogroup nice value where there are autogroups.
_WITH_TERMINAL = """
import json, os, sys
from engine.workers.base import WorkContext
from engine.workers.shell import ShellWorker, _has_terminal
# After the import: the worker asks once per process, at the first run, not on import.
os.open(sys.argv[1], os.O_RDWR)  # a session leader opening a terminal makes it its own
assert _has_terminal()
out = []
# The engine renices the command's autogroup just after spawning it: give it a moment
# (bounded) before reading, so the test reads the engine's work, not the race.
script = ("for i in $(seq 200); do grep -qs ' nice ' /proc/self/autogroup || break; "
          "grep -qs ' nice 0$' /proc/self/autogroup || break; sleep 0.01; done; "
          "cat /proc/self/autogroup 2>/dev/null || echo none; ps -o sid= -p $$")
ShellWorker().run(WorkContext(task_id="t", attempt=1, args=("sh", "-c", script), on_log=out.append))
print(json.dumps([str(os.getsid(0)), "".join(out).split()]), flush=True)
"""


@pytest.mark.realtime
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pty as controlling terminal: Linux semantics")
def test_with_a_terminal_a_command_gets_a_session_of_its_own() -> None:
    """A command must never read the terminal the engine was started from."""
    import pty
    import subprocess

    controller, terminal = pty.openpty()
    try:
        child = subprocess.run(
            [sys.executable, "-c", _WITH_TERMINAL, os.ttyname(terminal)],
            start_new_session=True, capture_output=True, text=True, timeout=30,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert child.returncode == 0, child.stderr
    engine_sid, words = json.loads(child.stdout)
    command_sid = words[-1]
    assert command_sid != engine_sid
    if words[0] != "none":  # an autogroup: "/autogroup-N nice 10"
        assert words[-2] == str(min(19, shell_module.NICENESS))


@pytest.mark.realtime
def test_leftovers_are_found_without_looking_at_other_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make_worker: MakeWorker
) -> None:
    """The cleanup asks the kernel about the run's own group (killpg(pgid, 0)); listing
    the machine's processes (2-10 ms a command, issue 14) is not allowed to happen."""

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the shell worker listed the machine's processes")

    monkeypatch.setattr(psutil, "process_iter", no_scan)
    fifo = tmp_path / "ready"
    os.mkfifo(fifo)
    chunks: list[str] = []
    script = f"sh -c 'echo \"child $$\"; echo ready > {fifo}; exec sleep 60' & read x < {fifo}; echo done"
    assert make_worker(grace_period=0.3).run(_ctx(["sh", "-c", script], chunks.append)).outcome is Outcome.SUCCEEDED
    child = int("".join(chunks).split("child ")[1].split()[0])
    assert _gone(child)
    assert make_worker().run(_ctx(["true"], chunks.append)).outcome is Outcome.SUCCEEDED  # nothing left: no wait


@pytest.mark.linux
def test_a_run_names_its_group_and_marks_its_processes(make_worker: MakeWorker) -> None:
    groups: list[tuple[int, str | None, str | None]] = []
    chunks: list[str] = []
    # Asked again, from scratch, while the leader is there (unreaped at worst).
    ctx = WorkContext(task_id="abc", attempt=4, args=("sh", "-c", 'echo "$WORKDECK_RUN $$"'), on_log=chunks.append,
                      on_group=lambda pgid, start: groups.append((pgid, start, process_groups.leader_start(pgid))))
    assert make_worker().run(ctx).outcome is Outcome.SUCCEEDED
    mark, pid = "".join(chunks).split()
    assert mark == "abc.4" and groups and groups[0][0] == int(pid)
    assert groups[0][1] is not None and groups[0][1] == groups[0][2]
    boot, start = groups[0][1].split("/")
    assert boot == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert start.isdigit() or (start.startswith("pidfs-") and start[6:].isdigit())


def test_a_command_gets_the_environment_as_it_is_at_its_spawn(
    monkeypatch: pytest.MonkeyPatch, make_worker: MakeWorker
) -> None:
    """The worker copies the engine's environment at every spawn (os.environ's own
    bytes): a variable set, changed or removed after a run reaches the next command,
    bytes that are not UTF-8 pass unchanged, and the run's marker replaces one the
    engine itself inherited (an engine started by a run)."""
    worker = make_worker()
    script = 'printf "%s|%s|%s" "${WORKDECK_T_VAR-unset}" "${WORKDECK_T_BYTES-unset}" "$WORKDECK_RUN" | od -An -c'

    def seen() -> str:
        chunks: list[str] = []
        assert worker.run(_ctx(["sh", "-c", script], chunks.append)).outcome is Outcome.SUCCEEDED
        return "".join("".join(chunks).split())  # od's columns, without the spacing

    monkeypatch.delenv("WORKDECK_T_VAR", raising=False)
    monkeypatch.delenv("WORKDECK_T_BYTES", raising=False)
    monkeypatch.setenv("WORKDECK_RUN", "outer.1")
    assert seen() == "unset|unset|t1.1"
    monkeypatch.setenv("WORKDECK_T_VAR", "one")
    assert seen() == "one|unset|t1.1"
    monkeypatch.setenv("WORKDECK_T_VAR", "two")
    monkeypatch.setitem(os.environb, b"WORKDECK_T_BYTES", b"caf\xe9")
    assert seen() == "two|caf351|t1.1"  # od -c shows the byte 0xe9 as 351
    monkeypatch.delenv("WORKDECK_T_VAR")
    assert seen() == "unset|caf351|t1.1"


def _carrying(mark: str) -> list[int]:
    """Live processes whose environment carries the run's marker (zombies are gone)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("WORKDECK_RUN") == mark and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except psutil.Error:
            pass
    return found


@pytest.mark.realtime
@pytest.mark.parametrize("ending", ["cancelled", "finished"])
def test_every_process_of_the_tree_is_counted_gone(ending: str, make_worker: MakeWorker) -> None:
    """Three stubborn children, each with a grandchild (SIGTERM ignored, which the
    grandchild inherits): the main shell and these six carry the run's marker while it
    runs (and the main shell's ``sleep`` in the "finished" case), none once the run has
    returned, whether it was cancelled or its main process exited and left them behind."""
    task_id = f"tree-{uuid.uuid4().hex[:8]}"
    stubborn = "sh -c 'trap \"\" TERM; sleep 60 & echo up; wait' &"
    script = f"{stubborn * 3} wait" if ending == "cancelled" else f"{stubborn * 3} sleep 2"
    chunks: list[str] = []
    seen: list[int] = []
    ctx = WorkContext(task_id=task_id, attempt=1, args=("sh", "-c", script), on_log=chunks.append)

    def count_when_up(text: str) -> None:
        chunks.append(text)
        if "".join(chunks).count("up") == 3 and not seen:
            deadline = time.monotonic() + 10
            while len(seen) < 7 and time.monotonic() < deadline:
                seen[:] = _carrying(ctx.marker)
            if ending == "cancelled":
                ctx.cancel(StopReason.CANCELLED_BY_USER)

    ctx.on_log = count_when_up
    result = _Background(make_worker(grace_period=0.3), ctx).join()
    assert len(seen) >= 7, f"the tree did not start: {chunks}"
    assert result.outcome is (Outcome.CANCELLED if ending == "cancelled" else Outcome.SUCCEEDED)
    assert _carrying(ctx.marker) == []


def test_windows_runs_the_thread_supervisor_and_posix_the_selector() -> None:
    assert shell_module._supervisor_for("win32") is ThreadSupervisor
    assert shell_module._supervisor_for("linux") is _Supervisor
    assert shell_module._supervisor_for("darwin") is _Supervisor
    assert ShellWorker().supervisor is shell_module._supervisor_for(sys.platform)


def _when_exited(pgid: int, start: str | None) -> None:
    """An on_group that returns once the command has exited (a zombie: waited for without
    reaping it): the run's first poll then sees its last output and the pipe's hang-up at
    once. The group's id is its leader's pid."""
    os.waitid(os.P_PID, pgid, os.WEXITED | os.WNOWAIT)


@pytest.mark.linux
@pytest.mark.parametrize("script, output", [("printf 'last words'", "last words"), ("printf 'a\\nb'", "a\nb"), ("", "")])
def test_output_and_the_hang_up_seen_at_once_lose_nothing(script: str, output: str, make_worker: MakeWorker) -> None:
    chunks: list[str] = []
    ctx = WorkContext(task_id="t1", attempt=1, args=("sh", "-c", script or "true"), on_log=chunks.append,
                      on_group=_when_exited)
    assert make_worker().run(ctx).outcome is Outcome.SUCCEEDED
    assert "".join(chunks) == output
