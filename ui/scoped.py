"""Scoped work bound to a window or a dialog: the scope ends when the widget closes.

DESIGN.md's "immediate, scoped" work is the desktop's viewModelScope: a
:class:`engine.immediate.Scope` whose coroutines and pool jobs are cancelled when the
window, dialog or interaction that owns them goes away. :func:`scope_for` makes that
binding for a QWidget::

    scope = scope_for(dialog)              # in the dialog's __init__
    scope.launch(self._load_preview())     # ends when the dialog closes

"Goes away" is: a QDialog finishing (accept, reject, the title bar's cross), a widget
whose close was accepted, or the widget being destroyed. A window closed to the tray
counts as closed (:func:`end_scoped_work`, called by ui/window_behaviour.py): the user
left it, so what was scoped to it stops, as the wizard says. A window hidden by code
without a close (the quit prompt's "let them finish") is not closed, and neither is
one whose close was refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDialog, QWidget

from engine.scope import Scope

log = logging.getLogger(__name__)

class ScopeBinding(QObject):
    """Ends ``scope`` when ``widget`` closes. Parented to the widget (dies with it)."""

    def __init__(self, widget: QWidget, scope: Scope) -> None:
        super().__init__(widget)
        self.scope = scope
        self.closing: asyncio.Task[None] | None = None  # the awaited close, when a loop runs
        self._close_pending = False
        widget.installEventFilter(self)
        if isinstance(widget, QDialog):
            widget.finished.connect(self.end)
        widget.destroyed.connect(self.end)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Close:
            # Whether the close is accepted is known only after the widget's own
            # closeEvent: an accepted close hides the widget before close() returns.
            self._close_pending = True
            QTimer.singleShot(0, self._forget_close)
        elif kind == QEvent.Type.Hide and self._close_pending:
            self.end()
        return False

    def _forget_close(self) -> None:
        self._close_pending = False

    def end(self, *_: Any) -> None:
        """Cancel the scope now (it refuses new work at once) and, on a running loop,
        await its close so the cancelled work's ending is logged, not lost."""
        if self.scope.closed and self.closing is not None:
            return
        self._close_pending = False
        self.scope.cancel()
        try:
            loop = asyncio.get_running_loop()  # qasync's, while the app runs
        except RuntimeError:
            return  # no loop: nothing of the scope can be running; cancel() was enough
        self.closing = loop.create_task(self.scope.close(), name=f"close {self.scope.name}")
        self.closing.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("closing a window's scope failed", exc_info=task.exception())


def scope_for(widget: QWidget, name: str | None = None, **kwargs: Any) -> Scope:
    """A new scope that ends when ``widget`` closes (see the module's doc)."""
    scope = Scope(name or widget.objectName() or type(widget).__name__, **kwargs)
    binding = ScopeBinding(widget, scope)
    del binding  # kept alive by its parent, the widget
    return scope


def end_scoped_work(window: QWidget) -> None:
    """The user closed ``window`` (to the tray, too): end every scope bound to it and to
    its child widgets, and the window's own scoped tasks (``end_scoped_work()`` if it
    has one: the main window cancels its tasks tagged ``scoped``)."""
    for binding in window.findChildren(ScopeBinding):
        binding.end()
    own = getattr(window, "end_scoped_work", None)
    if callable(own):
        own()


def binding_of(widget: QWidget) -> ScopeBinding | None:
    for child in widget.findChildren(ScopeBinding):
        return child
    return None


__all__ = ["ScopeBinding", "binding_of", "end_scoped_work", "scope_for"]
