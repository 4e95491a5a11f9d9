"""Linux: the kernel and logind announce clock sets and resumes (engine.platforms.sleep).

- **A clock set**: a ``timerfd`` on CLOCK_REALTIME armed with
  ``TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET`` (what systemd uses): any
  ``clock_settime`` (the user, NTP's step, timedated) makes its ``read`` fail with
  ECANCELED at once; a QSocketNotifier watches it and it is re-armed after each notice.
- **A resume**: logind's ``PrepareForSleep(false)`` on the system bus.

Moved here from engine.clockwatch unchanged (which still names them for its tests).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, Slot

log = logging.getLogger("engine.clockwatch")

# ---------------------------------------------------------------- timerfd


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


# <sys/timerfd.h>, <time.h>: the same values on every Linux architecture.
_CLOCK_REALTIME = 0
# getattr: this module imports everywhere (engine.clockwatch names its pieces), and
# Windows has neither flag; only Linux ever uses them.
_TFD_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_TFD_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_TFD_TIMER_ABSTIME = 1
_TFD_TIMER_CANCEL_ON_SET = 2
#: The timer is armed this far ahead: it exists to be cancelled, and is re-armed if it
#: ever expires.
_FAR = 365 * 86400


class _CancelOnSet(QObject):
    """A CLOCK_REALTIME timerfd whose read fails with ECANCELED when the clock is set
    (Python 3.13 has os.timerfd_create; 3.11 does not, hence ctypes)."""

    def __init__(self, parent: QObject, fd: int, libc: Any, on_set: Callable[[], None]) -> None:
        super().__init__(parent)
        self.fd = fd
        self._libc = libc
        self._on_set = on_set
        self._arm()
        self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)

    @classmethod
    def open(cls, parent: QObject, on_set: Callable[[], None]) -> _CancelOnSet | None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            create = libc.timerfd_create
        except (OSError, AttributeError):
            log.debug("no timerfd here: clock changes are measured by the periodic check")
            return None
        fd = create(_CLOCK_REALTIME, _TFD_CLOEXEC | _TFD_NONBLOCK)
        if fd < 0:
            log.warning("timerfd_create failed (%s): clock changes are measured by the periodic check",
                        os.strerror(ctypes.get_errno()))
            return None
        try:
            return cls(parent, fd, libc, on_set)
        except OSError:
            os.close(fd)
            log.warning("timerfd_settime failed: clock changes are measured by the periodic check", exc_info=True)
            return None

    def _arm(self) -> None:
        # Absolute, on CLOCK_REALTIME, far ahead: "now" is read from the kernel's
        # clock, not the Clock interface, because it is the kernel's clock that is watched.
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(int(_realtime()) + _FAR, 0))
        flags = _TFD_TIMER_ABSTIME | _TFD_TIMER_CANCEL_ON_SET
        if self._libc.timerfd_settime(self.fd, flags, ctypes.byref(spec), None) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))

    @Slot()
    def _on_readable(self) -> None:
        try:
            os.read(self.fd, 8)  # 8 bytes: the far timer expired (a year of uptime)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno != errno.ECANCELED:
                raise
        self._arm()  # a cancelled timer stays cancelled until it is armed again
        self._on_set()

    def close(self) -> None:
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        os.close(self.fd)
        self.fd = -1
        self.deleteLater()


def _realtime() -> float:
    if sys.platform == "win32":  # this module is Linux's (timerfd); engine.platforms.sleep picks it there only
        raise NotImplementedError("clock_gettime is POSIX only")
    return time.clock_gettime(time.CLOCK_REALTIME)


# ---------------------------------------------------------------- logind


class _SleepWatcher(QObject):
    """logind's PrepareForSleep(false) on the system bus: a resume, announced."""

    def __init__(self, parent: QObject | None, on_resume: Callable[[], None]) -> None:
        super().__init__(parent)
        self._on_resume = on_resume
        self.connected = False
        try:
            from PySide6.QtCore import SLOT
            from PySide6.QtDBus import QDBusConnection

            bus = QDBusConnection.systemBus()
            if bus.isConnected():
                self.connected = bus.connect(
                    "org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                    "PrepareForSleep", self, SLOT("on_prepare_for_sleep(bool)"),  # type: ignore[call-overload]
                )
        except Exception:  # noqa: BLE001 - optional: the measurement notices a resume within a second
            log.debug("no logind sleep signal", exc_info=True)

    @Slot(bool)
    def on_prepare_for_sleep(self, going_to_sleep: bool) -> None:
        if not going_to_sleep:
            self._on_resume()
