"""Process groups a run left behind: naming them durably, and ending them safely.

A shell run's processes share one process group whose id is its leader's pid. Two
things name a run's group beyond the owner's life:

- the group id and its leader's identity (:func:`leader_start`): ``<boot id>/pidfs-<inode>``,
  the inode number of a pidfd for it, where the kernel has pidfs (Linux 6.9+), else
  ``<boot id>/<start in clock ticks>`` read from ``/proc``. Both are exact (pidfs numbers
  each process once per boot, never reused; two processes with one pid cannot start in
  the same tick), and a reboot changes the boot id, so a pid the kernel gave to another
  process later (a recycled pid) never matches;
- the environment marker :data:`MARKER` (``WORKDECK_RUN=<task id>.<attempt>``) every
  process of the run inherits: a group whose leader is gone is ours only if one of
  its members still carries the marker.

:func:`end_group` ends a recorded group (SIGTERM, a grace period, SIGKILL) after these
checks; the owner's reaper (:mod:`engine.reaper`) calls it when the owner dies, and a
starting owner calls it for every run the last owner left open (:mod:`engine.recovery`)
before that run is started again. Both are rare, so the marker check may read every
process's environment; the shell worker's hot path never does (see
:mod:`engine.workers.shell`).

Plain Python and psutil: the reaper imports this without Qt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The environment variable that marks every process of a run: ``<task id>.<attempt>``.
MARKER = "WORKDECK_RUN"
#: Seconds a group gets between SIGTERM and SIGKILL when its owner is gone.
GRACE_PERIOD = 2.0
#: Seconds we wait for SIGKILLed processes to be gone.
KILL_WAIT = 2.0
_POLL = 0.02


def marker(task_id: str, attempt: int) -> str:
    return f"{task_id}.{attempt}"


def marked_environment(marker: str) -> Environment:
    """The engine's environment as it is now, plus :data:`MARKER` set to ``marker``: what
    a run's command starts with (``subprocess.Popen``'s ``env``).

    POSIX: os.environ keeps the environment as bytes (its ``_data``, which every change
    through os.environ or os.environb updates, under the interpreter lock); a copy of
    that dict is made in C and Popen passes bytes on as they are. ``{**os.environ}``
    decoded every variable in Python and Popen encoded each back: ~30-45 us of the shell
    worker thread's CPU a run (issue 14). Made at every call, so a variable set or
    removed while the engine runs reaches the next command. Windows (str keys, upper-cased
    there) and a Python without ``_data`` take the mapping itself.
    """
    if sys.platform != "win32":
        data = getattr(os.environ, "_data", None)
        if type(data) is dict:
            env: dict[bytes, bytes] = data.copy()
            env[_MARKER_KEY] = os.fsencode(marker)
            return env
    return {**os.environ, MARKER: marker}


_MARKER_KEY = os.fsencode(MARKER)
if sys.platform == "win32":  # Popen takes str there only
    Environment = Mapping[str, str]
else:
    Environment = Mapping[bytes, bytes] | Mapping[str, str]


@dataclass(frozen=True)
class Group:
    """A run's process group as recorded: its id, its leader's start, its marker."""

    pgid: int
    leader_start: str | None
    marker: str


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as file:
            return file.read().strip()
    except OSError:
        return ""


_BOOT_ID = _boot_id()
_LINUX = sys.platform.startswith("linux")


def leader_start(pid: int, like: str | None = None, pidfd: int | None = None) -> str | None:
    """Process ``pid``'s identity: a string that no other process with the same pid shares
    (see the module docstring); None if it is gone. Linux: the boot id and the pidfs
    inode of the process, or its start in clock ticks where pidfds have no inode of their
    own; elsewhere psutil's start time.

    ``like``: an identity recorded earlier, maybe by an older Workdeck (start ticks); the
    answer is then in the same form, so the two compare. If that form is pidfs and
    pidfs cannot be asked here, None (the caller then checks the run's marker instead).
    ``pidfd``: a pidfd for ``pid`` the caller holds (the shell worker's exit watcher).

    The shell worker asks for every command it starts, on its worker thread (issue 14):
    a pidfd and its fstat cost ~3 us there, opening and reading /proc/PID/stat ~35 us
    (the kernel makes a /proc inode for every new pid and formats ~50 fields).
    """
    if not _LINUX:  # no /proc (Windows), or one without stat files (macOS has none)
        return _psutil_start(pid)
    if like is None or _PIDFS in like:
        identity = _pidfs_identity(pid, pidfd)
        if identity is not _UNKNOWN:
            return identity
        if like is not None:
            return None
    return _stat_start(pid)


#: What marks an identity made from a pidfs inode number.
_PIDFS = "/pidfs-"
_UNKNOWN = "?"  # _pidfs_identity's answer where it cannot ask


def _pidfs_identity(pid: int, pidfd: int | None) -> str | None:
    """``<boot id>/pidfs-<inode>``; None if ``pid`` is gone; _UNKNOWN without pidfs."""
    if sys.platform != "linux" or not _has_pidfs():  # pidfs is Linux's
        return _UNKNOWN
    if pidfd is not None:
        return f"{_BOOT_ID}{_PIDFS}{os.fstat(pidfd).st_ino}"
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:  # reaped: gone
        return None
    except OSError:  # not a process (a thread's id), or out of descriptors: ask /proc
        return _UNKNOWN
    try:
        return f"{_BOOT_ID}{_PIDFS}{os.fstat(fd).st_ino}"
    finally:
        os.close(fd)


def _has_pidfs() -> bool:
    """Whether a pidfd's inode number names its process (pidfs, Linux 6.9+, 64-bit), asked
    once. Before pidfs every pidfd was the one anonymous inode every eventfd shares too."""
    global _PIDFS_HERE
    if _PIDFS_HERE is None:
        _PIDFS_HERE = _probe_pidfs()
    return _PIDFS_HERE


_PIDFS_HERE: bool | None = None


def _probe_pidfs() -> bool:
    if sys.platform != "linux":  # pidfds and eventfds are Linux's
        return False
    if sys.maxsize <= 2**32:  # a 32-bit inode number is reused after 2**32 processes
        return False
    try:
        pidfd = os.pidfd_open(os.getpid())
    except (AttributeError, OSError):  # no pidfds: an old kernel, a sandbox
        return False
    try:
        anonymous = os.eventfd(0)
        try:
            return os.fstat(pidfd).st_dev != os.fstat(anonymous).st_dev
        finally:
            os.close(anonymous)
    except OSError:
        return False
    finally:
        os.close(pidfd)


def _stat_start(pid: int) -> str | None:
    """``<boot id>/<start in clock ticks>`` from /proc/PID/stat; None if ``pid`` is gone."""
    # os.open and one os.read, not open(): no file object and buffer to make and free.
    # The shell worker asks for every command it starts, on its worker thread (issue 14).
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)  # not inheritable, as every fd Python opens
    except FileNotFoundError:
        return None
    except OSError:
        return _psutil_start(pid)
    try:
        stat = os.read(fd, 4096)  # a few hundred bytes: the kernel hands the line over whole
    except ProcessLookupError:  # reaped between the open and the read
        return None
    except OSError:
        return _psutil_start(pid)
    finally:
        os.close(fd)
    # The command name (field 2) is in parentheses and may hold spaces or ")".
    fields = stat[stat.rfind(b")") + 2 :].split()
    return f"{_BOOT_ID}/{int(fields[19])}"  # field 22 of stat: starttime


def _psutil_start(pid: int) -> str | None:
    import psutil

    try:
        return f"psutil/{psutil.Process(pid).create_time():.6f}"
    except psutil.Error:
        return None


def group_alive(pgid: int) -> bool:
    """Whether any process is in group ``pgid`` (a zombie leader counts)."""
    if sys.platform == "win32":  # process groups are POSIX's; Windows has Job Objects
        raise NotImplementedError("process groups are POSIX only")
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's group now: not ours
        return False
    return True


def is_ours(group: Group) -> bool:
    """Whether ``group.pgid`` is still the run's group.

    If its leader lives and its start was recorded, the start must match. Otherwise (the
    leader is gone, or the group was found by its marker and never recorded) a member
    must carry the run's marker: a group id stays taken while any member lives, but it
    may have been freed and reused by a new group meanwhile (a scan of the processes:
    fine here, at recovery only).
    """
    if not group_alive(group.pgid):
        return False
    start = leader_start(group.pgid, like=group.leader_start)
    if start is not None:  # its leader lives (or is an unreaped zombie)
        if not _leader_leads(group.pgid):
            return False
        if group.leader_start is not None:
            return start == group.leader_start
    return any(_has_marker(pid, group.marker) for pid in _members(group.pgid))


def _leader_leads(pid: int) -> bool:
    if sys.platform == "win32":  # POSIX only, like every process-group call here
        raise NotImplementedError("process groups are POSIX only")
    try:
        return os.getpgid(pid) == pid
    except OSError:
        return False


def _members(pgid: int) -> list[int]:
    if sys.platform == "win32":  # POSIX only, like every process-group call here
        raise NotImplementedError("process groups are POSIX only")
    import psutil

    members = []
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(OSError):
            if os.getpgid(proc.info["pid"]) == pgid:
                members.append(proc.info["pid"])
    return members


def _has_marker(pid: int, value: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as file:
            env = file.read()
    except OSError:
        import psutil

        try:
            return bool(psutil.Process(pid).environ().get(MARKER) == value)
        except psutil.Error:
            return False
    return f"{MARKER}={value}".encode() in env.split(b"\0")


def find_marked(markers: Iterable[str]) -> dict[str, set[int]]:
    """Process groups holding a process marked with one of ``markers``: for runs whose
    group was never recorded (the owner died between the spawn and the write). A scan of
    every process's environment: recovery only."""
    if sys.platform == "win32":  # POSIX only: Windows finds its jobs' marks itself
        raise NotImplementedError("process groups are POSIX only")
    wanted = {f"{MARKER}={m}".encode(): m for m in markers}
    found: dict[str, set[int]] = {}
    if not wanted:
        return found  # every start asks: psutil's import (~8 ms) only when there is a mark to find
    import psutil

    for proc in psutil.process_iter(["pid"]):
        pid = proc.info["pid"]
        try:
            env = _environ(pid)
            pgid = os.getpgid(pid)
        except OSError:
            continue
        for entry in env:
            if entry in wanted:
                found.setdefault(wanted[entry], set()).add(pgid)
    return found


def _environ(pid: int) -> list[bytes]:
    """Process ``pid``'s environment as ``NAME=value`` entries: /proc on Linux, psutil
    elsewhere (macOS). Raises OSError if it cannot be read."""
    if _LINUX:
        with open(f"/proc/{pid}/environ", "rb") as file:
            return file.read().split(b"\0")
    import psutil

    try:
        env = psutil.Process(pid).environ()
    except psutil.Error as exc:
        raise OSError(str(exc)) from exc
    return [f"{key}={value}".encode() for key, value in env.items()]


def end_groups(groups: Iterable[Group], grace: float = GRACE_PERIOD) -> list[Group]:
    """End every group that :func:`is_ours`: SIGTERM and SIGCONT, up to ``grace``
    seconds, then SIGKILL; return once they are gone (or :data:`KILL_WAIT` after
    SIGKILL, for a process stuck in the kernel). Returns the groups that were ended."""
    if sys.platform == "win32":  # POSIX only: Windows ends jobs (processes_windows)
        raise NotImplementedError("process groups are POSIX only")
    ours = [g for g in groups if is_ours(g)]
    for group in ours:
        _signal(group.pgid, signal.SIGTERM)
        _signal(group.pgid, signal.SIGCONT)
    _wait_gone(ours, grace)
    left = [g for g in ours if group_alive(g.pgid)]
    for group in left:
        _signal(group.pgid, signal.SIGKILL)
    _wait_gone(left, KILL_WAIT)
    return ours


def _signal(pgid: int, signum: int) -> None:
    if sys.platform == "win32":  # killpg is POSIX's
        raise NotImplementedError("process groups are POSIX only")
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _wait_gone(groups: list[Group], seconds: float) -> None:
    # A bounded wait for processes to exit after a signal: no event tells us that a
    # group (not a process) is empty, so we look every few milliseconds.
    deadline = time.monotonic() + seconds
    while any(group_alive(g.pgid) for g in groups) and time.monotonic() < deadline:
        time.sleep(_POLL)
