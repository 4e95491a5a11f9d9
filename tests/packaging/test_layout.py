"""What the wheel is built from: every package listed, the data it must carry, one version."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from setuptools import find_packages

import ui
from ui.resource_files import APP_ID, resource

ROOT = Path(__file__).parents[2]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_on_disk_is_listed_for_the_wheel() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = set(find_packages(str(ROOT), include=["engine", "engine.*", "ui", "ui.*"]))
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert "ui.resources" in listed


def test_package_data_covers_every_resource_file() -> None:
    data = _pyproject()["tool"]["setuptools"]["package-data"]
    files = [p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert files

    def carried(file: Path) -> bool:
        package = ".".join(["ui.resources", *file.parent.parts])
        return any(file.name == pattern or Path(file.name).match(pattern) for pattern in data.get(package, []))

    missed = [f for f in files if not carried(f)]
    assert not missed, f"resources the wheel would not carry: {missed}"


def test_resources_are_found_through_importlib_resources() -> None:
    assert resource(f"{APP_ID}.desktop").read_text().startswith("[Desktop Entry]")
    assert resource("icons", "run.svg").read_bytes().lstrip().startswith(b"<")
    assert resource("manifest.example.toml").read_text().count("[tasks.") >= 1


def test_translations_are_found_through_importlib_resources() -> None:
    if Path(str(resource())) != ROOT / "resources":
        pytest.skip(f"ui.resources is installed from another checkout ({resource()}): an editable "
                    "install in a shared venv; the lookup is checked where the install is this tree")
    assert resource("translations", "workdeck_en.ts").read_text().startswith("<?xml")
    assert resource("translations", "workdeck_xx.qm").read_bytes()[:4] == bytes.fromhex("3cb86418")


def test_appstream_release_is_the_version() -> None:
    root = ET.fromstring(resource(f"{APP_ID}.metainfo.xml").read_bytes())
    assert root.findtext("id") == APP_ID
    assert root.find("releases/release").get("version") == ui.__version__
    assert root.find("launchable").text == f"{APP_ID}.desktop"
