"""huey's side of tests/bench/bench_cli.py: the same shell command as a huey task.

Imported by huey's consumer and by the enqueueing processes, with this folder on
PYTHONPATH; HUEY_DB names the queue's SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import time

from huey import SqliteHuey

huey = SqliteHuey(filename=os.environ.get("HUEY_DB", "huey.db"), results=False)


@huey.task()
def run_stamped(argv: list[str]) -> None:
    """Run ``argv``; write the instant it was started (Popen returned) to HUEY_STAMP."""
    proc = subprocess.Popen(argv)
    started = time.time()
    proc.wait()
    with open(os.environ["HUEY_STAMP"], "w") as stamp:
        stamp.write(repr(started))


@huey.task()
def run_counted(argv: list[str]) -> None:
    """Run ``argv``; append one byte to HUEY_COUNT when it is done."""
    subprocess.run(argv, check=False)
    fd = os.open(os.environ["HUEY_COUNT"], os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, b".")
    finally:
        os.close(fd)
