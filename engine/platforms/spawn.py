"""Starting a shell run's command: ``os.posix_spawnp`` on Linux, ``subprocess.Popen`` elsewhere.

Why: draining shell tasks is CPU-bound on a small machine, and the engine's main thread
spawns every deferred command itself (engine.shell_loop; issue 14). Popen's Python layers
(the executable list, the error pipe, opening /dev/null, the environment re-encoded
variable by variable) cost that thread ~70-85 us of its ~750 us a ``true`` task; the same
spawn through ``os.posix_spawnp`` is C from the arguments to glibc's
``clone(CLONE_VM | CLONE_VFORK)``, as Popen's own spawn is.

The spawn stays on the engine's thread although ``os.posix_spawnp`` keeps the interpreter
lock while the parent waits for the child's exec (~150-250 us here; Popen drops the lock
there: CPython gh-104372). Two ways to take that wait off the thread were measured
slower, each alternated with this module on real drains of ``true`` tasks: the spawn on a
thread of its own with this call (706-828 against 854-855 tasks a second: the wait holds
the lock, so nothing overlaps), and on a thread of its own with glibc's ``posix_spawnp``
through ctypes, which does drop the lock (4,000 tasks: the engine's thread saved nothing,
971-1,113 against 893-1,039 us a task, and the spawning thread spent 370-440 us a task
taking the lock back and forth).

What the command gets is what the shell worker's Popen call gave it, promise for promise:

- stdin ``/dev/null`` (read-write, as ``subprocess.DEVNULL``); stdout and stderr one pipe,
  whose read end comes back as an unbuffered file.
- no other descriptor (``close_fds``): ``POSIX_SPAWN_CLOSEFROM`` where Python has it
  (3.13+). Before 3.13 the exec closes them: right before each spawn every descriptor
  above stderr is made close-on-exec in the engine's process (one ``close_range(2)``
  with ``CLOSE_RANGE_CLOEXEC``, Linux 5.11+: 3-5 us through ctypes). Most already are
  (Python's own since PEP 446; Qt, glib, D-Bus, xcb and SQLite open theirs so), but not
  what the engine inherited from whoever started it (a terminal's or launcher's
  descriptors), which a command would otherwise hold. Where that call fails (an older
  kernel, a sandbox that refuses it) commands start through Popen, which closes them in
  the child.
- its own process group (``setpgroup=0``), or its own session when the engine has a
  terminal (:meth:`engine.platforms.processes.PosixProcesses.spawn_options`'s rule).
- SIGPIPE and SIGXFSZ at their default, as Popen's ``restore_signals`` puts them (Python
  ignores both); its signal mask empty. One difference: glibc's posix_spawn leaves its
  two internal signals (32 and 33, below SIGRTMIN) ignored in the child, where a forked
  child has them at their default. No program can use them (glibc keeps them for itself
  and installs its own handlers when it needs them; ``sigaddset`` refuses them), which is
  why every posix_spawn child on glibc has lived with it (Rust's ``Command``, CPython's
  own subprocess without ``close_fds``).
- the program found on PATH as Popen finds it: the engine's own PATH, which the
  command's environment copies (engine.process_groups.marked_environment).
- errors raised as Popen raises them: an :class:`OSError` whose subclass follows the
  exec's errno (FileNotFoundError, PermissionError), ValueError for a NUL byte.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any, Protocol

from engine.process_groups import Environment


class Child(Protocol):
    """What the shell worker's supervisors use of a started command: a
    :class:`subprocess.Popen` or a :class:`SpawnedProcess`."""

    @property
    def pid(self) -> int: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def stderr(self) -> IO[bytes] | None: ...

    def wait(self) -> int:
        """Reap the process (blocking) and return Popen's returncode: the exit status,
        or minus the signal that ended it."""
        ...


class SpawnedProcess:
    """A command started by :func:`posix_start`: the part of Popen the supervisors use.

    Its one waiter is the run's supervisor (a pool thread or the engine's loop, one at a
    time), so ``wait`` needs none of Popen's locking."""

    stderr: IO[bytes] | None = None

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid, self.stdout = pid, stdout
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped by someone else: its status is lost, as in Popen
                self.returncode = 0
            else:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


#: Whether :func:`posix_start` is used (Linux); a switch for tests and for bisecting.
#: Turned off for good if descriptors cannot be made close-on-exec (:func:`_close_on_exec`).
ENABLED = sys.platform == "linux" and hasattr(os, "posix_spawnp")
#: The signals Popen's restore_signals puts back to their default (Python ignores them).
_RESTORED = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name))
#: Close every other descriptor in the child where Python can say so (3.13+).
_CLOSE_THE_REST: tuple[tuple[Any, ...], ...] = (
    ((os.POSIX_SPAWN_CLOSEFROM, 3),) if hasattr(os, "POSIX_SPAWN_CLOSEFROM") else ()
)


#: close_range(2)'s number (the same on every architecture since Linux 5.1's common
#: table) and its flag that marks instead of closing (<linux/close_range.h>).
_CLOSE_RANGE = 436
_CLOSE_RANGE_CLOEXEC = 1 << 2
_syscall: Any = None


def _close_on_exec() -> bool:
    """Make every descriptor above stderr close-on-exec; False if the kernel refuses."""
    global _syscall
    if _syscall is None:
        import ctypes  # at the first spawn (~1.6 ms once): nothing else needs it before the first run

        syscall = ctypes.CDLL(None, use_errno=True).syscall
        syscall.argtypes, syscall.restype = [ctypes.c_long] * 4, ctypes.c_long
        _syscall = syscall
    return bool(_syscall(_CLOSE_RANGE, 3, 0xFFFFFFFF, _CLOSE_RANGE_CLOEXEC) == 0)


def posix_start(argv: Sequence[str], env: Environment, *,
                own_session: bool) -> SpawnedProcess | None:
    """Start ``argv`` (looked up on PATH) in a process group or session of its own, with
    ``env``, stdin /dev/null and stdout and stderr one pipe; see the module docstring.
    None if this process cannot keep its descriptors from the command (use Popen)."""
    global ENABLED
    if sys.platform == "win32":  # POSIX only: Popen starts commands there
        raise NotImplementedError("posix_spawn is POSIX's")
    if not _CLOSE_THE_REST and not _close_on_exec():
        ENABLED = False
        return None
    read_fd, write_fd = os.pipe()  # both close-on-exec: dup2 makes the child's copies inheritable
    try:
        # The pipe first: had it got descriptor 0 (the engine's stdin closed), the open
        # below replaces it there only after it was copied to 1 and 2.
        actions: list[tuple[Any, ...]] = [
            (os.POSIX_SPAWN_DUP2, write_fd, 1),
            (os.POSIX_SPAWN_DUP2, write_fd, 2),
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDWR, 0),
            *_CLOSE_THE_REST,
        ]
        unit: dict[str, Any] = {"setsid": True} if own_session else {"setpgroup": 0}
        pid = os.posix_spawnp(argv[0], list(argv), env, file_actions=actions, setsigdef=_RESTORED, setsigmask=(),
                              **unit)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return SpawnedProcess(pid, open(read_fd, "rb", buffering=0))  # noqa: SIM115 (the supervisor closes it)


def popen_start(argv: str | Sequence[str], env: Environment,
                options: dict[str, Any]) -> subprocess.Popen[bytes]:
    """The same start through Popen, with the platform's ``options`` (its unit)."""
    return subprocess.Popen(
        argv,  # a cmd.exe line goes as one string on Windows
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one pipe: the order the command wrote in, one read a chunk
        bufsize=0,  # the pipe is read with os.read: no buffer object to make
        close_fds=True,
        env=env,
        **options,
    )
