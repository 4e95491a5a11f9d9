"""A manifest's ``shell = true`` command line, and the shell that runs it per platform.

POSIX: ``/bin/sh -c LINE``. Windows: ``%COMSPEC% /d /s /c "LINE"`` (cmd.exe; ``/d`` skips
AutoRun commands from the registry, ``/s`` makes cmd strip exactly the outer quotes and
run the rest as written) -- what Python's own ``shell=True`` does there.

On Windows a command line is one string: ``Popen`` joins a list with
``subprocess.list2cmdline``, whose backslash escapes are the C runtime's, which cmd.exe
does not read (``echo "a b"`` would reach it as ``echo \\"a b\\"``). :func:`popen_args`
therefore gives Popen the line for cmd as a string, built like ``shell=True``'s.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

POSIX_SHELL = ("/bin/sh", "-c")
_CMD_SWITCHES = ("/d", "/s", "/c")


def shell_argv(line: str, platform: str | None = None) -> list[str]:
    """The argv that runs ``line`` through the platform's shell (``platform``: a
    ``sys.platform`` value, this one's by default)."""
    if (platform or sys.platform) == "win32":
        return [os.environ.get("COMSPEC", "cmd.exe"), *_CMD_SWITCHES, line]
    return [*POSIX_SHELL, line]


def shell_line(args: Sequence[str]) -> str | None:
    """The command line if ``args`` is one made by :func:`shell_argv` (on any platform:
    a manifest exported on one is read on another), else None."""
    if len(args) == 3 and tuple(args[:2]) == POSIX_SHELL:
        return args[2]
    if len(args) == 5 and _is_cmd(args[0]) and tuple(a.lower() for a in args[1:4]) == _CMD_SWITCHES:
        return args[4]
    return None


def popen_args(args: Sequence[str], platform: str | None = None) -> list[str] | str:
    """What to give Popen for ``args``: the list itself, except a cmd.exe line on Windows,
    which goes as one string with the line quoted as cmd reads it."""
    if (platform or sys.platform) == "win32" and len(args) == 5 and _is_cmd(args[0]) \
            and tuple(a.lower() for a in args[1:4]) == _CMD_SWITCHES:
        import subprocess  # here: the manifest's parser needs only shell_argv

        return f'{subprocess.list2cmdline(args[:4])} "{args[4]}"'
    return list(args)


def _is_cmd(program: str) -> bool:
    name = program.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in ("cmd", "cmd.exe")
