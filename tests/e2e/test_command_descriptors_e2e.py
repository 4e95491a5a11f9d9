"""A real ``workdeck serve``'s commands hold none of its descriptors: not the database, the
owner's socket and lock, the reaper's pipe, nor what the owner inherited from whoever
started it (engine.platforms.spawn). The window's owner: tests/desktop/test_commands_desktop.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Workdeck, open_descriptors, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.linux]  # /proc/self/fd

PROBE = Path(__file__).with_name("fd_probe.py")


@pytest.mark.parametrize("kind", ["deferred", "immediate", "exact"])
def test_a_command_holds_none_of_the_owners_descriptors(wd: Workdeck, tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "left-by-the-launcher"
    marker.write_text("")
    inherited = os.open(marker, os.O_RDONLY)  # what a terminal or launcher may leave the owner
    try:
        serve = subprocess.Popen(wd.argv("serve"), env=wd.env, cwd=ROOT, pass_fds=(inherited,),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    finally:
        os.close(inherited)
    wd.processes.append(serve)
    wait_until(lambda: serve.poll() is not None or wd.ping() is not None, what="serve to listen")
    owner_fds = open_descriptors(serve.pid)
    assert str(marker) in owner_fds.values()  # the owner holds it: a command must not
    assert any(path.endswith("e2e.db") for path in owner_fds.values())
    out = tmp_path / "held.json"
    soon = (datetime.now().astimezone() + timedelta(seconds=1)).isoformat()
    when = {"deferred": ["--defer"], "immediate": ["--now"], "exact": ["--at", soon]}[kind]
    wd.ok("add", *when, "--", sys.executable, str(PROBE), str(out))
    wait_until(out.exists, timeout=30, what="the command's report")
    assert json.loads(out.read_text()) == {}
    wd.stop(serve)
