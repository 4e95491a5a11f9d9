"""Hold a file lock in another process: ``python -m tests.engine.platforms.hold_lock IMPL PATH MODE``.

IMPL is ``posix`` or ``windows-double``; MODE ``shared`` or ``exclusive``. Prints
``locked`` (or ``refused``) and then waits for stdin to close (or a SIGKILL)."""

from __future__ import annotations

import os
import sys

from engine.platforms.file_lock import FileLock, PosixFileLock, WindowsFileLock


def implementation(name: str) -> FileLock:
    if name == "posix":
        return PosixFileLock()
    from tests.engine.platforms.ownership_doubles import lockfileex_double

    return WindowsFileLock(api=lockfileex_double())


if __name__ == "__main__":
    impl, path, mode = sys.argv[1:4]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    taken = implementation(impl).try_lock(fd, shared=mode == "shared")
    print("locked" if taken else "refused", flush=True)
    sys.stdin.read()
