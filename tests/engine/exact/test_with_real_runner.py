"""Exact work through the real JobRunner and built-in workers (the fake clock still
decides when alarms fire; Qt delivers the runner's signals, so we wait for them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.clock import FakeClock
from engine.engine import Engine
from engine.immediate import JobRunner
from engine.model import Kind, Schedule, State, TaskSpec
from engine.store import Store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_reminder_and_command_alarms_through_the_real_runner(qtbot: Any, tmp_path: Path, clock: FakeClock) -> None:
    store = Store(tmp_path / "wd.db")
    engine = Engine(store, clock, runner=JobRunner(max_threads=2))
    engine.start()
    try:
        reminder = engine.enqueue(TaskSpec("reminder", ("stretch",), kind=Kind.EXACT, run_at=T0 + timedelta(minutes=1)))
        command = engine.enqueue(
            TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=T0 + timedelta(minutes=1),
                     schedule=Schedule(every=3600, tz="UTC"))
        )
        with qtbot.waitSignal(engine.reminder, timeout=5000) as shown:
            clock.advance(60)
        assert shown.args[0].message == "stretch" and shown.args[0].fired_at == T0 + timedelta(minutes=1)
        qtbot.waitUntil(lambda: engine.task(reminder.id).state is State.SUCCEEDED, timeout=5000)
        qtbot.waitUntil(lambda: engine.task(command.id).state is State.SCHEDULED and engine.task(command.id).runs
                        and engine.task(command.id).runs[0].exit_code == 0, timeout=10_000)
        assert engine.task(command.id).next_run_at == T0 + timedelta(hours=1, minutes=1)
        assert [r.message for r in engine.missed_reminders()] == ["stretch"]
        snoozed = engine.snooze(reminder.id, 300)
        with qtbot.waitSignal(engine.reminder, timeout=5000) as again:
            clock.advance(300)
        assert again.args[0].task_id == snoozed.id
    finally:
        engine.stop()
        store.close()
