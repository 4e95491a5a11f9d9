from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.clock import FakeClock, SystemClock, from_us, iso, to_us


def test_microsecond_round_trip() -> None:
    instant = datetime(2026, 11, 28, 6, 38, 25, 123456, tzinfo=UTC)
    assert from_us(to_us(instant)) == instant
    assert iso(instant) == "2026-11-28T06:38:25.123456+00:00"
    assert iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000+00:00"


def test_fake_timers_fire_in_deadline_order_each_at_its_instant(clock: FakeClock) -> None:
    fired: list[tuple[str, float]] = []
    start = clock.monotonic()
    a = clock.timer(lambda: fired.append(("a", clock.monotonic() - start)))
    b = clock.timer(lambda: fired.append(("b", clock.monotonic() - start)))
    a.start(5)
    b.start(2)
    clock.advance(1)
    assert fired == []
    clock.advance(10)
    assert fired == [("b", 2.0), ("a", 5.0)]
    assert clock.monotonic() - start == 11
    assert not a.active and not b.active


def test_restart_replaces_and_stop_disarms(clock: FakeClock) -> None:
    fired: list[float] = []
    t = clock.timer(lambda: fired.append(clock.monotonic()))
    t.start(5)
    t.start(10)  # re-arming replaces the first deadline
    clock.advance(6)
    assert fired == []
    t.stop()
    clock.advance(10)
    assert fired == []
    assert clock.next_deadline() is None


def test_a_timer_armed_from_a_callback_fires_within_the_same_advance(clock: FakeClock) -> None:
    fired: list[float] = []
    t = clock.timer(lambda: (fired.append(clock.monotonic()), len(fired) < 3 and t.start(1)))
    t.start(1)
    base = clock.monotonic()
    clock.advance(10)
    assert [f - base for f in fired] == [1.0, 2.0, 3.0]


def test_jump_and_suspend_move_only_the_wall_clock(clock: FakeClock) -> None:
    wall, mono = clock.now(), clock.monotonic()
    clock.jump(-3600)
    assert clock.now() == wall - timedelta(hours=1)
    assert clock.monotonic() == mono
    clock.suspend(7200)
    assert clock.now() == wall + timedelta(hours=1)
    assert clock.monotonic() == mono
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_system_clock_is_utc_and_its_timer_fires(qtbot) -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is UTC
    fired: list[bool] = []
    timer = clock.timer(lambda: fired.append(True))
    timer.start(0.001)
    assert timer.active
    qtbot.waitUntil(lambda: fired == [True], timeout=2000)


def test_system_clock_now_us_reads_the_same_clock_as_now() -> None:
    """SystemClock.now_us skips the datetime (issue 14): the same reading, floored to
    the microsecond, as to_us(now()) taken around it."""
    clock = SystemClock()
    for _ in range(1000):
        before = to_us(clock.now())
        now_us = clock.now_us()
        after = to_us(clock.now())
        assert type(now_us) is int and before <= now_us <= after
