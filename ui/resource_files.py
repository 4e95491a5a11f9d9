"""Workdeck's run-time data, found the way an installed package finds it.

``resources/`` (the repository's top level) installs as the package ``ui.resources``
(pyproject.toml), and everything in it is read through :mod:`importlib.resources`:
from a checkout, an editable install and a wheel alike. Nothing looks for files beside
the source tree, which a wheel does not have.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

#: The application's id (freedesktop desktop-file id, AppStream id, icon name).
APP_ID = "org.workdeck.Workdeck"
_PACKAGE = "ui.resources"


def resource(*parts: str) -> Traversable:
    """The resource at ``parts`` (e.g. ``resource("icons", "run.svg")``)."""
    node = resources.files(_PACKAGE)
    for part in parts:
        node = node / part
    return node


def resource_path(*parts: str) -> Path:
    """A file-system path of a resource, for APIs that take a file name (QIcon).

    pip and pipx install wheels unpacked, so every resource is a real file; a zipped
    install is refused plainly rather than leaving the window without icons.
    """
    node = resource(*parts)
    if not isinstance(node, Path):
        raise RuntimeError(f"Workdeck's data is not on the file system ({node}): install it unpacked (pip, pipx)")
    return node


def app_icon_path() -> Path:
    return resource_path(f"{APP_ID}.svg")


def desktop_entry_template() -> str:
    return resource(f"{APP_ID}.desktop").read_text(encoding="utf-8")
