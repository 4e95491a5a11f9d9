"""Workers that need QtGui, which ``engine/`` may not import.

A process that runs work calls :func:`register_gui_workers` once before its engine
starts: the window at start-up, and ``workdeck serve`` (QImage works without a
display or a QGuiApplication). ``workdeck manifest check`` calls it too, so a manifest
naming ``thumbnails`` is checked against the same set of workers that will run it.
"""

from __future__ import annotations

from engine import workers


def register_gui_workers() -> None:
    """Register ``thumbnails`` with the engine's registry. Safe to call more than once."""
    from ui.workers.thumbnails import ThumbnailsWorker

    if not workers.registered("thumbnails"):  # names() would load every built-in (httpx) at start
        workers.register(ThumbnailsWorker())


__all__ = ["register_gui_workers"]
