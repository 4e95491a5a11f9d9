"""Registers the built-in workers. Imported lazily by :mod:`engine.workers`."""

from __future__ import annotations

from engine.workers import register
from engine.workers.python import PythonWorker
from engine.workers.reminder import ReminderWorker
from engine.workers.shell import ShellWorker

shell = register(ShellWorker())
python = register(PythonWorker())
reminder = register(ReminderWorker())
