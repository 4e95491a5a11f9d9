"""Pictures of the window for a person to look at, taken under a real X server (Xvfb,
openbox, trayer, dunst: conftest.py) at 800x600, at 1600x1000 and at 2x scale, and
kept as CI artifacts in tests/artifacts/screenshots/ (git-ignored).

Each run starts tests/desktop/window_shots.py in the display: the window as ``workdeck``
builds it, in five states (empty; tasks of each kind with a running and a failed one;
the details pane; the wizard's questions; the form), each captured from the X server by
ImageMagick's ``import``. The pictures are then checked against what the window says
it drew: the size, not blank, the now-line and the bars in their colours where the
timeline puts them, the introduction not clipped, the dialog inside the screen and the
form's fields inside it with no sideways scrolling.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage

from tests.desktop.conftest import ROOT, Desktop

pytestmark = [pytest.mark.e2e, pytest.mark.linux]  # Xvfb, openbox, trayer, dunst

ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
SHOTS = ("empty", "tasks", "details", "wizard", "form")


@pytest.fixture(scope="module")
def small_desktop(tmp_path_factory: pytest.TempPathFactory, desktop: Desktop) -> Iterator[Desktop]:
    """A second desktop with an 800x600 screen (the tools were checked by ``desktop``)."""
    session = Desktop(tmp_path_factory.mktemp("small-desktop"), screen=(800, 600))
    try:
        session.start()
        yield session
    finally:
        session.stop()


def _shoot(desktop: Desktop, tmp: Path, prefix: str, **env: str) -> dict[str, Any]:
    if shutil.which("import") is None:
        pytest.skip("needs ImageMagick's import to capture the X server (Debian: imagemagick)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{prefix}*"):
        old.unlink()
    # A first start, as a new user sees it: settings of its own. The desktop's are shared
    # by its tests, and a window another test closed left its splitters there (the
    # timeline came back ~75 px high in the full suite).
    config = tmp / f"{prefix}-config"
    result = subprocess.run(
        [sys.executable, "-m", "tests.desktop.window_shots", str(tmp / f"{prefix}.db"), str(ARTIFACTS), prefix],
        env={**desktop.env, "XDG_CONFIG_HOME": str(config), **env}, cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    facts = json.loads((ARTIFACTS / f"{prefix}.json").read_text())
    assert sorted(facts) == sorted(SHOTS)
    return facts


def _image(facts: dict[str, Any]) -> QImage:
    image = QImage(str(ARTIFACTS / facts["file"]))
    assert not image.isNull(), facts["file"]
    # import captures the window's own pixels: the window's size in device pixels (to one
    # pixel: at 2x the X window can be an odd number of pixels high).
    assert abs(image.width() - facts["size"][0]) <= 1 and abs(image.height() - facts["size"][1]) <= 1, (
        facts["file"], image.size(), facts["size"])
    sample = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(sample) >= 20, f"{facts['file']} is (almost) blank: {len(sample)} colours"
    return image


def _close(color: QColor, want: list[int], tol: int = 24) -> bool:
    return all(abs(a - b) <= tol for a, b in zip((color.red(), color.green(), color.blue()), want))


def _dark_pixels(image: QImage, rect: list[int]) -> int:
    x, y, w, h = rect
    return sum(1 for i in range(x, x + w) for j in range(y, y + h) if image.pixelColor(i, j).lightness() < 90)


def _inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def _check(facts: dict[str, Any], *, screen: tuple[int, int], scale: float) -> None:
    for name in SHOTS:
        assert facts[name]["dpr"] == scale, (name, facts[name]["dpr"])
        assert facts[name]["screen"][0] == screen[0] / scale, (name, facts[name]["screen"])
    window_size = facts["empty"]["size"]
    # Maximized: the window fills the screen (less the tray panel and the frame).
    assert window_size[0] >= 0.95 * screen[0] and window_size[1] >= 0.85 * screen[1], window_size

    empty = facts["empty"]
    image = _image(empty)
    assert _dark_pixels(image, empty["empty_heading"]) > 30 * scale, "no heading drawn"
    assert empty["intro_fits"], "the introduction is clipped: it was given less height than it needs"

    tasks = facts["tasks"]
    image = _image(tasks)
    top, bottom = tasks["rows_top"], tasks["rows_bottom"]
    # The timeline gets real room at first start, not the least of all the panes.
    assert bottom - top > 0.2 * tasks["size"][1], (top, bottom, tasks["size"])
    hits = max(sum(1 for y in range(top, bottom) if _close(image.pixelColor(x, y), tasks["now_color"], 40))
               for x in range(tasks["now_x"] - 3, tasks["now_x"] + 4))
    assert hits >= 0.6 * (bottom - top), f"no now-line at x={tasks['now_x']}: {hits} of {bottom - top} pixels"
    for bar, color in ((tasks["failed_bar"], tasks["failed_color"]), (tasks["running_bar"], tasks["running_color"])):
        x, y = bar
        assert top <= y <= bottom, (bar, top, bottom)
        near = [image.pixelColor(x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        assert any(_close(c, color) for c in near), (bar, color, [c.getRgb() for c in near])
    assert tasks["legend_shown"] >= 6  # the outcomes and the now-line at least, never cut mid-word

    details = facts["details"]
    image = _image(details)
    assert details["title_text"] == "sync photos" and "failed" in details["subtitle"]
    assert _inside(details["details"], [0, 0, *details["size"]])
    assert _dark_pixels(image, details["details_title"]) > 30 * scale, "the task's name is not drawn"
    assert details["buttons"] and all(_inside(b, details["details"]) for b in details["buttons"])

    for name in ("wizard", "form"):
        shot = facts[name]
        _image(shot)
        x, y, w, h = shot["dialog_frame"]  # logical pixels, frame included
        sw, sh = shot["screen"]
        assert 0 <= x and 0 <= y and x + w <= sw and y + h <= sh, f"the {name} leaves the screen: {shot}"
    form = facts["form"]
    assert not form["horizontal_scrollbar"], "the form scrolls sideways"
    cut = {name: rect for name, rect in form["fields"].items()
           if not (form["viewport"][0] <= rect[0] and rect[0] + rect[2] <= form["viewport"][0] + form["viewport"][2])}
    assert not cut, f"fields cut off at the sides: {cut}"
    assert len(form["fields"]) >= 10
    assert all(_inside(b, [0, 0, *form["size"]]) for b in form["buttons"]), "Back, Create or Cancel off the dialog"


def test_screenshots_at_800x600(small_desktop: Desktop, tmp_path: Path) -> None:
    facts = _shoot(small_desktop, tmp_path, "800x600")
    _check(facts, screen=(800, 600), scale=1.0)


def test_screenshots_at_1600x1000(desktop: Desktop, tmp_path: Path) -> None:
    facts = _shoot(desktop, tmp_path, "1600x1000")
    _check(facts, screen=(1600, 1000), scale=1.0)


def test_screenshots_at_2x_scale(desktop: Desktop, tmp_path: Path) -> None:
    """QT_SCALE_FACTOR=2 on the 1600x1000 screen: an 800x500 window in device pixels twice as many."""
    facts = _shoot(desktop, tmp_path, "2x", QT_SCALE_FACTOR="2")
    _check(facts, screen=(1600, 1000), scale=2.0)
