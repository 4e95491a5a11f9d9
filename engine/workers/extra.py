"""Registers the ready-made workers (issue 7): download, copy, notify.

Imported by :func:`engine.workers._load_builtins` after the built-in ones. The
``thumbnails`` worker decodes images with QtGui, which the engine never imports: it
lives in :mod:`ui.workers` and whoever runs work (the window, ``serve``) registers it
with :func:`ui.workers.register_gui_workers`.
"""

from __future__ import annotations

from engine.workers import register
from engine.workers.copy import CopyWorker
from engine.workers.download import DownloadWorker
from engine.workers.notify import NotifyWorker

download = register(DownloadWorker())
copy = register(CopyWorker())
notify = register(NotifyWorker())
