"""What the shell worker's POSIX supervisor waits on, besides the output pipe.

- :class:`ExitWatcher`: a file descriptor that becomes readable when the command's main
  process (the group's leader) exits. Linux: a pidfd, opened right after the spawn
  (:func:`open_pidfd`), before anything else happens to the run: its inode number is
  the leader's identity too (engine.process_groups.leader_start), so one descriptor
  does both. Elsewhere: a pipe closed by a thread that waits for the leader with
  ``waitid(WNOWAIT)`` (kqueue on macOS), which leaves the reaping to the supervisor.
- :class:`WakeUp`: a file descriptor a cancel (from any thread) makes readable. Each
  thread that supervises keeps one for all its runs (:func:`thread_wake_up`): an
  eventfd on Linux, a pipe elsewhere. Making and closing a pipe for every run, and
  setting it non-blocking, were four system calls a run on the worker's thread, each
  of which hands the interpreter lock to the engine's main thread and takes it back
  (issue 14). A wake-up written for a run that ended is never seen by the next one:
  the cancel callback writes only while its run is the armed one, under the lock the
  supervisor takes to disarm it.
"""

from __future__ import annotations

import os
import sys
import threading

from engine.platforms.spawn import Child


def open_pidfd(pid: int) -> int | None:
    """A pidfd for ``pid`` (Linux 5.3+), or None where there are none (another system,
    an old kernel, a sandbox that refuses the call)."""
    if sys.platform != "linux":  # pidfds are Linux's
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:
        return None


def wait_unreaped(pid: int) -> None:
    """Block until child ``pid`` exits, leaving it for the supervisor to reap.

    ``waitid(WNOWAIT)`` where Python has it; macOS's Python (before 3.13) has no
    ``os.waitid``, so there a kqueue's NOTE_EXIT, which does not reap either.
    """
    if sys.platform == "win32":  # POSIX only: Windows waits in ThreadSupervisor
        raise NotImplementedError("waiting on a pid unreaped is POSIX only")
    if sys.platform == "darwin":
        import select

        queue = select.kqueue()
        try:
            event = select.kevent(pid, select.KQ_FILTER_PROC, select.KQ_EV_ADD | select.KQ_EV_ONESHOT,
                                  select.KQ_NOTE_EXIT)
            queue.control([event], 1, None)
        finally:
            queue.close()
        return
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)


class ExitWatcher:
    """A file descriptor that becomes readable when the leader exits (see the module
    docstring); :meth:`close` it when the run ends."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self.exited = False

    @classmethod
    def leader(cls, proc: Child, pidfd: int | None) -> ExitWatcher:
        """Watch ``proc`` through ``pidfd`` (taken over), or a waiting thread's pipe if None."""
        pid = proc.pid
        if pidfd is not None:
            return cls(pid, pidfd)
        read_fd, write_fd = os.pipe()

        def body() -> None:
            try:
                wait_unreaped(pid)
            except OSError:  # reaped already: either way it is not running
                pass
            os.close(write_fd)  # EOF makes read_fd readable

        threading.Thread(target=body, name=f"workdeck-wait-{pid}", daemon=True).start()
        return cls(pid, read_fd)

    def close(self) -> None:
        os.close(self.fd)


class WakeUp:
    """A descriptor that a cancel makes readable, kept by one thread for all its runs."""

    fd: int  # what the supervisor polls
    _write_fd: int  # what wake writes to (the same eventfd on Linux)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: object | None = None  # the run a wake-up is for now
        self._written = False  # a wake-up is waiting to be read
        if sys.platform == "win32":  # the thread supervisor wakes through its queue there
            raise NotImplementedError("the wake-up descriptor is POSIX only")
        if sys.platform == "linux":
            self.fd = self._write_fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        else:
            self.fd, self._write_fd = os.pipe()
            os.set_blocking(self.fd, False)
            os.set_blocking(self._write_fd, False)

    def arm(self, run: object) -> bool:
        """From now on :meth:`wake` for ``run`` wakes the poll; False if another run has it
        armed (a run supervised inside another's on this thread: make a WakeUp of its own)."""
        with self._lock:
            if self._armed is not None:
                return False
            self._armed = run
            return True

    def wake(self, run: object) -> None:
        """Any thread: wake ``run``'s poll, if ``run`` is still the armed one."""
        with self._lock:  # never a write for a run that ended (nor to a closed fd number)
            if self._armed is not run or self._written:
                return
            self._written = True
            try:
                if sys.platform == "linux":
                    os.eventfd_write(self._write_fd, 1)
                else:
                    os.write(self._write_fd, b"x")
            except BlockingIOError:  # full: a wake-up is pending anyway
                pass

    def take(self) -> None:
        """The poll saw the descriptor readable: read the wake-up, so the next poll waits."""
        with self._lock:
            self._drain()

    def disarm(self) -> None:
        """The run is over: no wake-up reaches the descriptor after this returns, and none
        is left waiting in it for the thread's next run."""
        with self._lock:
            self._armed = None
            self._drain()

    def _drain(self) -> None:
        """Under the lock."""
        if not self._written:
            return
        self._written = False
        try:
            if sys.platform == "linux":
                os.eventfd_read(self.fd)
            else:
                os.read(self.fd, 4096)
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self.fd)
        if self._write_fd != self.fd:
            os.close(self._write_fd)

    def __del__(self) -> None:
        # The thread ended (its locals go) and no cancel callback can reach this object
        # any more: a callback holds its supervisor, which holds this.
        try:
            self.close()
        except (OSError, AttributeError, TypeError):  # closed already, or made only in part
            pass


_THREAD = threading.local()


def thread_wake_up() -> WakeUp:
    """This thread's :class:`WakeUp`, made at its first run."""
    try:
        wake: WakeUp = _THREAD.wake_up
    except AttributeError:
        wake = _THREAD.wake_up = WakeUp()
    return wake
