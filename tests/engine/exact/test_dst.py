"""Repeat rules across DST in Europe/Berlin and America/New_York: daily, weekly, cron, RRULE.

A local time in the spring-forward gap fires once at the first valid instant after
the gap; one in the fall-back overlap fires once, at its first occurrence. Plain
functions: no event loop, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import exact
from engine.model import Kind, Schedule, TaskSpec

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
# 2026: Berlin springs forward Sun 29 March 02:00 -> 03:00, falls back Sun 25 October 03:00 -> 02:00;
# New York springs forward Sun 8 March 02:00 -> 03:00, falls back Sun 1 November 02:00 -> 01:00.


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def series(schedule: Schedule, start_local: datetime, count: int) -> list[datetime]:
    """The first ``count`` alarms of a rule anchored at ``start_local``, as UTC instants."""
    now = start_local.astimezone(UTC) - timedelta(minutes=1)
    run_at = start_local.astimezone(UTC)  # the rule's anchor: an interval's start, an RRULE's DTSTART
    spec = exact.prepare(TaskSpec("reminder", ("x",), kind=Kind.EXACT, run_at=run_at, schedule=schedule), now)
    first = exact.first_alarm(spec, now)
    assert first is not None
    out = [first]
    while len(out) < count:
        nxt = exact.next_alarm(spec, out[-1])
        assert nxt is not None
        out.append(nxt)
    return out


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


DAILY_0230 = {
    "every": lambda tz: Schedule(every=86400, tz=tz),
    "cron": lambda tz: Schedule(cron="30 2 * * *", tz=tz),
    "rrule": lambda tz: Schedule(rrule="FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", tz=tz),
}


def _anchored(kind: str, tz: str, start: datetime) -> tuple[Schedule, datetime]:
    """``every`` is anchored by its start time; cron and RRULE carry their own time."""
    return DAILY_0230[kind](tz), start


@pytest.mark.parametrize("kind", list(DAILY_0230))
def test_daily_0230_berlin_spring_gap_fires_once_at_0300(kind: str) -> None:
    schedule, start = _anchored(kind, BERLIN, local(BERLIN, 2026, 3, 27, 2, 30))
    alarms = series(schedule, start, 4)
    assert alarms == [
        utc(2026, 3, 27, 1, 30),  # 02:30 CET
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST, the gap's end
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


@pytest.mark.parametrize("kind", list(DAILY_0230))
def test_daily_0230_berlin_fall_overlap_fires_once_at_the_first(kind: str) -> None:
    schedule, start = _anchored(kind, BERLIN, local(BERLIN, 2026, 10, 24, 2, 30))
    alarms = series(schedule, start, 3)
    assert alarms == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 happens twice: the first (CEST), not 01:30 UTC too
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
    ]


@pytest.mark.parametrize("kind", list(DAILY_0230))
def test_daily_0230_new_york_spring_gap_and_fall_overlap(kind: str) -> None:
    schedule, start = _anchored(kind, NEW_YORK, local(NEW_YORK, 2026, 3, 7, 2, 30))
    assert series(schedule, start, 3) == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # gap: 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(every=86400, tz=NEW_YORK),
        Schedule(cron="30 1 * * *", tz=NEW_YORK),
        Schedule(rrule="FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0", tz=NEW_YORK),
    ],
    ids=["every", "cron", "rrule"],
)
def test_daily_0130_new_york_overlap_fires_once(schedule: Schedule) -> None:
    alarms = series(schedule, local(NEW_YORK, 2026, 10, 31, 1, 30), 3)
    assert alarms == [
        utc(2026, 10, 31, 5, 30),  # 01:30 EDT
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT, the first of two 01:30s; not 06:30 UTC as well
        utc(2026, 11, 2, 6, 30),  # 01:30 EST
    ]


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK])
@pytest.mark.parametrize("kind", ["every", "cron", "rrule"])
def test_daily_0800_stays_0800_local_across_both_changes(tz: str, kind: str) -> None:
    schedule = {
        "every": Schedule(every=86400, tz=tz),
        "cron": Schedule(cron="0 8 * * *", tz=tz),
        "rrule": Schedule(rrule="FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0", tz=tz),
    }[kind]
    alarms = series(schedule, local(tz, 2026, 3, 1, 8, 0), 250)
    zone = ZoneInfo(tz)
    assert all(a.astimezone(zone).time().isoformat() == "08:00:00" for a in alarms)
    assert [a.astimezone(zone).date() for a in alarms] == [
        (local(tz, 2026, 3, 1) + timedelta(days=i)).date() for i in range(250)
    ]
    # Never by adding 24 hours: the UTC hour moves with the offset.
    assert len({a.hour for a in alarms}) == 2


WEEKLY_SUNDAY_0230 = {
    "cron": lambda tz: Schedule(cron="30 2 * * 0", tz=tz),
    "rrule": lambda tz: Schedule(rrule="FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0", tz=tz),
    "every": lambda tz: Schedule(every=7 * 86400, tz=tz),
}


@pytest.mark.parametrize("kind", list(WEEKLY_SUNDAY_0230))
def test_weekly_sunday_0230_berlin_both_changes(kind: str) -> None:
    # Both EU changes fall on a Sunday: the weekly rule meets the gap and the overlap.
    spring = series(WEEKLY_SUNDAY_0230[kind](BERLIN), local(BERLIN, 2026, 3, 22, 2, 30), 3)
    assert spring == [utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 4, 5, 0, 30)]
    autumn = series(WEEKLY_SUNDAY_0230[kind](BERLIN), local(BERLIN, 2026, 10, 18, 2, 30), 3)
    assert autumn == [utc(2026, 10, 18, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)]


@pytest.mark.parametrize("kind", list(WEEKLY_SUNDAY_0230))
def test_weekly_sunday_0230_new_york_spring_gap(kind: str) -> None:
    alarms = series(WEEKLY_SUNDAY_0230[kind](NEW_YORK), local(NEW_YORK, 2026, 3, 1, 2, 30), 3)
    assert alarms == [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 15, 6, 30)]


def test_weekly_new_york_overlap_at_0130_fires_once() -> None:
    for schedule in (
        Schedule(cron="30 1 * * 0", tz=NEW_YORK),
        Schedule(rrule="FREQ=WEEKLY;BYDAY=SU;BYHOUR=1;BYMINUTE=30;BYSECOND=0", tz=NEW_YORK),
    ):
        alarms = series(schedule, local(NEW_YORK, 2026, 10, 25, 1, 30), 3)
        assert alarms == [utc(2026, 10, 25, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)]


def test_sub_day_interval_is_fixed_span_through_the_gap() -> None:
    """'every 1h' is elapsed time: across the spring gap it is still one hour apart."""
    alarms = series(Schedule(every=3600, tz=BERLIN), local(BERLIN, 2026, 3, 29, 0, 0), 5)
    assert [b - a for a, b in zip(alarms, alarms[1:])] == [timedelta(hours=1)] * 4


def test_remind_before_shifts_every_occurrence() -> None:
    now = utc(2026, 3, 27, 0, 0)
    spec = exact.prepare(
        TaskSpec("reminder", ("standup",), kind=Kind.EXACT, remind_before=600,
                 schedule=Schedule(cron="30 9 * * *", tz=BERLIN)),
        now,
    )
    first = exact.first_alarm(spec, now)
    assert first == utc(2026, 3, 27, 8, 20)  # 09:30 CET minus 10 minutes
    assert exact.next_alarm(spec, first) == utc(2026, 3, 28, 8, 20)
    assert exact.next_alarm(spec, utc(2026, 3, 28, 8, 20)) == utc(2026, 3, 29, 7, 20)  # CEST
