"""Visible and background: the app's state as DESIGN.md (and the seed) define it.

The app is *visible* while one of its windows is shown and not minimized. When none
is, it is in the *background*, unless a keep-running (``Kind.IMMEDIATE``) task that
started while a window was visible is still running: such a task is Workdeck's
"foreground service", and while one runs the app is in the *foreground* state (no
window, but work the user asked for in front of them and watches in the tray).

Inputs are plain calls (``window_shown(id)``, ``task_started(id, kind)``...) so the
rules are testable without widgets; ``ui/window_behaviour.py`` feeds the window
calls from Qt events and :meth:`Lifecycle.attach` feeds the task calls from the
engine's signals. Every transition is emitted (``state_changed``) and recorded with
the clock's instant, for the timeline's band.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from collections.abc import Hashable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock, SystemClock
from engine.model import Kind

log = logging.getLogger(__name__)

#: The band needs hours, not weeks: older transitions are dropped past this many.
MAX_HISTORY = 10_000


class AppState(enum.StrEnum):
    VISIBLE = "visible"  # a window is shown and not minimized
    FOREGROUND = "foreground"  # no window visible, a keep-running task started while visible runs
    BACKGROUND = "background"  # neither

    @property
    def background(self) -> bool:
        """What the ``background`` constraint means: no window of the app is visible.

        Keep-running work started while visible (FOREGROUND) does not hold it back: the
        constraint asks "is the user not looking at Workdeck?", and with the window
        closed they are not, whatever still runs in the tray. (The seed's definition
        of "in the background" is still the state itself: FOREGROUND is not BACKGROUND.)
        """
        return self is not AppState.VISIBLE


class Lifecycle(QObject):
    """The visible/foreground/background state machine.

    Windows are named by any hashable id (the UI uses the widget's ``id()``); a
    window is *visible* once shown and until hidden, minimized or closed.
    """

    state_changed = Signal(str)  # the new AppState's value
    foreground_tasks_changed = Signal()

    def __init__(self, clock: Clock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock or SystemClock(self)
        self._shown: set[Hashable] = set()
        self._minimized: set[Hashable] = set()
        self._foreground: set[str] = set()
        self._state = AppState.BACKGROUND
        self._history: deque[tuple[datetime, AppState]] = deque(maxlen=MAX_HISTORY)
        self._history.append((self._clock.now(), self._state))
        self._engine: Any = None
        self._fed: bool | None = None  # the last value given to engine.set_background

    # -- reading --------------------------------------------------------------------

    @property
    def state(self) -> AppState:
        return self._state

    @property
    def visible(self) -> bool:
        return self._state is AppState.VISIBLE

    @property
    def background(self) -> bool:
        return self._state.background

    @property
    def foreground_tasks(self) -> frozenset[str]:
        """Ids of keep-running tasks that started while visible and still run."""
        return frozenset(self._foreground)

    def history(self) -> list[tuple[datetime, AppState]]:
        """Every transition as (instant, state entered), oldest first; the first entry
        is the state at construction."""
        return list(self._history)

    def segments(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, AppState]]:
        """The band for the timeline: (from, to, state) pieces covering ``start..end``.

        Pieces end at ``end`` (or now, for the current state, if that is earlier);
        the time before the first recorded transition is left out, not guessed.
        """
        pieces: list[tuple[datetime, datetime, AppState]] = []
        entries = list(self._history)
        now = self._clock.now()
        for i, (since, state) in enumerate(entries):
            until = entries[i + 1][0] if i + 1 < len(entries) else min(now, end)
            lo, hi = max(since, start), min(until, end)
            if lo < hi:
                pieces.append((lo, hi, state))
        return pieces

    # -- window inputs --------------------------------------------------------------

    def window_shown(self, window: Hashable) -> None:
        self._shown.add(window)
        self._minimized.discard(window)
        self._update()

    def window_hidden(self, window: Hashable) -> None:
        self._shown.discard(window)
        self._update()

    def window_minimized(self, window: Hashable) -> None:
        self._minimized.add(window)
        self._update()

    def window_restored(self, window: Hashable) -> None:
        """Un-minimized. A restore of a window that is not shown does not show it."""
        self._minimized.discard(window)
        self._update()

    def window_closed(self, window: Hashable) -> None:
        """The window is gone for good (destroyed), not just hidden to the tray."""
        self._shown.discard(window)
        self._minimized.discard(window)
        self._update()

    # -- task inputs ----------------------------------------------------------------

    def task_started(self, task_id: str, kind: Kind | str) -> None:
        """A run started. Only keep-running work started while visible is foreground:
        deferred and exact work is the app's own business, not a service the user
        started and watches; keep-running work resumed at a hidden start is not
        something the user is watching either."""
        if Kind(kind) is Kind.IMMEDIATE and self._state is AppState.VISIBLE:
            self._foreground.add(task_id)
            self.foreground_tasks_changed.emit()
            self._update()

    def task_finished(self, task_id: str) -> None:
        if task_id in self._foreground:
            self._foreground.discard(task_id)
            self.foreground_tasks_changed.emit()
            self._update()

    # -- the engine -----------------------------------------------------------------

    def attach(self, engine: Any) -> None:
        """Follow ``engine``'s runs and feed its ``background`` constraint.

        The constraint is fed through ``engine.set_background(bool)``, which the
        deferred scheduler's work adds; on an engine without it the state is still
        tracked and emitted, and nothing is fed (a debug line says so once).
        """
        self._engine = engine
        engine.run_started.connect(self._on_run_started)
        engine.run_finished.connect(self._on_run_finished)
        # A task may already run (resumed at start before the window appeared): it
        # started while not visible, so it is not foreground; nothing to add.
        if not hasattr(engine, "set_background"):
            log.debug("engine has no set_background(); the background constraint is not fed")
        self._feed_engine()

    def _on_run_started(self, run: Any) -> None:
        try:
            task_kind = getattr(self._engine, "task_kind", None)  # no run history read per run
            kind = task_kind(run.task_id) if task_kind is not None else self._engine.task(run.task_id).kind
        except Exception:  # a listener must never break the engine (STYLE.md 7)
            log.exception("lifecycle: cannot read task %s", run.task_id)
            return
        self.task_started(run.task_id, kind)

    def _on_run_finished(self, run: Any) -> None:
        self.task_finished(run.task_id)

    def _feed_engine(self) -> None:
        setter = getattr(self._engine, "set_background", None)
        background = self._state.background
        if setter is not None and background != self._fed:
            # foreground <-> background changes the state, not the constraint: feed changes only.
            self._fed = background
            try:
                setter(background)
            except Exception:
                log.exception("lifecycle: engine.set_background failed")

    # -- the rule -------------------------------------------------------------------

    def _compute(self) -> AppState:
        if self._shown - self._minimized:
            return AppState.VISIBLE
        if self._foreground:
            return AppState.FOREGROUND
        return AppState.BACKGROUND

    def _update(self) -> None:
        new = self._compute()
        if new is self._state:
            return
        self._state = new
        self._history.append((self._clock.now(), new))
        self._feed_engine()
        self.state_changed.emit(new.value)


__all__ = ["AppState", "Lifecycle"]
