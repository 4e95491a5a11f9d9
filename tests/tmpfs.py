"""A real tmpfs for tests of full disks and read-only mounts (we run as root in CI).

``mounted_tmpfs`` mounts one of the given size and unmounts it at the end; where
mounting is not permitted (not root, no CAP_SYS_ADMIN) the test is skipped, saying so.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(where: Path, size: str = "600k") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({mounted.stderr.strip()}); CI runs these as root")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)  # a straggler still has a file open


def remount(where: Path, mode: str) -> None:
    """``mode``: "ro" or "rw"."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True, capture_output=True)


def free_bytes(where: Path) -> int:
    info = os.statvfs(where)
    return info.f_bavail * info.f_frsize


def fill(where: Path, leave: int = 0) -> Path:
    """Fill the file system at ``where`` until about ``leave`` bytes are free (0: full)."""
    filler = where / f"filler-{len(list(where.glob('filler-*')))}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while (free := free_bytes(where)) > leave:
            try:
                os.write(fd, b"\0" * min(free - leave, 64 * 1024))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    finally:
        os.close(fd)
    return filler
