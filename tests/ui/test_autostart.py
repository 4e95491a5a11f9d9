"""Start at login: the XDG entry written and removed in a temporary XDG_CONFIG_HOME."""

from __future__ import annotations

import configparser
import plistlib
import sys
from pathlib import Path
from typing import Any

import pytest

from ui.autostart import Autostart, desktop_exec, follow, launch_command
from ui.settings import Settings

ARGV = ["/opt/work deck/bin/workdeck", "--db", "/home/u/My $stuff/w.db", "--hidden"]


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _parse_exec(value: str) -> list[str]:
    """The desktop entry spec's reading of Exec, written independently of the code under test:
    the string's own escapes first, then quoted arguments with \\" \\` \\$ \\\\ escapes."""
    value = value.replace("\\\\", "\\")
    args: list[str] = []
    i, current, quoted, started = 0, "", False, False
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and value[i + 1] in '"`$\\':
            current += value[i + 1]
            i += 2
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += ch
        i += 1
    if started or current:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


def test_xdg_entry_is_written_in_xdg_config_home_and_removed(tmp_path: Path) -> None:
    auto = Autostart(ARGV, platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, home=tmp_path)
    assert auto.path == tmp_path / "cfg" / "autostart" / "workdeck.desktop"
    assert not auto.enabled()
    auto.enable()
    assert auto.enabled()
    entry = _entry(auto.path)
    assert entry["Type"] == "Application" and entry["Name"] == "Workdeck"
    assert entry["Exec"].endswith("--hidden")
    assert _parse_exec(entry["Exec"]) == ARGV
    assert not list(auto.path.parent.glob(".workdeck.desktop.*"))  # no temp file left
    auto.disable()
    assert not auto.enabled() and not auto.path.exists()
    auto.disable()  # idempotent


def test_without_xdg_config_home_it_goes_to_dot_config(tmp_path: Path) -> None:
    auto = Autostart(ARGV, platform="linux", env={}, home=tmp_path)
    assert auto.path == tmp_path / ".config" / "autostart" / "workdeck.desktop"


def test_desktop_exec_leaves_plain_arguments_alone() -> None:
    assert desktop_exec(["workdeck", "--hidden"]) == "workdeck --hidden"
    assert desktop_exec(["a b", "100%"]) == '"a b" "100%%"'


def test_launch_command_starts_hidden_with_the_database(tmp_path: Path) -> None:
    argv = launch_command(tmp_path / "x.db")
    assert argv[-3:] == ["--db", str((tmp_path / "x.db").resolve()), "--hidden"]


def test_setting_writes_and_removes_the_entry(tmp_path: Path, qapp: Any) -> None:
    settings = Settings.at(tmp_path / "s.ini")
    auto = Autostart(ARGV, platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path)}, home=tmp_path)
    follow(settings, auto)
    assert not auto.enabled()
    settings.start_at_login = True
    assert auto.enabled()
    settings.start_at_login = False
    assert not auto.enabled()


def test_macos_launch_agent_code_path_on_a_temporary_home(tmp_path: Path) -> None:
    auto = Autostart(ARGV, platform="darwin", home=tmp_path)
    auto.enable()
    assert auto.path == tmp_path / "Library" / "LaunchAgents" / "org.workdeck.Workdeck.plist"
    agent = plistlib.loads(auto.path.read_bytes())
    assert agent["ProgramArguments"] == ARGV and agent["RunAtLoad"] is True
    auto.disable()
    assert not auto.enabled()


@pytest.mark.skipif(sys.platform != "win32", reason="the Run key needs winreg, which exists only on Windows")
def test_windows_run_key_round_trip() -> None:  # pragma: no cover - Windows only
    auto = Autostart(["C:\\Program Files\\Workdeck\\workdeck.exe", "--hidden"], platform="win32")
    was = auto.enabled()
    try:
        auto.enable()
        assert auto.enabled()
        auto.disable()
        assert not auto.enabled()
    finally:
        auto.set_enabled(was)
