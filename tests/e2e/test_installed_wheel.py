"""The wheel a user installs, installed the way users install it, used outside the checkout.

Builds the sdist and the wheel with ``python -m build`` (as a release would), installs the
wheel with its dependencies into a fresh virtual environment in a temporary folder (what
``pipx install`` does), and runs the installed ``workdeck`` with no checkout in sight:
the command line, every icon, the tray icon, the desktop entry and its validators.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import ui
from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DATA_FILES = ["org.workdeck.Workdeck.desktop", "org.workdeck.Workdeck.svg", "org.workdeck.Workdeck.metainfo.xml",
              "manifest.example.toml", "icons/run.svg", "icons/app.svg"]


class Installed:
    def __init__(self, dist: Path, prefix: Path, home: Path, build_log: str) -> None:
        self.dist, self.prefix, self.home, self.build_log = dist, prefix, home, build_log
        self.workdeck = prefix / "bin" / "workdeck"
        self.python = prefix / "bin" / "python"
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKDECK_DB", "VIRTUAL_ENV")}
        self.env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
                        XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))

    def run(self, *argv: str | Path) -> subprocess.CompletedProcess[str]:
        # cwd is the temporary home: nothing of the checkout is importable from there.
        return subprocess.run([str(a) for a in argv], env=self.env, cwd=self.home, capture_output=True, text=True,
                              timeout=120)

    def ok(self, *argv: str | Path) -> str:
        result = self.run(*argv)
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    dist, prefix, home = base / "dist", base / "venv", base / "home"
    home.mkdir()
    # Byte-compiling on, as on a user's machine (the suite may run with it off).
    build_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600, env=build_env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    venv.create(prefix, with_pip=True)
    wheel = next(dist.glob("workdeck-*.whl"))
    pip = subprocess.run([str(prefix / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                         capture_output=True, text=True, timeout=600, cwd=base)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    yield Installed(dist, prefix, home, build.stdout + build.stderr)
    shutil.rmtree(base, ignore_errors=True)


def test_build_is_clean_and_both_dists_carry_the_data(installed: Installed) -> None:
    noisy = [line for line in installed.build_log.splitlines()
             if "warning" in line.lower() and "pip" not in line.lower()]
    assert not noisy, "\n".join(noisy)
    wheel = zipfile.ZipFile(next(installed.dist.glob("workdeck-*.whl")))
    names = set(wheel.namelist())
    missing = [f for f in DATA_FILES if f"ui/resources/{f}" not in names]
    assert not missing, missing
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert f"Version: {ui.__version__}" in metadata
    with tarfile.open(next(installed.dist.glob("workdeck-*.tar.gz"))) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    assert {f"resources/{f}" for f in DATA_FILES} | {"LICENSE", "README.md"} <= members


def test_the_installed_command_line_works_on_a_temporary_database(installed: Installed) -> None:
    assert installed.ok(installed.workdeck, "--version").strip() == f"workdeck {ui.__version__}"
    db = installed.home / "t.db"
    task_id = installed.ok(installed.workdeck, "--db", db, "add", "--defer", "--name", "wheel", "--", "true").strip()
    listed = json.loads(installed.ok(installed.workdeck, "--db", db, "list", "--json"))
    assert [t["id"] for t in listed] == [task_id]
    where = installed.ok(installed.python, "-c", "import engine, ui; print(engine.__file__); print(ui.__file__)")
    assert all(str(installed.prefix) in line for line in where.split()), where


def test_every_icon_and_the_tray_icon_load_from_the_install(installed: Installed) -> None:
    probe = r"""
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ui.resource_files import resource
from ui.style import icon
from ui.tray import IconState, render_icon
names = sorted(p.name[:-4] for p in resource("icons").iterdir() if p.name.endswith(".svg"))
null = [n for n in names if icon(n).isNull() or icon(n).pixmap(32, 32).toImage().pixelColor(16, 16).alpha() == 0
        and all(icon(n).pixmap(32, 32).toImage().pixelColor(x, y).alpha() == 0 for x in range(32) for y in range(32))]
tray = render_icon(IconState.IDLE).toImage()
painted = sum(tray.pixelColor(x, y).alpha() > 0 for x in range(tray.width()) for y in range(tray.height()))
print(len(names), null, painted)
"""
    count, null, painted = installed.ok(installed.python, "-c", probe).strip().split(" ", 2)[0:3]
    assert int(count) >= 10
    assert null == "[]", f"icons that load as nothing: {null}"
    assert int(painted) > 64 * 64 // 4


def test_desktop_install_points_the_menu_at_this_install(installed: Installed) -> None:
    out = installed.ok(installed.workdeck, "desktop", "install").split()
    entry = Path(next(p for p in out if p.endswith(".desktop")))
    assert entry.is_relative_to(installed.home / "data" / "applications")
    assert f"Exec={installed.workdeck}" in entry.read_text().splitlines()
    if shutil.which("desktop-file-validate"):
        installed.ok("desktop-file-validate", entry)
    metainfo = installed.home / "data" / "metainfo" / "org.workdeck.Workdeck.metainfo.xml"
    if shutil.which("appstreamcli"):
        installed.ok("appstreamcli", "validate", "--no-net", metainfo)
    assert "removed" in installed.ok(installed.workdeck, "desktop", "uninstall")
    assert not entry.exists()


def test_the_installed_window_starts_and_stops_without_missing_files(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import ipc
    from engine.owner.lock import socket_path
    from tests.e2e.conftest import wait_until

    db = installed.home / "window.db"
    runtime = Path(tempfile.mkdtemp(prefix="wdw-"))  # short: sockets need short paths
    env = {**installed.env, "XDG_RUNTIME_DIR": str(runtime)}
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # socket_path reads it, as the window does
    proc = subprocess.Popen([str(installed.workdeck), "--db", str(db)], env=env, cwd=installed.home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        owner = wait_until(lambda: proc.poll() is not None or ipc.call(socket_path(db), {"op": "ping"}),
                           timeout=60, what="the installed window to own its database")
        assert proc.poll() is None, proc.communicate()
        assert owner["role"] == "window"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        shutil.rmtree(runtime, ignore_errors=True)
    assert proc.returncode == 0, err
    assert "Cannot open file" not in err and "qt.svg" not in err, err
