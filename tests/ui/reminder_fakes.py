"""Fakes for the reminder tests: an engine with the exact work's reminder API, a notifier.

The fake engine keeps the reminder semantics the exact-alarms engine documents: a
shown reminder stays open (in ``missed_reminders()``) until snoozed or dismissed; a
snooze arms a new one-shot reminder on the clock, which fires the ``reminder`` signal
again when the fake clock reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.clock import FakeClock, Timer


@dataclass(frozen=True)
class FakeReminder:
    task_id: str
    message: str
    due_at: datetime | None
    fired_at: datetime | None
    id: int | None = None
    detail: str | None = None
    missed: bool = False


class FakeReminderEngine(QObject):
    reminder = Signal(object)
    reminders_changed = Signal()

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.open: dict[str, FakeReminder] = {}
        self.calls: list[tuple[Any, ...]] = []
        self._timers: list[Timer] = []
        self._seq = 0

    def fire(self, task_id: str, message: str) -> FakeReminder:
        self._seq += 1
        now = self.clock.now()
        reminder = FakeReminder(task_id, message, now, now, id=self._seq)
        self.open[task_id] = reminder
        self.reminder.emit(reminder)
        return reminder

    def snooze(self, task_id: str, seconds: float | None = None, *, until: datetime | None = None) -> str:
        self.calls.append(("snooze", task_id, seconds, until))
        reminder = self.open.pop(task_id)
        delay = seconds if seconds is not None else (until - self.clock.now()).total_seconds()  # type: ignore[operator]
        new_id = f"{task_id}-s"
        timer = self.clock.timer(lambda: self.fire(new_id, reminder.message))
        timer.start(delay)
        self._timers.append(timer)
        return new_id

    def dismiss(self, task_id: str) -> int:
        self.calls.append(("dismiss", task_id))
        return 1 if self.open.pop(task_id, None) else 0

    def missed_reminders(self) -> list[FakeReminder]:
        return list(self.open.values())


class FakeNotifier(QObject):
    """A notification server stand-in with or without actions (None: no server)."""

    action_invoked = Signal(int, str)
    closed = Signal(int, int)

    def __init__(self, capabilities: list[str] | None = None) -> None:
        super().__init__()
        self.capabilities = capabilities or []
        self.available = capabilities is not None
        self.sent: list[tuple[str, str, list[tuple[str, str]]]] = []
        self.closed_ids: list[int] = []
        self.replaced: list[int] = []  # each notify's replaces_id

    @property
    def supports_actions(self) -> bool:
        return self.available and "actions" in self.capabilities

    def notify(self, summary: str, body: str, actions: Any = (), *, timeout_ms: int = 0,
               replaces: int = 0) -> int | None:
        self.sent.append((summary, body, list(actions)))
        self.replaced.append(replaces)
        return replaces or len(self.sent)

    def close(self, nid: int) -> None:
        self.closed_ids.append(nid)
