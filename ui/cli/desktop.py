"""``workdeck desktop install|uninstall``: put this installation in the application menu.

Writes, under the user's XDG data folder (``$XDG_DATA_HOME``, else ``~/.local/share``):

- ``applications/org.workdeck.Workdeck.desktop`` with an absolute ``Exec`` of this
  installation (:func:`ui.autostart.app_command`; start at login uses the same one);
- the icon in the hicolor theme: ``icons/hicolor/scalable/apps/…svg`` and a 256 px PNG
  (``icons/hicolor/256x256/apps/…png``) for menus that do not draw SVG;
- the AppStream file ``metainfo/org.workdeck.Workdeck.metainfo.xml`` (software centres).

All or nothing: every file is written beside its target first and renamed into place
only when all were written, so a folder that cannot be written leaves nothing behind
(one line on stderr, exit 1). Qt (for the PNG) is imported only by ``install``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from engine.errors import WorkdeckError
from ui.resource_files import APP_ID, resource

ICON_PNG_SIZE = 256


class DesktopInstallError(WorkdeckError):
    """A folder of the desktop's could not be written: the environment's fault (exit 1)."""


def add_desktop_commands(subparsers: Any) -> None:
    desktop = subparsers.add_parser("desktop", help="add Workdeck to (or remove it from) the application menu")
    desktop_sub = desktop.add_subparsers(dest="desktop_command", required=True, metavar="COMMAND")
    install = desktop_sub.add_parser("install", help="install the menu entry, icon and AppStream file for this user")
    install.set_defaults(func=lambda args: _install())
    uninstall = desktop_sub.add_parser("uninstall", help="remove what 'desktop install' installed")
    uninstall.set_defaults(func=lambda args: _uninstall())


def data_home(env: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME if it is an absolute path (the spec ignores a relative one), else ~/.local/share."""
    value = (env if env is not None else os.environ).get("XDG_DATA_HOME", "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def targets(base: Path) -> dict[str, Path]:
    return {
        "desktop": base / "applications" / f"{APP_ID}.desktop",
        "svg": base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        "png": base / "icons" / "hicolor" / f"{ICON_PNG_SIZE}x{ICON_PNG_SIZE}" / "apps" / f"{APP_ID}.png",
        "metainfo": base / "metainfo" / f"{APP_ID}.metainfo.xml",
    }


def contents() -> dict[str, bytes]:
    """What each target holds: the packaged files, the entry's Exec made absolute."""
    from ui.autostart import app_command, desktop_entry

    return {
        "desktop": desktop_entry(app_command()).encode("utf-8"),
        "svg": resource(f"{APP_ID}.svg").read_bytes(),
        "png": _render_png(resource(f"{APP_ID}.svg").read_bytes(), ICON_PNG_SIZE),
        "metainfo": resource(f"{APP_ID}.metainfo.xml").read_bytes(),
    }


def install(base: Path) -> list[Path]:
    """Install every file under ``base``, all or nothing. Returns the paths written."""
    if sys.platform in ("win32", "darwin"):
        raise DesktopInstallError("desktop install is for freedesktop desktops (Linux, BSD); on this system, pin "
                                  "the workdeck command where you start programs")
    places, data = targets(base), contents()
    made_dirs: list[Path] = []
    staged: dict[Path, str] = {}
    try:
        for key, path in places.items():
            made_dirs += _make_dirs(path.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            staged[path] = tmp
            with os.fdopen(fd, "wb") as f:
                f.write(data[key])
            os.chmod(tmp, 0o644)
        for path, tmp in staged.items():
            os.replace(tmp, path)
    except OSError as exc:
        for path, tmp in staged.items():
            Path(tmp).unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: another program's files stay
        raise DesktopInstallError(f"cannot install the desktop entry: {exc.strerror or exc}: "
                                  f"{exc.filename or base}") from None
    _refresh_menu(base)
    return list(places.values())


def uninstall(base: Path) -> list[Path]:
    removed = []
    for path in targets(base).values():
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DesktopInstallError(f"cannot remove {path}: {exc.strerror or exc}") from None
        removed.append(path)
    _refresh_menu(base)
    return removed


def _install() -> int:
    for path in install(data_home()):
        print(path)
    return 0


def _uninstall() -> int:
    removed = uninstall(data_home())
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print("nothing to remove: the desktop entry was not installed")
    return 0


def _make_dirs(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir()
    return list(reversed(missing))


def _render_png(svg: bytes, size: int) -> bytes:
    """The SVG drawn at ``size`` px, as PNG bytes (Qt's SVG renderer; no display needed)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise DesktopInstallError("the packaged icon is not a valid SVG: reinstall Workdeck")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def _refresh_menu(base: Path) -> None:
    """Tell menus that cache the applications folder (best effort: most watch it)."""
    tool = shutil.which("update-desktop-database")
    if tool and (base / "applications").is_dir():
        subprocess.run([tool, "-q", str(base / "applications")], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


__all__ = ["DesktopInstallError", "add_desktop_commands", "data_home", "install", "targets", "uninstall"]
