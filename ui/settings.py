"""The user's settings (QSettings) and a small dialog to change them.

One :class:`Settings` object per process; tests give it a QSettings on an ini file in
a temporary directory. Changes are emitted (``changed(key)``) so the pieces that
depend on a setting (autostart, the dispatcher's parallelism) follow at once.
"""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

ORGANIZATION = "Workdeck"
APPLICATION = "Workdeck"


class NotificationStyle(enum.StrEnum):
    AUTO = "auto"  # desktop notification, else the tray's message, else our own window
    DESKTOP = "desktop"  # freedesktop notification where there is a server (else as auto)
    TRAY = "tray"  # the tray icon's message (else our window)
    WINDOW = "window"  # always Workdeck's own reminder window


SNOOZE_CHOICES = (5, 10, 30)  # minutes, as the reminder window offers them

_DEFAULTS: dict[str, Any] = {
    "start_at_login": False,
    "close_to_tray": True,
    "close_message_shown": False,
    "notification_style": NotificationStyle.AUTO.value,
    "default_snooze_minutes": 10,
    "max_parallel": 0,  # deferred runs at once; 0: the engine's default (the CPU count)
    "window_layout": None,  # the main window's layout_state(), as the user left it
}


def _as_bool(value: Any) -> bool:
    # QSettings' ini backend hands booleans back as "true"/"false" strings.
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


class Settings(QObject):
    changed = Signal(str)  # the key that changed

    def __init__(self, qsettings: QSettings | None = None, *, data_location: str | os.PathLike[str] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._q = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)
        self._data_location = Path(data_location) if data_location is not None else None

    @classmethod
    def at(cls, path: str | os.PathLike[str], **kwargs: Any) -> Settings:
        """Settings kept in an ini file at ``path`` (tests, portable installs)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat), **kwargs)

    # -- raw access -----------------------------------------------------------------

    def value(self, key: str) -> Any:
        return self._q.value(key, _DEFAULTS[key])

    def set_value(self, key: str, value: Any) -> None:
        if key not in _DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        if self._q.contains(key) and self.value(key) == value:
            return
        self._q.setValue(key, value)
        self._q.sync()
        self.changed.emit(key)

    # -- typed ----------------------------------------------------------------------

    @property
    def start_at_login(self) -> bool:
        return _as_bool(self.value("start_at_login"))

    @start_at_login.setter
    def start_at_login(self, on: bool) -> None:
        self.set_value("start_at_login", bool(on))

    @property
    def close_to_tray(self) -> bool:
        return _as_bool(self.value("close_to_tray"))

    @close_to_tray.setter
    def close_to_tray(self, on: bool) -> None:
        self.set_value("close_to_tray", bool(on))

    @property
    def close_message_shown(self) -> bool:
        return _as_bool(self.value("close_message_shown"))

    @close_message_shown.setter
    def close_message_shown(self, on: bool) -> None:
        self.set_value("close_message_shown", bool(on))

    @property
    def notification_style(self) -> NotificationStyle:
        try:
            return NotificationStyle(str(self.value("notification_style")))
        except ValueError:  # a hand-edited file: fall back rather than refuse to start
            return NotificationStyle.AUTO

    @notification_style.setter
    def notification_style(self, style: NotificationStyle | str) -> None:
        self.set_value("notification_style", NotificationStyle(style).value)

    @property
    def default_snooze_minutes(self) -> int:
        try:
            return max(1, int(self.value("default_snooze_minutes")))
        except (TypeError, ValueError):
            return int(_DEFAULTS["default_snooze_minutes"])

    @default_snooze_minutes.setter
    def default_snooze_minutes(self, minutes: int) -> None:
        if int(minutes) < 1:
            raise ValueError("a snooze lasts at least a minute")
        self.set_value("default_snooze_minutes", int(minutes))

    @property
    def max_parallel(self) -> int:
        """Deferred runs at once; 0 means the engine's own default."""
        try:
            return max(0, int(self.value("max_parallel")))
        except (TypeError, ValueError):
            return 0

    @max_parallel.setter
    def max_parallel(self, count: int) -> None:
        if int(count) < 0:
            raise ValueError("maximum parallel work must be 0 (automatic) or more")
        self.set_value("max_parallel", int(count))

    @property
    def window_layout(self) -> dict[str, Any]:
        value = self.value("window_layout")
        return dict(value) if isinstance(value, dict) else {}

    @window_layout.setter
    def window_layout(self, state: dict[str, Any]) -> None:
        self.set_value("window_layout", state)

    @property
    def data_location(self) -> Path | None:
        """Where the database is: shown, never changed here (--db/WORKDECK_DB choose it)."""
        return self._data_location

    # -- applying -------------------------------------------------------------------

    def apply_to_engine(self, engine: Any) -> None:
        """Give the engine the maximum parallel work now and whenever it changes."""
        default = getattr(engine.dispatcher, "max_deferred", None) or os.cpu_count() or 2

        def apply(key: str = "max_parallel") -> None:
            if key != "max_parallel":
                return
            engine.dispatcher.max_deferred = self.max_parallel or default
            if getattr(engine, "started", False):
                engine.dispatcher.wake()  # more room may start waiting work at once

        apply()
        self.changed.connect(apply)


class SettingsDialog(QDialog):
    """Edits the settings in place; OK writes them, Cancel leaves them."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Workdeck settings"))
        self._settings = settings
        form = QFormLayout(self)
        self.start_at_login = QCheckBox(self.tr("Start Workdeck in the tray when I log in"))
        self.start_at_login.setChecked(settings.start_at_login)
        self.close_to_tray = QCheckBox(self.tr("Closing the window keeps Workdeck running in the tray"))
        self.close_to_tray.setChecked(settings.close_to_tray)
        self.notification_style = QComboBox()
        labels = {
            NotificationStyle.AUTO: self.tr("Automatic"),
            NotificationStyle.DESKTOP: self.tr("Desktop notification"),
            NotificationStyle.TRAY: self.tr("Tray message"),
            NotificationStyle.WINDOW: self.tr("Workdeck's reminder window"),
        }
        for style, label in labels.items():
            self.notification_style.addItem(label, style.value)
        self.notification_style.setCurrentIndex(self.notification_style.findData(settings.notification_style.value))
        self.default_snooze = QSpinBox()
        self.default_snooze.setRange(1, 24 * 60)
        self.default_snooze.setSuffix(self.tr(" min"))
        self.default_snooze.setValue(settings.default_snooze_minutes)
        self.max_parallel = QSpinBox()
        self.max_parallel.setRange(0, 64)
        self.max_parallel.setSpecialValueText(self.tr("Automatic"))
        self.max_parallel.setValue(settings.max_parallel)
        location = settings.data_location
        self.data_location = QLabel(str(location) if location else self.tr("(default)"))
        self.data_location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.start_at_login)
        form.addRow(self.close_to_tray)
        form.addRow(self.tr("Reminders as"), self.notification_style)
        form.addRow(self.tr("Default snooze"), self.default_snooze)
        form.addRow(self.tr("Deferred work at once"), self.max_parallel)
        form.addRow(self.tr("Data location"), self.data_location)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.buttons = buttons

    def accept(self) -> None:
        s = self._settings
        s.start_at_login = self.start_at_login.isChecked()
        s.close_to_tray = self.close_to_tray.isChecked()
        s.notification_style = str(self.notification_style.currentData())
        s.default_snooze_minutes = self.default_snooze.value()
        s.max_parallel = self.max_parallel.value()
        super().accept()


__all__ = ["NotificationStyle", "Settings", "SettingsDialog", "SNOOZE_CHOICES"]
