"""The owner's reaper: a small process that ends the owner's runs when the owner dies.

A run's processes must not outlive a dead owner (issue 11). ``PR_SET_PDEATHSIG`` would
end only each run's first process, fires when the *thread* that forked it exits (pool
threads come and go), and needs code in the child between fork and exec, which costs
a full ``fork`` of the owner instead of a ``vfork`` (measured: 1 ms to 3 ms more per
command, a third of a ``true`` task's whole cost). Instead each owner starts one
reaper at start and tells it about every process group it starts and ends. However
the owner dies, SIGKILL included, the kernel closes its end of a pipe only the two of
them hold; the reaper reads end-of-file and ends every group still listed
(engine.process_groups.end_groups: the group's leader start and marker are checked
first, so a recycled pid is never signalled), then exits. When the owner stops
gracefully its runs have ended and the list is empty.

The list (Linux): a table of slots in memory the two share (a memfd the reaper maps),
one slot a running group, ``<pgid> <leader start> <marker>``. Listing a group is a
copy into a free slot and one byte set last, ending it one byte cleared: no system
call, and the reaper sleeps on the pipe until the owner is gone and only then reads
the table, whose writer is dead by then. A slot's text is written before its byte is
set, so an owner that dies in between leaves a slot that does not count (as one
dying before a write would). A pipe line per run (``+ <pgid> <leader start>
<marker>``, ``- <pgid>``) woke the reaper for every command: ~80 us of its CPU and
~28 us of the pool thread's a run while draining shell tasks (issue 14). The pipe
still carries a group when the table is full or its text too long, and everything
where there are no memfds (macOS).

The reaper runs ``python -m engine.reaper`` in a process group of its own, so a
terminal's Ctrl-C that stops the owner does not stop it first; it imports nothing of
Qt. The run's group id is also written to the database (engine.recovery) for the case
where the reaper dies with the owner (the OOM killer, a killed session).

On Windows there is no reaper process: each run's processes are in a Job Object with
kill-on-close whose only handle the owner holds, so the owner's death ends them
(engine.platforms.processes_windows). :class:`Reaper` then starts nothing and its
``watch``/``forget`` do nothing, so the owner's code is the same on every platform.
"""

from __future__ import annotations

import logging
import mmap
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from engine import process_groups
from engine.platforms import processes

log = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parents[1]
#: Forgets held at most before they are sent on their own (the reaper's list stays short).
FORGETS_HELD = 64
#: Groups listed in the shared table at once (more go through the pipe), and a slot's bytes.
SLOTS = 1024
SLOT_SIZE = 256
_LISTED = ord("+")  # a slot's first byte while its group is listed; 0 when free


class Reaper:
    """The owner's side. ``watch`` and ``forget`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._forgotten: list[str] = []  # "- <pgid>" lines not sent yet (see forget)
        self._table: mmap.mmap | None = None  # the shared slots (Linux)
        self._free: list[int] = []  # offsets of free slots
        self._listed: dict[int, int] = {}  # pgid -> its slot's offset
        if processes.current().owner_death != "reaper":  # kill-on-close does its work
            self._write_fd, self._broken = -1, True
            return
        read_fd, self._write_fd = os.pipe()  # both non-inheritable: commands never hold them
        table_fd = _new_table()
        argv = [sys.executable, "-m", "engine.reaper"]
        if table_fd is not None:
            argv += ["--table", str(table_fd)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            self._proc = subprocess.Popen(
                argv, stdin=read_fd, stdout=subprocess.DEVNULL, close_fds=True, process_group=0, env=env, cwd="/",
                pass_fds=() if table_fd is None else (table_fd,),
            )
            if table_fd is not None:
                self._table = mmap.mmap(table_fd, SLOTS * SLOT_SIZE)
                self._free = list(range((SLOTS - 1) * SLOT_SIZE, -1, -SLOT_SIZE))  # popped from the end: 0 first
        finally:
            os.close(read_fd)
            if table_fd is not None:
                os.close(table_fd)  # the mapping keeps it
        self._broken = False

    @property
    def pid(self) -> int | None:
        """The reaper's pid; None where the platform needs no reaper (Windows)."""
        return None if self._proc is None else self._proc.pid

    def watch(self, pgid: int, leader_start: str | None, marker: str) -> None:
        """A run's group began: listed at once (the engine calls this on the worker's
        thread, right after the spawn): in a slot of the table, else down the pipe with
        the forgets held since."""
        entry = f"{pgid} {leader_start or '-'} {marker}\n"
        with self._lock:
            if self._table is not None and self._free and pgid not in self._listed:
                line = entry.encode()
                if len(line) < SLOT_SIZE:
                    offset = self._free.pop()
                    self._table[offset + 1 : offset + 1 + len(line)] = line
                    self._table[offset] = _LISTED  # last: a slot counts once whole
                    self._listed[pgid] = offset
                    return
            self._send(f"{''.join(self._forgotten)}+ {entry}")
            self._forgotten.clear()

    def forget(self, pgid: int) -> None:
        """A run's group ended: told with the next watch (or at close). One write per run,
        not two, on the engine's thread none (a pipe write there cost 8% of its time
        draining shell tasks). A late forget is safe: a dead owner's reaper checks each
        group's leader start and marker before it signals, and a group that ended has
        neither."""
        with self._lock:
            offset = self._listed.pop(pgid, None)
            if offset is not None:  # listed in the table: a byte cleared
                if self._table is not None:  # None: closed
                    self._table[offset] = 0
                    self._free.append(offset)
                return
            self._forgotten.append(f"- {pgid}\n")
            if len(self._forgotten) >= FORGETS_HELD:
                self._send("".join(self._forgotten))
                self._forgotten.clear()

    def _send(self, text: str) -> None:
        """Under the lock."""
        if self._broken:
            return
        try:
            os.write(self._write_fd, text.encode())
        except OSError as exc:  # it died: the database record remains (engine.recovery)
            self._broken = True
            log.warning("the reaper (pid %s) is gone (%s): runs are recorded for the next start only",
                        self.pid, exc)

    def close(self, timeout: float = 10.0) -> None:
        """The owner stops: close the pipe, and wait for the reaper to end what is left."""
        with self._lock:
            if self._write_fd < 0:
                return
            if self._forgotten:  # nothing left listed: it exits at once
                self._send("".join(self._forgotten))
                self._forgotten.clear()
            os.close(self._write_fd)
            self._write_fd, self._broken = -1, True
            if self._table is not None:  # the reaper's own mapping keeps what is listed
                self._table.close()
                self._table = None
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the reaper (pid %d) did not finish in %.0f s", self._proc.pid, timeout)


def _new_table() -> int | None:
    """A memfd of SLOTS * SLOT_SIZE zero bytes for the shared table; None without memfds."""
    if sys.platform != "linux":  # memfds are Linux's: the pipe carries everything elsewhere
        return None
    try:
        fd = os.memfd_create("workdeck-reaper", os.MFD_CLOEXEC)
    except OSError:
        return None
    try:
        os.ftruncate(fd, SLOTS * SLOT_SIZE)
    except OSError:
        os.close(fd)
        return None
    return fd


def listed(table: bytes | mmap.mmap) -> dict[int, process_groups.Group]:
    """The groups a shared table lists (its writer is gone): every slot whose first byte is set."""
    groups: dict[int, process_groups.Group] = {}
    for offset in range(0, len(table) - SLOT_SIZE + 1, SLOT_SIZE):
        if table[offset] != _LISTED:
            continue
        text = table[offset + 1 : offset + SLOT_SIZE].split(b"\n", 1)[0].decode(errors="replace")
        parts = text.split()
        if len(parts) == 3 and parts[0].isdigit():
            pgid = int(parts[0])
            groups[pgid] = process_groups.Group(pgid, None if parts[1] == "-" else parts[1], parts[2])
    return groups


def serve(stream: object, table: bytes | mmap.mmap | None = None) -> int:
    """The reaper's side: read the owner's lines until end-of-file, then end what is left:
    what the pipe still lists and what the shared table does."""
    groups: dict[int, process_groups.Group] = {}
    for raw in stream:  # type: ignore[attr-defined]
        parts = raw.split()
        if len(parts) == 4 and parts[0] == "+":
            pgid = int(parts[1])
            groups[pgid] = process_groups.Group(pgid, None if parts[2] == "-" else parts[2], parts[3])
        elif len(parts) == 2 and parts[0] == "-":
            groups.pop(int(parts[1]), None)
    if table is not None:
        groups.update(listed(table))
    if groups:
        ended = process_groups.end_groups(list(groups.values()))
        if ended:
            print(f"workdeck reaper: the owner died; ended {len(ended)} run(s)' processes", file=sys.stderr)
    return 0


def main() -> int:
    if sys.platform == "win32":  # no reaper there: a Job Object ends a dead owner's runs
        raise NotImplementedError("the reaper is POSIX only")
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTSTP):
        signal.signal(signum, signal.SIG_IGN)
    table: mmap.mmap | None = None
    if len(sys.argv) == 3 and sys.argv[1] == "--table":
        # Mapped now, read once the owner is gone (the memfd lives while this maps it).
        table = mmap.mmap(int(sys.argv[2]), 0, access=mmap.ACCESS_READ)
    return serve(sys.stdin, table)


if __name__ == "__main__":
    sys.exit(main())
