"""``workdeck desktop install|uninstall`` into a temporary XDG data folder, checked by the
freedesktop validators where they are installed (CI installs them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from ui import cli
from ui.autostart import app_command, desktop_exec
from ui.cli.desktop import install, targets, uninstall
from ui.resource_files import APP_ID


def _run_cli(monkeypatch: pytest.MonkeyPatch, data_home: Path, *args: str) -> int:
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    return cli.main(["desktop", *args])


def test_install_writes_entry_icons_and_metainfo_with_this_installs_exec(tmp_path: Path) -> None:
    written = install(tmp_path)
    places = targets(tmp_path)
    assert sorted(written) == sorted(places.values())
    entry = places["desktop"].read_text()
    assert f"Exec={desktop_exec(app_command())}" in entry.splitlines()
    assert os.path.isabs(app_command()[0])
    assert f"Icon={APP_ID}" in entry.splitlines()
    assert places["svg"].read_bytes().lstrip().startswith(b"<")
    png = QImage(str(places["png"]))
    assert (png.width(), png.height()) == (256, 256)
    centre = png.pixelColor(128, 128)
    assert centre.alpha() > 0, "the rendered icon is blank"
    assert ET.parse(places["metainfo"]).getroot().findtext("id") == APP_ID
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()], "a temporary file was left behind"


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-validate is not installed "
                    "(Debian: desktop-file-utils; CI installs it)")
def test_installed_entry_passes_desktop_file_validate(tmp_path: Path) -> None:
    install(tmp_path)
    result = subprocess.run(["desktop-file-validate", str(targets(tmp_path)["desktop"])],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstreamcli is not installed (Debian: appstream; "
                    "CI installs it)")
def test_installed_metainfo_passes_appstreamcli(tmp_path: Path) -> None:
    install(tmp_path)
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(targets(tmp_path)["metainfo"])],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_uninstall_removes_what_install_wrote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(monkeypatch, tmp_path, "install") == 0
    assert all(p.exists() for p in targets(tmp_path).values())
    assert _run_cli(monkeypatch, tmp_path, "uninstall") == 0
    assert not any(p.exists() for p in targets(tmp_path).values())
    assert uninstall(tmp_path) == []


def test_unwritable_data_folder_is_one_line_exit_1_and_nothing_half_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # icons/ is a file where a folder must go: the entry's folder can be made, the icon's
    # cannot. (A file, not chmod: the suite runs as root in CI, which chmod does not stop.)
    (tmp_path / "icons").write_text("not a folder")
    status = _run_cli(monkeypatch, tmp_path, "install")
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1 and err[0].startswith("workdeck: cannot install the desktop entry"), err
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["icons"]


def test_desktop_needs_a_sub_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_cli(monkeypatch, tmp_path, "sideways") == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_app_command_is_the_script_beside_this_interpreter_or_the_module() -> None:
    argv = app_command()
    script = Path(sys.executable).parent / "workdeck"
    assert argv == ([str(script)] if script.is_file() else [sys.executable, "-m", "ui.cli"])
