"""Reminders on the desktop. Offscreen has no tray and no notification server, so the
fallback reminder window is tested for real: it appears, snooze re-arms, dismiss
clears, and a reminder nobody answers stays in the missed list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QPushButton, QSystemTrayIcon

from engine.clock import FakeClock
from tests.ui.reminder_fakes import FakeNotifier, FakeReminder, FakeReminderEngine
from ui.notifications import ReminderPresenter
from ui.reminder_window import ReminderWindow
from ui.settings import NotificationStyle, Settings


@pytest.fixture
def settings(tmp_path: Path, qapp: Any) -> Settings:
    return Settings.at(tmp_path / "s.ini")


@pytest.fixture
def engine(clock: FakeClock, qapp: Any) -> FakeReminderEngine:
    return FakeReminderEngine(clock)


def _presenter(engine: FakeReminderEngine, settings: Settings, qtbot: Any, **kwargs: Any) -> ReminderPresenter:
    kwargs.setdefault("notifier", FakeNotifier(None))
    kwargs.setdefault("tray_available", False)
    presenter = ReminderPresenter(engine, settings, **kwargs)
    qtbot.addWidget(presenter.window)
    return presenter


def _button(window: ReminderWindow, name: str) -> QPushButton:
    button = window.findChild(QPushButton, name)
    assert button is not None, name
    return button


def test_offscreen_really_has_no_tray(qapp: Any) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()


def test_window_appears_on_top_with_the_message(engine: FakeReminderEngine, settings: Settings, qtbot: Any) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "Stand up and stretch")
    window = presenter.window
    qtbot.waitUntil(window.isVisible)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.message.text() == "Stand up and stretch"
    assert "due" in window.when.text()


def test_snooze_re_arms_and_the_reminder_comes_back(engine: FakeReminderEngine, settings: Settings,
                                                    clock: FakeClock, qtbot: Any) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "Tea")
    window = presenter.window
    with qtbot.waitSignal(presenter.answered) as answered:
        qtbot.mouseClick(_button(window, "snooze5"), Qt.MouseButton.LeftButton)
    assert answered.args[1] == "snoozed"
    assert engine.calls == [("snooze", "t1", 300.0, None)]
    assert not window.isVisible() and engine.missed_reminders() == []
    clock.advance(299)
    assert not window.isVisible()
    clock.advance(1)
    assert window.isVisible() and window.current.task_id == "t1-s"


def test_snooze_until_a_chosen_time(engine: FakeReminderEngine, settings: Settings, clock: FakeClock,
                                    qtbot: Any) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "Call back")
    window = presenter.window
    target = clock.now() + timedelta(minutes=42)
    window.until_edit.setDateTime(window.until_edit.dateTime().fromSecsSinceEpoch(int(target.timestamp())))
    qtbot.mouseClick(_button(window, "snoozeUntil"), Qt.MouseButton.LeftButton)
    assert engine.calls == [("snooze", "t1", None, target)]
    clock.advance(42 * 60)
    assert window.isVisible() and window.message.text() == "Call back"


def test_snooze_until_a_past_time_is_refused_in_place(engine: FakeReminderEngine, settings: Settings,
                                                      clock: FakeClock, qtbot: Any) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "Call back")
    window = presenter.window
    past = clock.now() - timedelta(minutes=1)
    window.until_edit.setDateTime(window.until_edit.dateTime().fromSecsSinceEpoch(int(past.timestamp())))
    qtbot.mouseClick(_button(window, "snoozeUntil"), Qt.MouseButton.LeftButton)
    assert engine.calls == [] and window.isVisible()
    assert "future" in window.when.text()


def test_dismiss_clears_and_shows_the_next(engine: FakeReminderEngine, settings: Settings, qtbot: Any) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "First")
    engine.fire("t2", "Second")
    window = presenter.window
    assert window.counter.text() == "Reminder 1 of 2"
    qtbot.mouseClick(_button(window, "dismiss"), Qt.MouseButton.LeftButton)
    assert window.isVisible() and window.message.text() == "Second"
    qtbot.mouseClick(_button(window, "dismiss"), Qt.MouseButton.LeftButton)
    assert not window.isVisible()
    assert engine.calls == [("dismiss", "t1"), ("dismiss", "t2")]
    assert presenter.missed() == []


def test_closing_the_window_unanswered_keeps_it_in_the_missed_list(
    engine: FakeReminderEngine, settings: Settings, qtbot: Any
) -> None:
    presenter = _presenter(engine, settings, qtbot)
    engine.fire("t1", "Don't lose me")
    with qtbot.waitSignal(presenter.unanswered) as unanswered:
        presenter.window.close()
    assert unanswered.args[0].task_id == "t1"
    assert [r.task_id for r in presenter.missed()] == ["t1"]
    assert engine.calls == []


def test_without_the_engine_api_the_missed_list_is_kept_here(settings: Settings, clock: FakeClock,
                                                             qtbot: Any) -> None:
    class OldEngine(QObject):  # an engine from before the reminder API: a signal, nothing else
        reminder = Signal(object)

    old = OldEngine()
    presenter = _presenter(old, settings, qtbot)  # type: ignore[arg-type]
    old.reminder.emit(FakeReminder("t1", "Old engine", clock.now(), clock.now()))
    presenter.window.dismiss_button.click()  # dismissing needs no engine call
    assert presenter.missed() == []
    old.reminder.emit(FakeReminder("t2", "Old engine", clock.now(), clock.now()))
    presenter.window.close()
    assert [r.task_id for r in presenter.missed()] == ["t2"]


def test_desktop_notification_with_actions_is_used_when_the_server_has_them(
    engine: FakeReminderEngine, settings: Settings, qtbot: Any
) -> None:
    notifier = FakeNotifier(["actions", "body"])
    presenter = _presenter(engine, settings, qtbot, notifier=notifier)
    engine.fire("t1", "Backup done?")
    assert notifier.sent == [("Reminder", "Backup done?",
                              [("default", "Open"), ("snooze", "Snooze 10 min"), ("dismiss", "Dismiss")])]
    assert not presenter.window.isVisible()
    notifier.action_invoked.emit(1, "snooze")
    assert engine.calls == [("snooze", "t1", 600.0, None)] and notifier.closed_ids == [1]
    engine.fire("t2", "Second")
    notifier.action_invoked.emit(2, "dismiss")
    assert engine.calls[-1] == ("dismiss", "t2")
    engine.fire("t3", "Third")
    with qtbot.waitSignal(presenter.unanswered):
        notifier.closed.emit(3, 1)  # expired unanswered
    assert [r.task_id for r in presenter.missed()] == ["t3"]
    engine.fire("t4", "Fourth")
    notifier.action_invoked.emit(4, "default")  # a click on the body opens the window
    assert presenter.window.isVisible() and presenter.window.current.task_id == "t4"


def test_which_backend(engine: FakeReminderEngine, settings: Settings, qtbot: Any) -> None:
    with_actions = _presenter(engine, settings, qtbot, notifier=FakeNotifier(["actions"]))
    tray = QSystemTrayIcon()
    with_tray = _presenter(engine, settings, qtbot, notifier=FakeNotifier(["body"]), tray=tray,
                           tray_available=True)
    bare = _presenter(engine, settings, qtbot)
    assert with_actions.backend_for(NotificationStyle.AUTO) == "desktop"
    assert with_actions.backend_for(NotificationStyle.WINDOW) == "window"
    assert with_actions.backend_for(NotificationStyle.TRAY) == "window"  # no tray there
    assert with_tray.backend_for(NotificationStyle.AUTO) == "tray"
    assert with_tray.backend_for(NotificationStyle.DESKTOP) == "tray"  # server has no actions
    assert bare.backend_for(NotificationStyle.AUTO) == "window"


def test_tray_message_click_opens_the_window(engine: FakeReminderEngine, settings: Settings, qtbot: Any) -> None:
    tray = QSystemTrayIcon()
    notifier = FakeNotifier(None)
    presenter = _presenter(engine, settings, qtbot, notifier=notifier, tray=tray, tray_available=True)
    engine.fire("t1", "Via the tray")
    assert not presenter.window.isVisible()
    tray.messageClicked.emit()
    assert presenter.window.isVisible() and presenter.window.message.text() == "Via the tray"


def test_a_server_without_actions_still_gets_a_notification_and_the_window_answers(
    engine: FakeReminderEngine, settings: Settings, qtbot: Any
) -> None:
    notifier = FakeNotifier(["body"])
    presenter = _presenter(engine, settings, qtbot, notifier=notifier)
    engine.fire("t1", "Both")
    assert notifier.sent and notifier.sent[0][2] == []
    assert presenter.window.isVisible()


class _RecordingTray(QSystemTrayIcon):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, str, int]] = []

    def showMessage(self, title: str, body: str, icon: Any = None, ms: int = 10_000) -> None:  # noqa: N802
        self.messages.append((title, body, ms))


def test_tray_messages_are_short_go_away_and_lose_no_reminder(engine: FakeReminderEngine, settings: Settings,
                                                              qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.notifications

    tray = _RecordingTray()
    presenter = _presenter(engine, settings, qtbot, tray=tray, tray_available=True)
    engine.fire("oven", "Check the oven")
    engine.fire("call", "Call Alice")
    # Each message closes itself after a few seconds (it used to stay until clicked,
    # over the tray icon and the window's buttons); neither reminder is answered.
    assert [(b, ms) for _, b, ms in tray.messages] == [("Check the oven", ui.notifications.TRAY_MESSAGE_MS),
                                                      ("Call Alice", ui.notifications.TRAY_MESSAGE_MS)]
    assert 0 < ui.notifications.TRAY_MESSAGE_MS <= 10_000
    assert [r.task_id for r in presenter.missed()] == ["oven", "call"]
    # A click once the message is gone is the icon's or the window's, not the reminder's.
    monkeypatch.setattr(ui.notifications, "TRAY_MESSAGE_MS", 20)
    engine.fire("tea", "Tea")
    qtbot.waitUntil(lambda: not presenter._tray_message_timer.isActive())
    tray.messageClicked.emit()
    assert not presenter.window.isVisible()


def test_one_notification_per_reminder_and_answers_elsewhere_close_it(engine: FakeReminderEngine,
                                                                      settings: Settings, qtbot: Any) -> None:
    notifier = FakeNotifier(["actions", "body"])
    presenter = _presenter(engine, settings, qtbot, notifier=notifier)
    engine.fire("oven", "Check the oven")
    engine.fire("call", "Call Alice")
    assert notifier.replaced == [0, 0]  # the second does not replace the first
    engine.fire("oven", "Check the oven")  # the same reminder shown again (a restart): its own is replaced
    assert notifier.replaced == [0, 0, 1]
    # Dismissed elsewhere (the command line, the Reminders view): its notification goes.
    engine.dismiss("call")
    engine.reminders_changed.emit()
    assert notifier.closed_ids == [2]
    notifier.closed.emit(1, 2)  # the user closed the oven's with its cross: still unanswered
    assert [r.task_id for r in presenter.missed()] == ["oven"]


def test_an_answer_from_the_window_or_the_dock_closes_the_desktop_notification(engine: FakeReminderEngine,
                                                                               settings: Settings, qtbot: Any) -> None:
    # Seen under Xvfb: Dismiss in the reminder window (opened from the tray's menu) left
    # the reminder's notification on screen, its buttons dead: the answer forgot the
    # notification before anything closed it.
    notifier = FakeNotifier(["actions"])
    presenter = _presenter(engine, settings, qtbot, notifier=notifier)
    first = engine.fire("t1", "First")
    second = engine.fire("t2", "Second")
    presenter.window.add(first)  # the tray's entry for it
    _button(presenter.window, "dismiss").click()
    assert engine.calls == [("dismiss", "t1")] and notifier.closed_ids == [1]
    presenter.snooze(second, 300.0)  # the Reminders dock's Snooze
    assert notifier.closed_ids == [1, 2]
    engine.fire("t3", "Third")
    notifier.action_invoked.emit(3, "dismiss")  # answered on the notification: closed once
    assert notifier.closed_ids == [1, 2, 3]


def test_quitting_withdraws_the_notifications_shown_so_none_is_left_with_dead_buttons(
        engine: FakeReminderEngine, settings: Settings, qtbot: Any) -> None:
    # Seen under Xvfb: notifications never expire, and after a quit and a new start the
    # old ones were still up, their buttons answering nobody.
    notifier = FakeNotifier(["actions"])
    presenter = _presenter(engine, settings, qtbot, notifier=notifier)
    engine.fire("t1", "First")
    engine.fire("t2", "Second")
    presenter.withdraw_all()
    assert sorted(notifier.closed_ids) == [1, 2]
    assert [r.task_id for r in presenter.missed()] == ["t1", "t2"]  # still unanswered
