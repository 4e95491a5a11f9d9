"""Every module of engine/ and ui/ imports on Windows and macOS (as far as Linux can tell).

tests/engine/platforms/import_elsewhere.py runs in a fresh interpreter with the POSIX-only
modules blocked, /proc unreadable, ``sys.platform`` set to ``win32`` or ``darwin`` and
the other platform's missing functions removed, and imports every module; an import-time
break on Windows or macOS (a module-level ``import fcntl``, ``os.O_CLOEXEC``, a read of
/proc) fails here, on Linux, before any Windows runner exists.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[3]
SCRIPT = Path(__file__).with_name("import_elsewhere.py")


def run_elsewhere(platform: str, script: Path = SCRIPT, root: Path = ROOT) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, str(script), platform], cwd=root, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return report


@pytest.fixture(scope="module", params=["win32", "darwin"])
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    return run_elsewhere(request.param)


def test_every_module_imports(report: dict[str, Any]) -> None:
    assert report["failures"] == {}, f"on {report['platform']}: {report['failures']}"
    assert {"engine.owner", "engine.owner.lock", "engine.owner.host", "engine.ipc",
            "engine.manifest.model", "engine.manifest.schema", "engine.manifest.task_table", "engine.manifest.checker",
            "engine.manifest.io",
            "engine.engine", "ui.cli", "ui.main_window",
            "engine.platforms.file_lock", "engine.platforms.owner_socket"} <= set(report["imported"])
    assert len(report["imported"]) >= 100  # the walk really went through both packages


def test_the_pretence_catches_what_breaks_on_windows(tmp_path: Path) -> None:
    """The check can fail: a module-level ``import fcntl``, ``os.getuid()`` or read of
    /proc in a module of ours is reported, naming the file and line."""
    package = tmp_path / "engine"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "uses_fcntl.py").write_text("import fcntl\n")
    (package / "uses_getuid.py").write_text("import os\nUID = os.getuid()\n")
    (package / "reads_proc.py").write_text("BOOT = open('/proc/sys/kernel/random/boot_id').read()\n")
    (package / "portable.py").write_text("import sys\nIS_WINDOWS = sys.platform == 'win32'\n")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "__init__.py").write_text("")
    windows = run_elsewhere("win32", root=tmp_path)
    assert set(windows["failures"]) == {"engine.uses_fcntl", "engine.uses_getuid", "engine.reads_proc"}
    assert "uses_fcntl.py:1: ImportError" in windows["failures"]["engine.uses_fcntl"]
    assert "portable" in str(windows["imported"])
    mac = run_elsewhere("darwin", root=tmp_path)
    assert set(mac["failures"]) == {"engine.uses_fcntl", "engine.reads_proc"}  # macOS has getuid
