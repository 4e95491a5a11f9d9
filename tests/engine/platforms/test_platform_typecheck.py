"""The Windows and macOS branches type-check, here on Linux.

mypy checks engine/ with the platform of the host, so on Linux it skips every
``sys.platform == "win32"`` branch. This runs it with ``--platform win32`` and
``--platform darwin`` over the modules that branch on the platform for ownership, paths
and files (the ctypes binding of LockFileEx included), so a name that does not exist
there (``os.getuid``, ``socket.AF_UNIX``, ``fcntl.flock``) fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
#: Ownership's modules and the file checks (the processes and sleep modules are the
#: other part of issue 17's).
MODULES = [
    "engine/platforms/file_lock.py", "engine/platforms/owner_socket.py", "engine/platforms/named_pipe.py",
    "engine/owner_lock.py", "engine/owner.py", "engine/ipc.py", "engine/private_files.py",
    "engine/manifest.py", "engine/store_faults.py",
]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_the_platform_branches_type_check(platform: str) -> None:
    # --follow-imports=silent: modules these import are read, their own errors are theirs.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--platform", platform, "--follow-imports=silent", *MODULES],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout
