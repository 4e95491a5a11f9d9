"""The engine works headless: importing all of it loads no GUI module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_importing_every_engine_module_loads_no_gui() -> None:
    code = (
        "import pkgutil, importlib, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n in ('PySide6.QtGui', 'PySide6.QtWidgets') or n == 'ui' or n.startswith('ui.'))\n"
        "print(len([n for n in sys.modules if n.startswith('engine.')]), bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    count, bad = result.stdout.split(" ", 1)
    assert int(count) >= 10, result.stdout  # the walk really imported the engine
    assert bad.strip() == "[]"
