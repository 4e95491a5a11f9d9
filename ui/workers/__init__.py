"""Workers that need QtGui, which ``engine/`` may not import.

A process that runs work calls :func:`register_gui_workers` once before its engine
starts: the window at start-up, and ``workdeck serve`` (QImage works without a
display or a QGuiApplication). ``workdeck manifest check`` calls it too, so a manifest
naming ``thumbnails`` is checked against the same set of workers that will run it.

They are registered by name only (:func:`engine.workers.register_lazy`): QtGui is
imported when a thumbnails task is first added or run, not at the start of every
``serve``, whose first due run waited for it (issue 14).
"""

from __future__ import annotations

from engine import workers

TYPE_CHECKING = False  # not typing's: nothing more to import on serve's way to its first run
if TYPE_CHECKING:
    from engine.workers import Worker


def register_gui_workers() -> None:
    """Register ``thumbnails`` with the engine's registry. Safe to call more than once."""
    if not workers.registered("thumbnails"):  # names() would load every built-in (httpx) at start
        workers.register_lazy("thumbnails", _thumbnails)


def _thumbnails() -> Worker:
    from ui.workers.thumbnails import ThumbnailsWorker

    return ThumbnailsWorker()


__all__ = ["register_gui_workers"]
