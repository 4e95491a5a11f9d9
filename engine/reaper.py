"""The owner's reaper: a small process that ends the owner's runs when the owner dies.

A run's processes must not outlive a dead owner (issue 11). ``PR_SET_PDEATHSIG`` would
end only each run's first process, fires when the *thread* that forked it exits (pool
threads come and go), and needs code in the child between fork and exec, which costs
a full ``fork`` of the owner instead of a ``vfork`` (measured: 1 ms to 3 ms more per
command, a third of a ``true`` task's whole cost). Instead each owner starts one
reaper at start and tells it, through a pipe only the two of them hold, about every
process group it starts and ends (``+ <pgid> <leader start> <marker>`` and
``- <pgid>``: a write of a few bytes per run). However the owner dies, SIGKILL
included, the kernel closes its end of the pipe; the reaper reads end-of-file and
ends every group still listed (engine.process_groups.end_groups: the group's leader
start and marker are checked first, so a recycled pid is never signalled), then
exits. When the owner stops gracefully its runs have ended and the list is empty.

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


class Reaper:
    """The owner's side. ``watch`` and ``forget`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._forgotten: list[str] = []  # "- <pgid>" lines not sent yet (see forget)
        if processes.current().owner_death != "reaper":  # kill-on-close does its work
            self._write_fd, self._broken = -1, True
            return
        read_fd, self._write_fd = os.pipe()  # both non-inheritable: commands never hold them
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "engine.reaper"], stdin=read_fd, stdout=subprocess.DEVNULL,
                close_fds=True, process_group=0, env=env, cwd="/",
            )
        finally:
            os.close(read_fd)
        self._broken = False

    @property
    def pid(self) -> int | None:
        """The reaper's pid; None where the platform needs no reaper (Windows)."""
        return None if self._proc is None else self._proc.pid

    def watch(self, pgid: int, leader_start: str | None, marker: str) -> None:
        """A run's group began: told at once (the engine calls this on the worker's
        thread, right after the spawn), with the forgets held since."""
        with self._lock:
            self._send(f"{''.join(self._forgotten)}+ {pgid} {leader_start or '-'} {marker}\n")
            self._forgotten.clear()

    def forget(self, pgid: int) -> None:
        """A run's group ended: told with the next watch (or at close). One write per run,
        not two, on the engine's thread none (a pipe write there cost 8% of its time
        draining shell tasks). A late forget is safe: a dead owner's reaper checks each
        group's leader start and marker before it signals, and a group that ended has
        neither."""
        with self._lock:
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
        if self._proc is None:
            return
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the reaper (pid %d) did not finish in %.0f s", self._proc.pid, timeout)


def serve(stream: object) -> int:
    """The reaper's side: read the owner's lines until end-of-file, then end what is left."""
    groups: dict[int, process_groups.Group] = {}
    for raw in stream:  # type: ignore[attr-defined]
        parts = raw.split()
        if len(parts) == 4 and parts[0] == "+":
            pgid = int(parts[1])
            groups[pgid] = process_groups.Group(pgid, None if parts[2] == "-" else parts[2], parts[3])
        elif len(parts) == 2 and parts[0] == "-":
            groups.pop(int(parts[1]), None)
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
    return serve(sys.stdin)


if __name__ == "__main__":
    sys.exit(main())
