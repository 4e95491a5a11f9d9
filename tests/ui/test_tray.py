"""The tray's model and menu (they exist without a system tray, so offscreen tests them):
running tasks with progress, the next five alarms, pause/resume, the icon's states."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtGui import QImage

from engine.clock import FakeClock
from engine.model import Kind
from tests.ui.fake_engine import FakeEngine
from ui.tray import IconState, Tray, TrayMenu, TrayModel, render_icon


@pytest.fixture
def engine(clock: FakeClock, qapp: Any) -> FakeEngine:
    return FakeEngine(clock)


def _texts(actions: Any) -> list[str]:
    return [a.text() for a in actions]


def test_menu_has_the_fixed_entries(engine: FakeEngine, qtbot: Any) -> None:
    menu = TrayMenu(TrayModel(engine))
    qtbot.addWidget(menu)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Show Workdeck", "Nothing running", "No alarms", "No unanswered reminders", "All reminders…",
                     "Pause deferred work", "New reminder…", "Quit"]
    assert not menu.all_reminders_action.isVisible()


def test_running_tasks_are_listed_with_progress_and_removed_when_done(engine: FakeEngine, qtbot: Any) -> None:
    model = TrayModel(engine)
    menu = TrayMenu(model)
    qtbot.addWidget(menu)
    backup = engine.add(("rsync", "-a", "src", "dst"), name="backup")
    script = engine.add(("python", "long.py"))
    engine.start(backup.id)
    engine.start(script.id)
    assert _texts(menu.running_actions.values()) == ["backup", "python long.py"]
    assert menu.running_header.text() == "Running (2)"
    engine.progress(backup.id, 0.456, "copying photos")
    assert menu.running_actions[backup.id].text() == "backup — 46% — copying photos"
    # The actions sit between the Running header and the alarms section, in that order.
    actions = menu.actions()
    assert actions.index(menu.running_header) < actions.index(menu.running_actions[backup.id]) \
        < actions.index(menu.alarms_header)
    with qtbot.waitSignal(menu.task_selected) as picked:
        menu.running_actions[script.id].trigger()
    assert picked.args == [script.id]
    engine.finish(backup.id)
    assert list(menu.running_actions) == [script.id]
    assert model.icon_state is IconState.RUNNING
    engine.finish(script.id)
    assert menu.running_header.text() == "Nothing running" and model.icon_state is IconState.IDLE


def test_next_five_alarms_in_time_order(engine: FakeEngine, clock: FakeClock, qtbot: Any) -> None:
    now = clock.now()
    for hours in (7, 2, 5, 1, 6, 3, 4):
        engine.add((f"in {hours}h",), Kind.EXACT, worker="reminder", at=now + timedelta(hours=hours))
    menu = TrayMenu(TrayModel(engine))  # the model reads what is already scheduled
    qtbot.addWidget(menu)
    labels = [a.text().split("  ", 1)[1] for a in menu.alarm_actions]
    assert labels == ["in 1h", "in 2h", "in 3h", "in 4h", "in 5h"]  # reminders: labelled by their message
    assert [a.at - now for a in menu.model.next_alarms()] == [timedelta(hours=h) for h in (1, 2, 3, 4, 5)]
    # An alarm added sooner than all of them comes first, through the engine's signal.
    soon = engine.add(("Tea",), Kind.EXACT, worker="reminder", at=now + timedelta(minutes=30))
    assert menu.alarm_actions[0].text().endswith("Tea") and len(menu.alarm_actions) == 5
    engine.start(soon.id)  # fired: no longer a scheduled alarm
    assert not menu.alarm_actions[0].text().endswith("Tea")


def test_alarm_within_five_minutes_changes_the_icon_state_on_time(engine: FakeEngine, clock: FakeClock,
                                                                   qtbot: Any) -> None:
    model = TrayModel(engine)
    engine.add(("Stand-up",), Kind.EXACT, worker="reminder", at=clock.now() + timedelta(minutes=20))
    assert model.icon_state is IconState.IDLE
    with qtbot.waitSignal(model.changed):
        clock.advance(15 * 60)  # the one armed timer fires at "due minus five minutes"
    assert model.icon_state is IconState.ALARM_SOON
    assert "Next alarm" in model.tooltip()


def test_pause_and_resume_deferred_work(engine: FakeEngine, qtbot: Any) -> None:
    woken: list[bool] = []
    engine.dispatcher.wake = lambda: woken.append(True)
    model = TrayModel(engine)
    menu = TrayMenu(model)
    qtbot.addWidget(menu)
    menu.pause_action.trigger()
    assert engine.dispatcher.paused is True and model.icon_state is IconState.PAUSED
    assert menu.pause_action.text() == "Resume deferred work" and "paused" in model.tooltip()
    menu.pause_action.trigger()
    assert engine.dispatcher.paused is False and woken == [True]
    assert menu.pause_action.text() == "Pause deferred work"


def test_pause_uses_engine_methods_when_it_has_them(engine: FakeEngine, qtbot: Any) -> None:
    calls: list[str] = []
    engine.pause = lambda: calls.append("pause")  # type: ignore[attr-defined]
    engine.resume = lambda: calls.append("resume")  # type: ignore[attr-defined]
    model = TrayModel(engine)
    model.set_paused(True)
    model.set_paused(False)
    assert calls == ["pause", "resume"] and engine.dispatcher.paused is False


def test_menu_signals(engine: FakeEngine, qtbot: Any) -> None:
    menu = TrayMenu(TrayModel(engine))
    qtbot.addWidget(menu)
    for action, signal in ((menu.show_action, menu.show_requested), (menu.quit_action, menu.quit_requested),
                           (menu.new_reminder_action, menu.new_reminder_requested)):
        with qtbot.waitSignal(signal):
            action.trigger()


def test_icon_states_are_drawn_differently(qapp: Any) -> None:
    images = {
        "idle": render_icon(IconState.IDLE).toImage(),
        "running": render_icon(IconState.RUNNING, 3).toImage(),
        "running12": render_icon(IconState.RUNNING, 12).toImage(),
        "paused": render_icon(IconState.PAUSED, paused=True).toImage(),
        "alarm": render_icon(IconState.ALARM_SOON).toImage(),
    }
    assert all(not img.isNull() and img.width() == 64 for img in images.values())
    distinct = {bytes(img.convertToFormat(QImage.Format.Format_ARGB32).constBits()) for img in images.values()}
    assert len(distinct) == len(images)


def test_tray_icon_follows_the_model(engine: FakeEngine, qtbot: Any) -> None:
    model = TrayModel(engine)
    menu = TrayMenu(model)
    qtbot.addWidget(menu)
    tray = Tray(model, menu)
    assert tray.icon.contextMenu() is menu and not tray.icon.icon().isNull()
    task = engine.add(("sleep", "60"))
    engine.start(task.id)
    assert "1 task running" in tray.icon.toolTip()
    with qtbot.waitSignal(menu.show_requested):
        tray.icon.activated.emit(tray.icon.ActivationReason.Trigger)


def test_only_changes_to_the_first_five_rebuild_and_a_fired_one_is_refilled(engine: FakeEngine, clock: FakeClock,
                                                                             qtbot: Any) -> None:
    now = clock.now()
    first = [engine.add((f"a{h}",), Kind.EXACT, worker="reminder", at=now + timedelta(hours=h)) for h in range(1, 7)]
    model = TrayModel(engine)
    changes: list[bool] = []
    model.changed.connect(lambda: changes.append(True))
    engine.add(("far",), Kind.EXACT, worker="reminder", at=now + timedelta(days=9))
    assert changes == []  # beyond the first five: nothing to redraw
    engine.start(first[0].id)  # the earliest fired: it leaves the alarms and joins the running
    assert len(changes) == 2
    assert [a.label for a in model.next_alarms()] == ["a2", "a3", "a4", "a5", "a6"]


def test_a_deleted_alarm_leaves_the_menu_and_the_next_one_moves_up(engine: FakeEngine, clock: FakeClock,
                                                                   qtbot: Any) -> None:
    now = clock.now()
    alarms = [engine.add((f"a{h}",), Kind.EXACT, worker="reminder", at=now + timedelta(hours=h)) for h in range(1, 7)]
    menu = TrayMenu(TrayModel(engine))
    qtbot.addWidget(menu)
    engine.delete(alarms[0].id)
    assert [a.label for a in menu.model.next_alarms()] == ["a2", "a3", "a4", "a5", "a6"]
    assert menu.alarm_actions[0].text().endswith("a2")
