"""Settings: typed values in an ini file, change signals, the engine's parallelism, the dialog."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from ui.settings import NotificationStyle, Settings, SettingsDialog


@pytest.fixture
def settings(tmp_path: Path, qapp: Any) -> Settings:
    return Settings.at(tmp_path / "workdeck.ini", data_location=tmp_path / "workdeck.db")


def test_defaults(settings: Settings) -> None:
    assert settings.start_at_login is False
    assert settings.close_to_tray is True
    assert settings.close_message_shown is False
    assert settings.notification_style is NotificationStyle.AUTO
    assert settings.default_snooze_minutes == 10
    assert settings.max_parallel == 0


def test_values_survive_a_new_settings_object_and_emit_changes(settings: Settings, tmp_path: Path) -> None:
    changed: list[str] = []
    settings.changed.connect(changed.append)
    settings.start_at_login = True
    settings.close_to_tray = False
    settings.notification_style = "window"
    settings.default_snooze_minutes = 30
    settings.max_parallel = 3
    settings.max_parallel = 3  # no change, no signal
    again = Settings.at(tmp_path / "workdeck.ini")
    assert (again.start_at_login, again.close_to_tray) == (True, False)
    assert again.notification_style is NotificationStyle.WINDOW
    assert (again.default_snooze_minutes, again.max_parallel) == (30, 3)
    assert changed == ["start_at_login", "close_to_tray", "notification_style", "default_snooze_minutes",
                       "max_parallel"]


def test_bad_values_are_refused_and_hand_edits_fall_back(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        settings.default_snooze_minutes = 0
    with pytest.raises(ValueError):
        settings.max_parallel = -1
    with pytest.raises(ValueError):
        settings.notification_style = "carrier-pigeon"
    (tmp_path / "edited.ini").write_text("[General]\nnotification_style=smoke\ndefault_snooze_minutes=abc\n")
    edited = Settings.at(tmp_path / "edited.ini")
    assert edited.notification_style is NotificationStyle.AUTO
    assert edited.default_snooze_minutes == 10


def test_max_parallel_is_applied_to_the_dispatcher_and_follows_changes(settings: Settings) -> None:
    woken: list[bool] = []
    dispatcher = SimpleNamespace(max_deferred=4, wake=lambda: woken.append(True))
    engine = SimpleNamespace(dispatcher=dispatcher, started=True)
    settings.apply_to_engine(engine)
    assert dispatcher.max_deferred == 4  # 0: the engine's default stays
    settings.max_parallel = 1
    assert dispatcher.max_deferred == 1 and woken
    settings.max_parallel = 0
    assert dispatcher.max_deferred == 4


def test_dialog_writes_on_ok_and_shows_the_data_location(settings: Settings, qtbot: Any, tmp_path: Path) -> None:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.data_location.text() == str(tmp_path / "workdeck.db")
    dialog.start_at_login.setChecked(True)
    dialog.notification_style.setCurrentIndex(dialog.notification_style.findData("tray"))
    dialog.default_snooze.setValue(5)
    dialog.max_parallel.setValue(2)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert settings.start_at_login and settings.notification_style is NotificationStyle.TRAY
    assert (settings.default_snooze_minutes, settings.max_parallel) == (5, 2)


def test_dialog_cancel_changes_nothing(settings: Settings, qtbot: Any) -> None:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.close_to_tray.setChecked(False)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert settings.close_to_tray is True
