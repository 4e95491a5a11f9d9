"""Free space where the database lives: no change signal, so polled."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QObject

from engine.clock import Clock
from engine.conditions.source import ConditionSettings, Reading, _PolledSource
from engine.model import Constraint


class StorageNotLowSource(_PolledSource):
    """Free space on the file system that holds the database; polled (no signal)."""

    constraint = Constraint.STORAGE_NOT_LOW

    def __init__(self, clock: Clock, settings: ConditionSettings, data_path: str, parent: QObject | None = None) -> None:
        super().__init__(clock, settings, parent)
        path = Path(data_path) if data_path and data_path != ":memory:" else Path.cwd()
        self._dir = path if path.is_dir() else path.parent

    def _read(self) -> Reading:
        free = shutil.disk_usage(self._dir).free
        if free >= self._settings.storage_low_bytes:
            return Reading(True, "")
        return Reading(
            False,
            f"waiting for free storage ({_size(free)} free in {self._dir}, "
            f"low is under {_size(self._settings.storage_low_bytes)})",
        )


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
