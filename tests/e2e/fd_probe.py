"""Run as a task's command: write the descriptors this process holds past stderr, with
what each names, to the file given (JSON). tests/e2e and tests/desktop use it to prove a
real owner's commands hold none of the owner's descriptors."""

from __future__ import annotations

import json
import os
import sys

held = {}
for fd in range(3, 1024):
    try:
        os.fstat(fd)
    except OSError:
        continue
    held[fd] = os.readlink(f"/proc/self/fd/{fd}")
with open(sys.argv[1] + ".tmp", "w") as out:
    json.dump(held, out)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
