"""Short CPU time slices for the moment an alarm fires (Linux 6.12+, EEVDF custom slices).

Linux's fair scheduler (EEVDF, 6.6+) gives each task a virtual deadline one time slice
after it becomes eligible, and runs the earliest deadline. A thread that wakes beside
busy programs therefore waits for them until its deadline comes up: a slice, 1.4 ms
here by default (0.75 ms times 1 + log2 of the CPUs), and more when it is preempted
again mid-way. Since 6.12 a task may ask for a shorter slice (``sched_attr.sched_runtime``
with ``sched_setattr``, 0.1-100 ms, no privilege needed); a waking task with a shorter
slice preempts the running one at once. It does not change the task's share of the CPU.

:class:`ShortSlice` asks for :data:`SHORT_SLICE_NS` on the calling thread while
:meth:`ShortSlice.hold` lasts (the alarm scheduler holds it over the last wait before an
alarm and the start of its command) and gives it back on :meth:`ShortSlice.release`.
The slice is inherited by processes and threads started meanwhile: the alarm's
command starts with it, which is the point. It is not held all the time because the
engine's thread also starts the pool threads that run deferred work: with every
thread on short slices, 2,000 shell tasks drained 8-15% slower (more preemptions).

Measured with one CPU hog per core, 200 alarms 20 ms apart running ``true``
(tests/bench/bench_alarms.py, alternated with the code before, two runs of three
rounds each, load ~2): the worst round's p99 of the command's start 7.6 and 11.5 ms
against 12.3 and 12.7 ms. The same slice held all the time did better still for
alarms (``fired_at`` p95 0.001 ms in every round, against up to 3.8 ms), at the
deferred drain's cost above.

Elsewhere (other systems, older kernels, a thread at ``SCHED_IDLE`` or a real-time
policy the user chose) nothing changes: an older kernel takes ``sched_runtime`` for a
fair task and ignores it, the rest is never asked.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: The slice asked for while an alarm is near: the kernel's minimum (0.1 ms).
SHORT_SLICE_NS = 100_000

#: sched_setattr and sched_getattr by machine (Linux's generic table where it has one).
_SYSCALLS = {
    "x86_64": (314, 315),
    "aarch64": (274, 275),
    "riscv64": (274, 275),
    "loongarch64": (274, 275),
    "i686": (351, 352),
    "armv7l": (380, 381),
    "ppc64le": (355, 356),
    "s390x": (345, 346),
}
#: The fair policies, whose slice this is (SCHED_OTHER, SCHED_BATCH).
_FAIR = (0, 3)


class _Syscalls:
    """sched_getattr/sched_setattr through ctypes (imported on first use: ~3 ms)."""

    def __init__(self, setattr_number: int, getattr_number: int) -> None:
        import ctypes

        class Attr(ctypes.Structure):
            _fields_ = [
                ("size", ctypes.c_uint32), ("policy", ctypes.c_uint32), ("flags", ctypes.c_uint64),
                ("nice", ctypes.c_int32), ("priority", ctypes.c_uint32), ("runtime", ctypes.c_uint64),
                ("deadline", ctypes.c_uint64), ("period", ctypes.c_uint64),
            ]

        self._ctypes = ctypes
        self._attr = Attr
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._set, self._get = setattr_number, getattr_number

    def get(self, pid: int = 0) -> Any:
        """The scheduling attributes of thread ``pid`` (0: the calling one), or None."""
        attr = self._attr()
        size = self._ctypes.sizeof(attr)
        if self._libc.syscall(self._get, pid, self._ctypes.byref(attr), size, 0) != 0:
            return None
        return attr

    def set(self, attr: Any) -> bool:
        attr.size = self._ctypes.sizeof(attr)
        attr.flags = 0
        return bool(self._libc.syscall(self._set, 0, self._ctypes.byref(attr), 0) == 0)


_syscalls: _Syscalls | None = None


def syscalls() -> _Syscalls | None:
    """The scheduling calls on this machine, or None where there are none to make."""
    global _syscalls
    if sys.platform != "linux":
        return None
    if _syscalls is None:
        numbers = _SYSCALLS.get(os.uname().machine)
        if numbers is None:
            return None
        _syscalls = _Syscalls(*numbers)
    return _syscalls


class ShortSlice:
    """The calling thread's short slice, held and released (see the module's docstring).
    Used from one thread; a hold that the kernel or the thread's policy refuses is
    remembered, and not asked again."""

    def __init__(self, nanoseconds: int = SHORT_SLICE_NS) -> None:
        self.nanoseconds = nanoseconds
        self.held = False
        self._refused = sys.platform != "linux"

    def hold(self) -> None:
        if self.held or self._refused:
            return
        calls = syscalls()
        attr = calls.get() if calls is not None else None
        if calls is None or attr is None or attr.policy not in _FAIR:
            self._refused = True  # a real-time or idle thread: its policy is the user's choice
            return
        attr.runtime = self.nanoseconds  # policy and nice as they are
        self.held = calls.set(attr)
        self._refused = not self.held

    def release(self) -> None:
        """Back to the kernel's default slice."""
        if not self.held:
            return
        self.held = False
        calls = syscalls()
        attr = calls.get() if calls is not None else None
        if calls is not None and attr is not None:
            attr.runtime = 0  # 0: the default (sched_setattr(2))
            calls.set(attr)
