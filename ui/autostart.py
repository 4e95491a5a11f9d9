"""Start at login: an XDG autostart entry, the Windows Run key or a macOS LaunchAgent.

All three start ``workdeck --hidden`` (the window's engine, with the window in the
tray) and are written and removed behind the one ``start_at_login`` setting
(:func:`follow`). Files are written atomically, so a crash mid-write never leaves a
half entry that a session manager would choke on. Linux is tested for real; the
macOS plist is written by the same code path and tested on a temporary home; the
Windows registry path needs Windows.
"""

from __future__ import annotations

import logging
import os
import plistlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ui.resource_files import desktop_entry_template

log = logging.getLogger(__name__)

#: Kept as it was first written, so an entry made by an earlier version is replaced, not doubled.
DESKTOP_FILE_NAME = "workdeck.desktop"
LAUNCH_AGENT_LABEL = "org.workdeck.Workdeck"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Workdeck"
HIDDEN_FLAG = "--hidden"



def app_command() -> list[str]:
    """The argv that starts *this* installation of Workdeck: the ``workdeck`` script
    installed beside this interpreter (a pipx or virtual environment's bin/), else this
    interpreter running the CLI module. Never a lookup on PATH, which may find another
    installation (or none, in a desktop session's environment)."""
    exe = Path(sys.executable)
    if sys.platform != "win32":
        script = exe.parent / "workdeck"
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script)]
    return [_gui_python(), "-m", "ui.cli"]


def launch_command(db: str | os.PathLike[str] | None = None) -> list[str]:
    """The argv that starts Workdeck hidden in the tray (see :func:`app_command`)."""
    argv = app_command()
    if db is not None:
        argv += ["--db", str(Path(db).resolve())]
    return [*argv, HIDDEN_FLAG]


def _gui_python() -> str:
    # pythonw.exe on Windows: no console window flashes at login.
    exe = Path(sys.executable)
    if sys.platform == "win32" and (exe.parent / "pythonw.exe").exists():
        return str(exe.parent / "pythonw.exe")
    return str(exe)


def desktop_exec(argv: Sequence[str]) -> str:
    """``argv`` as a desktop entry's Exec value (the spec's quoting rules)."""
    parts = []
    for arg in argv:
        if arg and not re.search(r"[\s\"'\\><~|&;$*?#()`=%]", arg):
            parts.append(arg)
            continue
        # Inside double quotes, ", `, $ and \ are escaped with a backslash; then the
        # whole value is a desktop-file string, where a backslash is written twice.
        quoted = re.sub(r'(["`$\\])', r"\\\1", arg).replace("%", "%%")
        parts.append('"' + quoted.replace("\\", "\\\\") + '"')
    return " ".join(parts)


def desktop_entry(argv: Sequence[str]) -> str:
    """The packaged desktop entry (resources/org.workdeck.Workdeck.desktop) with Exec=argv."""
    exec_line = f"Exec={desktop_exec(argv)}"
    lines = [exec_line if line.startswith("Exec=") else line for line in desktop_entry_template().splitlines()]
    if exec_line not in lines:
        lines.append(exec_line)
    return "\n".join(lines) + "\n"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Autostart:
    """The start-at-login entry of one platform.

    ``platform``, ``env`` and ``home`` are parameters so tests point the entry at a
    temporary directory (and so the macOS code path can be exercised on Linux).
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        platform: str = sys.platform,
        env: Mapping[str, str] | None = None,
        home: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv = list(argv) if argv is not None else launch_command()
        self.platform = platform
        self._env = env if env is not None else os.environ
        self._home = Path(home) if home is not None else Path.home()

    # -- where ----------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The file written on this platform (None on Windows: a registry value)."""
        if self.platform.startswith("win"):
            return None
        if self.platform == "darwin":
            return self._home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        config = self._env.get("XDG_CONFIG_HOME") or str(self._home / ".config")
        return Path(config) / "autostart" / DESKTOP_FILE_NAME

    # -- what -----------------------------------------------------------------------

    def desktop_entry(self) -> str:
        """The application's desktop entry with Exec set to start hidden."""
        return desktop_entry(self.argv)

    def launch_agent(self) -> bytes:
        return plistlib.dumps({
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": self.argv,
            "RunAtLoad": True,
            "ProcessType": "Interactive",  # a user-facing app, not throttled like a daemon
        })

    # -- doing ----------------------------------------------------------------------

    def enabled(self) -> bool:
        if self.platform.startswith("win"):
            return self._read_run_value() is not None
        path = self.path
        return path is not None and path.exists()

    def enable(self) -> None:
        if self.platform.startswith("win"):
            self._write_run_value(subprocess.list2cmdline(self.argv))
        elif self.platform == "darwin":
            _atomic_write(self._require_path(), self.launch_agent())
        else:
            _atomic_write(self._require_path(), self.desktop_entry().encode("utf-8"))
        log.info("start at login enabled (%s)", self.path or "HKCU\\" + RUN_KEY)

    def disable(self) -> None:
        if self.platform.startswith("win"):
            self._delete_run_value()
        else:
            self._require_path().unlink(missing_ok=True)
        log.info("start at login disabled")

    def set_enabled(self, on: bool) -> None:
        self.enable() if on else self.disable()

    def _require_path(self) -> Path:
        path = self.path
        assert path is not None
        return path

    # -- Windows (needs winreg: Windows only) --------------------------------------

    def _winreg(self) -> Any:
        import winreg  # noqa: PLC0415 - Windows-only module

        return winreg

    def _read_run_value(self) -> str | None:
        winreg = self._winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _ = winreg.QueryValueEx(key, RUN_VALUE)
                return str(value)
        except FileNotFoundError:
            return None

    def _write_run_value(self, command: str) -> None:
        winreg = self._winreg()
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, command)

    def _delete_run_value(self) -> None:
        winreg = self._winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, RUN_VALUE)
        except FileNotFoundError:
            pass


def follow(settings: Any, autostart: Autostart) -> None:
    """Make the entry match ``settings.start_at_login`` now and on every change.

    Failing to write (a read-only config dir) is the environment's fault: logged and
    reported through the returned error text on the settings' owner, never raised
    into Qt's signal delivery.
    """

    def sync(key: str = "start_at_login") -> None:
        if key != "start_at_login":
            return
        want = settings.start_at_login
        try:
            if want != autostart.enabled() or want:
                # Re-written when on: the command may have moved (a new venv, --db).
                autostart.set_enabled(want)
        except OSError as exc:
            log.error("cannot %s start at login: %s", "enable" if want else "disable", exc)

    sync()
    settings.changed.connect(sync)


__all__ = ["Autostart", "app_command", "desktop_entry", "desktop_exec", "follow", "launch_command", "HIDDEN_FLAG"]
