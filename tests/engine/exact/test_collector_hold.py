"""No garbage collection in the last stretch before an alarm (engine.collector_hold),
on the fake clock: under one CPU hog per core a collection held the interpreter lock
for up to 147 ms (a full one) and 25 ms (a young one), most of the p99 of fired_at."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from engine import exact
from engine.clock import FakeClock
from engine.collector_hold import CollectorHold
from engine.model import Kind, TaskSpec

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the fake clock's start
MS = timedelta(milliseconds=1)


def command(at: datetime) -> TaskSpec:
    return TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=at)


def test_no_garbage_collection_from_the_last_wait_until_the_alarm_fired(make_engine, clock: FakeClock) -> None:
    """None starts in the last stretch before an alarm; the collector is back once it fired."""
    assert gc.isenabled()
    engine, runner = make_engine()
    due = T0 + timedelta(minutes=5)
    first = engine.enqueue(command(due))
    second = engine.enqueue(command(due + timedelta(minutes=5)))
    clock.advance_to(due - timedelta(seconds=exact.NEAR) - MS)
    assert gc.isenabled()
    clock.advance_to(due - MS)
    assert not gc.isenabled()
    clock.advance(2 * MS.total_seconds())
    assert [job.task_id for job in runner.submitted] == [first.id] and gc.isenabled()
    clock.advance_to(due + timedelta(minutes=5) - MS)  # the next alarm's last stretch
    assert not gc.isenabled()
    engine.cancel(second.id)  # nothing armed any more
    assert gc.isenabled()
    engine.enqueue(command(clock.now() + timedelta(milliseconds=20)))
    assert not gc.isenabled()
    engine.stop()
    assert gc.isenabled()


def test_collector_holds_are_counted_and_leave_an_applications_own_choice() -> None:
    first, second = CollectorHold(), CollectorHold()
    try:
        first.hold()
        second.hold()
        first.hold()  # once per holder
        first.release()
        assert not gc.isenabled()  # the second still holds
        second.release()
        assert gc.isenabled()
        gc.disable()  # the application's own choice
        first.hold()
        first.release()
        assert not gc.isenabled()
    finally:
        first.release()
        second.release()
        gc.enable()
