"""The Windows and macOS branches type-check, here on Linux.

mypy checks engine/ with the platform of the host, so on Linux it skips every
``sys.platform == "win32"`` branch. This runs it with ``--platform win32`` and
``--platform darwin`` over all of engine/ (strict, as pyproject.toml configures it), so a
name that does not exist there (``os.getuid``, ``socket.AF_UNIX``, ``os.killpg``,
``os.waitid`` on macOS before 3.13) fails here. POSIX-only code says so in a way mypy
reads: ``if sys.platform == "win32": raise NotImplementedError`` first in the function
(mypy 2.4 does not take an ``assert`` inside a function as a platform check).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_engine_type_checks_on_the_other_platforms(platform: str) -> None:
    # No paths: pyproject.toml's [tool.mypy] files = ["engine"], strict. One run per
    # platform (a full check takes a while); the cache keeps a rerun short.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--platform", platform],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
