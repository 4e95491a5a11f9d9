"""Exact work through the real JobRunner and built-in workers (the fake clock still
decides when alarms fire; Qt delivers the runner's signals, so we wait for them)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import serialize
from engine.clock import FakeClock
from engine.clock import iso as clock_iso
from engine.engine import Engine
from engine.immediate import JobRunner
from engine.model import Kind, Schedule, State, TaskSpec
from engine.store import Store
from engine.workers import shell

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
        assert again.args[0].task_id == snoozed.id == reminder.id
    finally:
        engine.stop()
        store.close()


@pytest.mark.linux
def test_an_alarms_command_runs_at_normal_priority_deferred_work_at_idle(
    qtbot: Any, tmp_path: Path, clock: FakeClock
) -> None:
    """An alarm must not wait for an idle CPU (issue 14): its command runs at the engine's
    own priority, while deferred and keep-running work stays at SCHED_IDLE / nice +10.
    The run records when the command's process started (spawned_at), never before its alarm."""
    report = (sys.executable, "-c", "import os; print(os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0))")
    store = Store(tmp_path / "wd.db")
    engine = Engine(store, clock, runner=JobRunner(max_threads=3))
    engine.start()
    try:
        alarm = engine.enqueue(TaskSpec("shell", report, kind=Kind.EXACT, run_at=T0 + timedelta(minutes=1)))
        deferred = engine.enqueue(TaskSpec("shell", report, kind=Kind.DEFERRED))
        immediate = engine.enqueue(TaskSpec("shell", report, kind=Kind.IMMEDIATE))
        clock.advance(60)
        ids = (alarm.id, deferred.id, immediate.id)
        qtbot.waitUntil(lambda: all(engine.task(i).state is State.SUCCEEDED for i in ids), timeout=10_000)
        policy = {i: tuple(int(x) for x in engine.log(i).split()) for i in ids}
        own_nice = os.getpriority(os.PRIO_PROCESS, 0)
        assert policy[alarm.id] == (os.SCHED_OTHER, own_nice)
        idle = (os.SCHED_IDLE, min(19, own_nice + shell.NICENESS))
        assert policy[deferred.id] == idle and policy[immediate.id] == idle
        (run,) = engine.task(alarm.id).runs
        assert run.fired_at == T0 + timedelta(minutes=1) and run.spawned_at is not None
        assert run.spawned_at >= run.fired_at  # the fake clock stands still: equal here
        assert serialize.run_json(run)["spawned_at"] == clock_iso(run.spawned_at)
        assert serialize.start_gap(run) == "alarm +0.0 ms, command +0.0 ms after it"
        assert engine.task(deferred.id).runs[0].spawned_at is not None
    finally:
        engine.stop()
        store.close()
