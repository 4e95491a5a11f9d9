"""A start time the user types, across DST (issue 11, item 12), on the fake clock.

- A wall time typed inside a spring-forward gap fires once at the gap's end that day
  (README) and at the typed time every day after: the rule keeps the user's wall time,
  not the gap-resolved instant (which read back as 03:00 for ever).
- ``HH:MM`` typed during the second pass of a fall-back overlap is the next such
  local time: its second occurrence, minutes ahead, not the first, already past.
- An RRULE's UTC UNTIL (RFC 5545's form beside a zoned start) is accepted; a floating
  UNTIL is the user's local time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.clock import FakeClock
from engine.errors import BadTimeError
from engine.model import Kind, Schedule, TaskSpec
from engine.recurrence import next_occurrence, validate
from engine.timeparse import parse_local_time


def wall(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def utc_of(zone: str, *args: int, fold: int = 0) -> datetime:
    return wall(zone, *args, fold=fold).astimezone(UTC)


# (zone, typed at (local), --at, first alarm (local, the gap's end), the next two (local))
GAPS = [
    ("Europe/Berlin", (2027, 3, 28, 1, 35), "02:30", (2027, 3, 28, 3, 0), [(2027, 3, 29, 2, 30), (2027, 3, 30, 2, 30)]),
    # Lord Howe springs forward half an hour: 02:00 -> 02:30.
    ("Australia/Lord_Howe", (2027, 10, 3, 1, 35), "02:15", (2027, 10, 3, 2, 30),
     [(2027, 10, 4, 2, 15), (2027, 10, 5, 2, 15)]),
    # Chatham at a quarter to: 02:45 -> 03:45.
    ("Pacific/Chatham", (2027, 9, 26, 2, 0), "03:15", (2027, 9, 26, 3, 45), [(2027, 9, 27, 3, 15), (2027, 9, 28, 3, 15)]),
    # Sao Paulo (historical DST) at midnight: 00:00 -> 01:00 on 2018-11-04; typed the evening before.
    ("America/Sao_Paulo", (2018, 11, 3, 23, 50), "00:30", (2018, 11, 4, 1, 0), [(2018, 11, 5, 0, 30), (2018, 11, 6, 0, 30)]),
]
RULES = {"every-1d": {"every": 86400.0}, "rrule-daily": {"rrule": "FREQ=DAILY"}}


def _alarms(make_engine: Any, clock: FakeClock, spec: TaskSpec, count: int) -> list[datetime]:
    """The due instants of the first ``count`` runs, fired by the engine on the fake clock."""
    engine, _ = make_engine()
    task = engine.enqueue(spec)
    due: list[datetime] = []
    while len(due) < count:
        nxt = engine.task(task.id).next_run_at
        assert nxt is not None
        clock.advance_to(nxt)
        runs = engine.task(task.id).runs
        assert len(runs) == len(due) + 1, runs
        due.append(runs[-1].due_at)  # type: ignore[arg-type]
    return due


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize(("zone", "typed_at", "at", "first", "later"), GAPS, ids=[g[0] for g in GAPS])
def test_a_time_typed_in_a_gap_fires_at_its_end_that_day_and_at_the_typed_time_after(
    make_engine: Any, clock: FakeClock, zone: str, typed_at: tuple[int, ...], at: str,
    first: tuple[int, ...], later: list[tuple[int, ...]], rule: str,
) -> None:
    now = utc_of(zone, *typed_at)
    clock.jump((now - clock.now()).total_seconds())
    typed = parse_local_time(at, now, ZoneInfo(zone))
    assert typed.instant == utc_of(zone, *first)  # README: once, at the end of the gap
    schedule = Schedule(tz=zone, anchor_wall=typed.anchor_wall, **RULES[rule])  # type: ignore[arg-type]
    spec = TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=typed.instant, schedule=schedule)
    alarms = _alarms(make_engine, clock, spec, 3)
    assert [a.astimezone(ZoneInfo(zone)).replace(tzinfo=None) for a in alarms] == \
        [datetime(*first), *(datetime(*d) for d in later)]


def test_a_rule_stored_without_anchor_wall_still_reads_its_anchor(make_engine: Any, clock: FakeClock) -> None:
    """Rows written before anchor_wall existed: the anchor instant's own reading, as before."""
    zone = "Europe/Berlin"
    now = utc_of(zone, 2027, 3, 26, 7, 0)
    clock.jump((now - clock.now()).total_seconds())
    spec = TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=utc_of(zone, 2027, 3, 26, 8, 0),
                    schedule=Schedule(every=86400.0, tz=zone))
    assert "anchor_wall" not in spec.to_json()["schedule"]
    assert TaskSpec.from_json(spec.to_json()) == spec
    alarms = _alarms(make_engine, clock, spec, 3)
    assert alarms == [utc_of(zone, 2027, 3, 26, 8), utc_of(zone, 2027, 3, 27, 8), utc_of(zone, 2027, 3, 28, 8)]


@pytest.mark.parametrize("rule", list(RULES))
def test_hh_mm_typed_in_the_second_pass_of_a_fall_back_is_the_next_one_ten_minutes_ahead(
    make_engine: Any, clock: FakeClock, rule: str
) -> None:
    zone = "Europe/Berlin"
    now = utc_of(zone, 2027, 10, 31, 2, 20, fold=1)  # 02:20 CET, the hour's second pass
    clock.jump((now - clock.now()).total_seconds())
    typed = parse_local_time("02:30", now, ZoneInfo(zone))
    assert typed.instant == utc_of(zone, 2027, 10, 31, 2, 30, fold=1) == now + timedelta(minutes=10)
    assert typed.anchor_wall is None  # 02:30 exists (twice): the instant reads back as typed
    schedule = Schedule(tz=zone, **RULES[rule])  # type: ignore[arg-type]
    spec = TaskSpec("shell", ("true",), kind=Kind.EXACT, run_at=typed.instant, schedule=schedule)
    alarms = _alarms(make_engine, clock, spec, 3)
    assert alarms == [now + timedelta(minutes=10), utc_of(zone, 2027, 11, 1, 2, 30), utc_of(zone, 2027, 11, 2, 2, 30)]


def test_hh_mm_in_the_first_pass_of_a_fall_back_is_still_the_first() -> None:
    """README: a time in an overlap fires once, at the first; typed before it, that is the one."""
    zone = ZoneInfo("Europe/Berlin")
    now = utc_of("Europe/Berlin", 2027, 10, 31, 2, 20)  # 02:20 CEST
    assert parse_local_time("02:30", now, zone).instant == now + timedelta(minutes=10)
    now = utc_of("Europe/Berlin", 2027, 10, 31, 2, 40, fold=1)  # 02:40 CET: both 02:30s have passed
    assert parse_local_time("02:30", now, zone).instant == utc_of("Europe/Berlin", 2027, 11, 1, 2, 30)


def test_an_rrule_with_a_utc_until_is_accepted_with_a_zoned_start_and_ends_there() -> None:
    zone = "America/New_York"
    schedule = Schedule(rrule="FREQ=DAILY;UNTIL=19970904T130000Z", tz=zone)  # 09:00 EDT on 4 Sep
    validate(schedule)
    anchor = utc_of(zone, 1997, 9, 2, 9, 0)
    got, cursor = [], anchor - timedelta(microseconds=1)
    while (cursor := next_occurrence(schedule, anchor, cursor)) is not None:  # type: ignore[assignment]
        got.append(cursor)
    assert got == [utc_of(zone, 1997, 9, d, 9, 0) for d in (2, 3, 4)]  # UNTIL is inclusive (RFC 5545)


def test_a_floating_until_is_the_users_local_time() -> None:
    zone = "Asia/Tokyo"
    schedule = Schedule(rrule="FREQ=DAILY;UNTIL=20270105T090000", tz=zone)
    anchor = utc_of(zone, 2027, 1, 3, 9, 0)
    assert next_occurrence(schedule, anchor, utc_of(zone, 2027, 1, 4, 9, 0)) == utc_of(zone, 2027, 1, 5, 9, 0)
    assert next_occurrence(schedule, anchor, utc_of(zone, 2027, 1, 5, 9, 0)) is None
    with pytest.raises(BadTimeError, match="UNTIL=1997"):
        validate(Schedule(rrule="FREQ=DAILY;UNTIL=1997", tz=zone))


@pytest.mark.parametrize("at", ["2027-03-28T02:30:00", '"2027-03-28T02:30"'])
def test_a_manifest_at_in_a_gap_keeps_its_wall_time_through_export_and_import(at: str) -> None:
    from engine.manifest.model import parse
    from engine.manifest.io import export_manifest
    from engine.model import State, Task

    now = utc_of("Europe/Berlin", 2027, 3, 27, 12, 0)
    text = f'[tasks.a]\nrun = ["true"]\nat = {at}\nevery = "1d"\ntz = "Europe/Berlin"\n'
    spec = parse(text, "m.toml", now=now).tasks["a"].spec
    assert spec.run_at == utc_of("Europe/Berlin", 2027, 3, 28, 3, 0)  # the gap's end
    assert spec.schedule is not None and spec.schedule.anchor_wall == "2027-03-28T02:30:00"
    exported = export_manifest([Task("t1", spec.replace(origin="user", name="a"), State.SCHEDULED, now)], now)
    assert 'at = "2027-03-28T02:30:00"' in exported
    again = parse(exported, "export.toml", now=now).tasks["a"].spec
    assert (again.run_at, again.schedule) == (spec.run_at, spec.schedule)


def test_out_of_range_times_in_a_manifest_are_one_problem_not_a_crash() -> None:
    from engine.manifest.model import ManifestError, parse

    now = utc_of("UTC", 2027, 1, 1, 0, 0)
    for at in ('"0001-01-01T00:00:00+05:00"', '"9999-12-31T23:59:00"'):
        with pytest.raises(ManifestError, match="out of range"):
            parse(f'[tasks.a]\nrun = ["true"]\nat = {at}\nevery = "1s"\n', "m.toml", now=now)
