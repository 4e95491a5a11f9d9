"""The window's owner on a real desktop (Xvfb, openbox, trayer, dunst on a private bus):
its commands hold none of its descriptors, not the X connection, the session bus, the
fonts nor the tray's (engine.platforms.spawn; the headless owner: tests/e2e)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.desktop.conftest import Desktop, DesktopWorkdeck
from tests.e2e.conftest import open_descriptors, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.linux]  # Xvfb, openbox, trayer, dunst; /proc/self/fd

PROBE = Path(__file__).parents[1] / "e2e" / "fd_probe.py"


def test_a_command_of_the_window_holds_none_of_its_descriptors(desktop: Desktop, deck: DesktopWorkdeck,
                                                               tmp_path: Path) -> None:
    window = deck.window()
    targets = list(open_descriptors(window.pid).values())
    assert any(target.startswith("socket:") for target in targets)  # X and D-Bus: the window holds them
    out = tmp_path / "held.json"
    for kind in ("--defer", "--now"):
        out.unlink(missing_ok=True)
        deck.ok("add", kind, "--", sys.executable, str(PROBE), str(out))
        wait_until(out.exists, timeout=30, what="the command's report")
        assert json.loads(out.read_text()) == {}, kind
