"""``python -m ui.cli``: the ``workdeck`` command as the tests, the bench, start at login
(ui/autostart.py) and a checkout without an install start it. Only ``main``: the package
imports each command's module when that command runs."""

from __future__ import annotations

import sys

from ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
