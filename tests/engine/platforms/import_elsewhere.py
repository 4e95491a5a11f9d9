"""Import every module of engine/ and ui/ as if on another platform (run as a script).

``python -m tests.engine.platforms.import_elsewhere win32|darwin`` prints one JSON line: the
modules imported and, for each that failed, its error. What it pretends:

- ``fcntl``, ``termios``, ``resource``, ``pwd`` and ``grp`` cannot be imported (a
  meta-path finder raises ImportError, as on Windows);
- reading anything under ``/proc`` fails (no procfs on Windows or macOS);
- ``sys.platform`` is the one named, so ``sys.platform == "win32"`` branches run;
- on ``win32`` the POSIX-only functions and constants of ``os``, ``signal`` and
  ``socket`` are gone, on ``darwin`` the Linux-only ones.

The standard library and the third-party packages Workdeck uses (PySide6 included)
are imported first, for real, on this platform: they are not what is tested, and the
standard library itself branches on ``sys.platform`` at import (``subprocess`` on
win32 imports ``_winapi``, which Linux has not). Only Workdeck's own modules are then
imported under the pretence.
"""

from __future__ import annotations

import builtins
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from types import ModuleType
from typing import Any

BLOCKED = ("fcntl", "termios", "resource", "pwd", "grp")
OURS = ("engine", "ui")
#: Where OURS were found (a culprit is a line in one of them).
_FOLDERS: list[str] = []

#: What Python on Windows does not have (a module-level use of any of these breaks there).
POSIX_ONLY = {
    os: ("getuid", "geteuid", "getgid", "getegid", "getpgid", "setpgid", "setsid", "killpg", "fork", "fchmod",
         "fchown", "pwrite", "pread", "statvfs", "sched_setscheduler", "sched_param", "SCHED_IDLE", "nice",
         "waitid", "P_PID", "WEXITED", "WNOWAIT", "WNOHANG", "O_NOFOLLOW", "O_CLOEXEC", "O_NONBLOCK",
         "O_DIRECTORY", "ST_RDONLY", "pidfd_open", "getpgrp", "setpriority", "PRIO_PROCESS", "sysconf",
         "getloadavg", "uname", "mkfifo"),
    signal: ("SIGKILL", "SIGHUP", "SIGQUIT", "SIGCHLD", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE", "SIGSTOP",
             "SIGCONT", "pthread_sigmask", "pthread_kill", "SIG_BLOCK", "sigwait", "setitimer", "alarm", "pause"),
    socket: ("AF_UNIX", "SO_PEERCRED"),
    time: ("clock_gettime", "clock_gettime_ns", "clock_settime", "CLOCK_MONOTONIC", "CLOCK_BOOTTIME",
           "CLOCK_REALTIME", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "pthread_getcpuclockid", "tzset"),
}
#: What Python on macOS does not have that Linux has.
LINUX_ONLY = {
    os: ("sched_setscheduler", "sched_param", "SCHED_IDLE", "pidfd_open", "O_PATH", "waitid", "P_PID", "P_PIDFD",
         "memfd_create", "eventfd", "timerfd_create", "getxattr", "posix_fadvise", "sched_getaffinity"),
    socket: ("SO_PEERCRED",),
    time: ("CLOCK_BOOTTIME",),
}


class _Refuse(MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname in BLOCKED:
            raise ImportError(f"No module named {fullname!r} (blocked: not on this platform)")
        return None


def _no_proc(function: Any) -> Any:
    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, bytes, os.PathLike)) and os.fsdecode(os.fspath(file)).startswith("/proc"):
            raise FileNotFoundError(2, "No such file or directory (no /proc on this platform)", os.fspath(file))
        return function(file, *args, **kwargs)

    return refuse


def our_modules() -> list[str]:
    """Every module of engine/ and ui/, each imported (for real, on this platform)."""
    names = []
    for package_name in OURS:
        package = importlib.import_module(package_name)
        _FOLDERS.extend(os.path.join(folder, "") for folder in package.__path__)
        names.append(package_name)
        names.extend(m.name for m in pkgutil.walk_packages(package.__path__, package_name + "."))
    for name in names:
        importlib.import_module(name)
    return sorted(names)


def _where(exc: BaseException) -> str:
    """The innermost line of Workdeck's own code the error went through (the culprit,
    which may be a module the one being imported imports)."""
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(tuple(_FOLDERS))]
    frame = ours[-1] if ours else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{os.path.relpath(frame.filename)}:{frame.lineno}"


@contextmanager
def pretending(platform: str) -> Iterator[None]:
    """The other platform, as the module docstring says, until the block ends."""
    saved_functions = (builtins.open, io.open, os.open, os.listdir, os.scandir)
    removed: list[tuple[ModuleType, str, Any]] = []
    finder = _Refuse()
    sys.meta_path.insert(0, finder)
    builtins.open = io.open = _no_proc(io.open)
    os.open, os.listdir, os.scandir = _no_proc(os.open), _no_proc(os.listdir), _no_proc(os.scandir)
    for module, attributes in (POSIX_ONLY if platform == "win32" else LINUX_ONLY).items():
        for attribute in attributes:
            if hasattr(module, attribute):
                removed.append((module, attribute, getattr(module, attribute)))
                delattr(module, attribute)
    # os.name stays "posix": pathlib picks its flavour from it at every Path(); our code
    # branches on sys.platform (which mypy understands).
    real_platform, sys.platform = sys.platform, platform
    try:
        yield
    finally:
        sys.platform = real_platform
        for module, attribute, value in removed:
            setattr(module, attribute, value)
        builtins.open, io.open, os.open, os.listdir, os.scandir = saved_functions
        sys.meta_path.remove(finder)


def main(platform: str) -> dict[str, Any]:
    names = our_modules()  # what they import from outside stays imported, as it is
    for name in list(sys.modules):
        if name.split(".")[0] in OURS or name in BLOCKED:
            del sys.modules[name]
    failures: dict[str, str] = {}
    for name in names:
        with pretending(platform):
            try:
                importlib.import_module(name)
            except BaseException as exc:  # reported; one failure does not hide the next
                failures[name] = f"{_where(exc)}: " + "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if name in failures:
            # Imported for real, so each failure is reported once, by the module that has
            # it, and the modules importing it are still checked.
            importlib.import_module(name)
    return {"platform": platform, "imported": [n for n in names if n not in failures], "failures": failures}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
