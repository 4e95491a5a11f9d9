"""The visible/foreground/background rules, driven by plain calls and a fake clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from engine.clock import FakeClock
from engine.lifecycle import AppState, Lifecycle
from engine.model import Kind

W, D = "main-window", "dialog"


@pytest.fixture
def life(clock: FakeClock) -> Lifecycle:
    return Lifecycle(clock)


def test_starts_in_the_background_with_that_recorded(life: Lifecycle, clock: FakeClock) -> None:
    assert life.state is AppState.BACKGROUND and life.background
    assert life.history() == [(clock.now(), AppState.BACKGROUND)]


def test_shown_is_visible_minimized_and_hidden_are_background(life: Lifecycle, clock: FakeClock) -> None:
    seen: list[str] = []
    life.state_changed.connect(seen.append)
    life.window_shown(W)
    assert life.visible
    clock.advance(10)
    life.window_minimized(W)
    assert life.state is AppState.BACKGROUND
    clock.advance(10)
    life.window_restored(W)
    assert life.visible
    life.window_hidden(W)
    assert life.background
    assert seen == ["visible", "background", "visible", "background"]
    t0 = life.history()[0][0]
    assert [(t - t0, s) for t, s in life.history()] == [
        (timedelta(0), AppState.BACKGROUND),
        (timedelta(0), AppState.VISIBLE),
        (timedelta(seconds=10), AppState.BACKGROUND),
        (timedelta(seconds=20), AppState.VISIBLE),
        (timedelta(seconds=20), AppState.BACKGROUND),
    ]


def test_one_visible_window_of_two_is_enough(life: Lifecycle) -> None:
    seen: list[str] = []
    life.state_changed.connect(seen.append)
    life.window_shown(W)
    life.window_shown(D)
    life.window_minimized(W)
    assert life.visible  # the dialog is still up
    life.window_closed(D)
    assert life.background
    assert seen == ["visible", "background"]  # no duplicate emits for non-changes


def test_restore_does_not_show_a_hidden_window(life: Lifecycle) -> None:
    life.window_minimized(W)
    life.window_restored(W)
    assert life.background


def test_keep_running_task_started_while_visible_is_foreground_until_it_ends(life: Lifecycle) -> None:
    life.window_shown(W)
    life.task_started("t1", Kind.IMMEDIATE)
    life.task_started("d1", Kind.DEFERRED)  # deferred work never makes foreground
    assert life.foreground_tasks == {"t1"}
    life.window_hidden(W)
    assert life.state is AppState.FOREGROUND and life.background  # no window visible: the constraint holds
    life.task_finished("d1")
    assert life.state is AppState.FOREGROUND
    life.task_finished("t1")
    assert life.state is AppState.BACKGROUND


def test_keep_running_task_started_while_hidden_is_not_foreground(life: Lifecycle) -> None:
    life.task_started("t1", "immediate")
    assert life.background and life.foreground_tasks == frozenset()
    life.window_shown(W)
    life.window_hidden(W)
    assert life.background  # started in the background, stays background work


def test_segments_cover_the_asked_range(life: Lifecycle, clock: FakeClock) -> None:
    start = clock.now()
    clock.advance(60)
    life.window_shown(W)
    clock.advance(60)
    life.window_hidden(W)
    clock.advance(30)
    pieces = life.segments(start + timedelta(seconds=30), start + timedelta(seconds=500))
    assert [(a - start, b - start, s) for a, b, s in pieces] == [
        (timedelta(seconds=30), timedelta(seconds=60), AppState.BACKGROUND),
        (timedelta(seconds=60), timedelta(seconds=120), AppState.VISIBLE),
        (timedelta(seconds=120), timedelta(seconds=150), AppState.BACKGROUND),  # ends now
    ]


# -- attach(): the engine's signals in, the background constraint out ----------------


@dataclass(frozen=True)
class _Run:
    task_id: str


@dataclass(frozen=True)
class _Task:
    kind: Kind


class _FakeEngine(QObject):
    run_started = Signal(object)
    run_finished = Signal(object)

    def __init__(self, kinds: dict[str, Kind], with_setter: bool = True) -> None:
        super().__init__()
        self.kinds = kinds
        self.fed: list[bool] = []
        if with_setter:
            self.set_background = self.fed.append  # what the deferred work adds

    def task(self, task_id: str, *, with_runs: bool = True) -> Any:
        return _Task(self.kinds[task_id])


def test_attach_follows_runs_and_feeds_background(life: Lifecycle) -> None:
    engine = _FakeEngine({"k": Kind.IMMEDIATE})
    life.attach(engine)
    assert engine.fed == [True]
    life.window_shown(W)
    engine.run_started.emit(_Run("k"))
    life.window_hidden(W)
    assert life.state is AppState.FOREGROUND
    # No window is visible: the background constraint holds while keep-running work
    # started in the window goes on (it used to wait for that work to end).
    assert engine.fed == [True, False, True]
    engine.run_finished.emit(_Run("k"))
    assert life.background
    assert engine.fed == [True, False, True]  # foreground -> background changes no constraint


def test_attach_without_set_background_still_tracks(life: Lifecycle) -> None:
    engine = _FakeEngine({"k": Kind.IMMEDIATE}, with_setter=False)
    life.attach(engine)
    life.window_shown(W)
    engine.run_started.emit(_Run("k"))
    assert life.foreground_tasks == {"k"}


def test_a_failing_task_lookup_does_not_break_the_emitter(life: Lifecycle, caplog: Any) -> None:
    engine = _FakeEngine({})
    life.attach(engine)
    life.window_shown(W)
    engine.run_started.emit(_Run("gone"))  # KeyError inside the listener
    assert life.foreground_tasks == frozenset()
    assert "cannot read task gone" in caplog.text
