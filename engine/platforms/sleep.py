"""What the platform announces about the clock: a clock set, a resume from sleep.

:class:`engine.clockwatch.ClockWatch` measures wall-clock against elapsed progress every
:data:`engine.clockwatch.CHECK_SECONDS` on every platform (the portable path: it needs
nothing but the clock) and, where the platform announces a change, re-checks at once
on the announcement. This module is the announcing half: one interface,
:class:`SleepWatch`, one implementation per platform, chosen by :func:`for_platform`.

- **Linux** (:class:`LinuxSleepWatch`, engine.platforms.sleep_linux): a timerfd with
  ``TFD_TIMER_CANCEL_ON_SET`` (clock sets) and logind's ``PrepareForSleep(false)``
  (resumes).
- **Windows** (engine.platforms.sleep_windows): ``WM_POWERBROADCAST`` (resume) and
  ``WM_TIMECHANGE`` (clock set), delivered to a hidden top-level window that a thread
  of ours creates through ctypes. Not a Qt native event filter in ui/: the engine
  runs headless too (``workdeck serve``, no window of Qt's gets these broadcasts then),
  and engine/ may not import QtGui.
- **macOS**: :class:`NoSleepWatch`. NSWorkspace's ``didWakeNotification`` needs pyobjc
  (two large platform packages) for what the check already sees within a second:
  CLOCK_MONOTONIC counts sleep on macOS while ``time.monotonic`` does not, so the
  check measures the time slept, and a clock set shows as wall progress.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable

from PySide6.QtCore import QObject

#: Called with the announcement's source ("timerfd", "logind", "WM_POWERBROADCAST", ...).
Announce = Callable[[str], None]


class SleepWatch(ABC):
    """Announces clock sets and resumes the platform reports, on the owner's thread."""

    @abstractmethod
    def start(self, parent: QObject, announce: Announce) -> None:
        """Begin; ``announce(source)`` is called on ``parent``'s thread per report."""

    @abstractmethod
    def stop(self) -> None:
        """End; no announcement comes after this returns."""

    @property
    @abstractmethod
    def kernel_watch(self) -> bool:
        """True while the platform tells this watch of clock sets."""


class NoSleepWatch(SleepWatch):
    """Nothing announced: the periodic check alone notices (macOS, the BSDs)."""

    def start(self, parent: QObject, announce: Announce) -> None:
        pass

    def stop(self) -> None:
        pass

    @property
    def kernel_watch(self) -> bool:
        return False


class LinuxSleepWatch(SleepWatch):
    """A timerfd for clock sets, logind for resumes."""

    def __init__(self) -> None:
        from engine.platforms import sleep_linux

        self._linux = sleep_linux
        self.cancel_on_set: sleep_linux._CancelOnSet | None = None
        self.logind: sleep_linux._SleepWatcher | None = None

    def start(self, parent: QObject, announce: Announce) -> None:
        self.cancel_on_set = self._linux._CancelOnSet.open(parent, lambda: announce("timerfd"))
        self.logind = self._linux._SleepWatcher(parent, lambda: announce("logind"))

    def stop(self) -> None:
        if self.cancel_on_set is not None:
            self.cancel_on_set.close()
            self.cancel_on_set = None
        if self.logind is not None:
            self.logind.deleteLater()
            self.logind = None

    @property
    def kernel_watch(self) -> bool:
        return self.cancel_on_set is not None


def for_platform(platform: str | None = None) -> SleepWatch:
    """The watch for ``platform`` (default: this one)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return LinuxSleepWatch()
    if platform == "win32":
        from engine.platforms.sleep_windows import WindowsSleepWatch

        return WindowsSleepWatch()
    return NoSleepWatch()
