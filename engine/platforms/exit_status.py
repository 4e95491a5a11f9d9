"""A command's exit status in words, for the run's reason.

POSIX reports a death by signal as a negative return code (``-9``: SIGKILL). Windows has
no signals: a process that crashed or was stopped by Ctrl+C ends with an NTSTATUS code as
its exit status, which Python gives as the unsigned 32-bit number (``3221225786`` is
``0xC000013A``, STATUS_CONTROL_C_EXIT). :data:`NTSTATUS` names the common ones in plain
words; any other status with the error bits set (``0xC0000000``) is shown in hex, the
form Windows' documentation and search engines know it by.
"""

from __future__ import annotations

import signal

#: NTSTATUS codes a command commonly ends with: (name, what happened).
NTSTATUS: dict[int, tuple[str, str]] = {
    0xC000013A: ("STATUS_CONTROL_C_EXIT", "stopped by Ctrl+C or Ctrl+Break, or its console was closed"),
    0xC0000005: ("STATUS_ACCESS_VIOLATION", "crashed: it accessed memory it does not own"),
    0xC00000FD: ("STATUS_STACK_OVERFLOW", "crashed: stack overflow"),
    0xC0000409: ("STATUS_STACK_BUFFER_OVERRUN", "crashed: it stopped itself on a fatal error (fail-fast)"),
    0xC0000374: ("STATUS_HEAP_CORRUPTION", "crashed: its memory (heap) was corrupted"),
    0xC000001D: ("STATUS_ILLEGAL_INSTRUCTION", "crashed: illegal instruction"),
    0xC0000094: ("STATUS_INTEGER_DIVIDE_BY_ZERO", "crashed: integer division by zero"),
    0xC0000017: ("STATUS_NO_MEMORY", "ran out of memory"),
    0xC0000135: ("STATUS_DLL_NOT_FOUND", "could not start: a DLL it needs was not found"),
    0xC0000139: ("STATUS_ENTRYPOINT_NOT_FOUND", "could not start: a DLL it needs lacks a function (wrong version)"),
    0xC0000142: ("STATUS_DLL_INIT_FAILED", "could not start: a DLL failed to initialise"),
    0xC000007B: ("STATUS_INVALID_IMAGE_FORMAT", "could not start: not a program for this Windows (32/64-bit?)"),
    0xC0000022: ("STATUS_ACCESS_DENIED", "could not start: access denied"),
    0x80000003: ("STATUS_BREAKPOINT", "crashed: it hit a breakpoint with no debugger attached"),
}
_ERROR_BITS = 0xC0000000


def describe(returncode: int, platform: str) -> str:
    """Why a command ended with ``returncode`` (not 0), as the run's reason.
    ``platform`` is a ``sys.platform`` value."""
    if platform == "win32":
        status = returncode & 0xFFFFFFFF  # the unsigned DWORD, whichever way it was read
        if status in NTSTATUS:
            name, words = NTSTATUS[status]
            return f"{words} (exit status 0x{status:08X}, {name})"
        if status & _ERROR_BITS == _ERROR_BITS:
            return f"ended with Windows error status 0x{status:08X}"
        return f"exited with status {returncode}"
    if returncode < 0:
        return f"killed by signal {_signal_name(-returncode)}"
    return f"exited with status {returncode}"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)
