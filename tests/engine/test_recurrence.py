from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from engine.errors import BadTimeError
from engine.model import Schedule
from engine.recurrence import next_occurrence, occurrences, validate

BERLIN = "Europe/Berlin"


def local(instants, tz: str = BERLIN) -> list[str]:
    return [i.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M%z") for i in instants]


def test_daily_cron_across_spring_forward_fires_once_after_the_gap() -> None:
    start = datetime(2026, 3, 27, tzinfo=UTC)
    got = local(islice(occurrences(Schedule(cron="30 2 * * *", tz=BERLIN), start, start), 4))
    assert got == ["03-27 02:30+0100", "03-28 02:30+0100", "03-29 03:00+0200", "03-30 02:30+0200"]


def test_daily_cron_across_fall_back_fires_once_at_the_first() -> None:
    start = datetime(2026, 10, 24, tzinfo=UTC)
    got = local(islice(occurrences(Schedule(cron="30 2 * * *", tz=BERLIN), start, start), 3))
    assert got == ["10-24 02:30+0200", "10-25 02:30+0200", "10-26 02:30+0100"]


def test_every_whole_days_keeps_the_local_time_across_dst() -> None:
    anchor = datetime(2026, 3, 27, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    got = local(islice(occurrences(Schedule(every=86400, tz=BERLIN), anchor, anchor), 3))
    assert got == ["03-28 08:00+0100", "03-29 08:00+0200", "03-30 08:00+0200"]


def test_every_sub_day_is_absolute() -> None:
    anchor = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    after = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert next_occurrence(Schedule(every=1800), anchor, after) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_rrule_weekly_in_new_york_across_dst() -> None:
    tz = "America/New_York"
    anchor = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # Monday 08:00 EST
    rule = Schedule(rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0", tz=tz)
    got = local(islice(occurrences(rule, anchor, anchor), 2), tz)
    assert got == ["03-09 08:00-0400", "03-16 08:00-0400"]


def test_a_finite_rule_ends() -> None:
    anchor = datetime(2026, 1, 1, 8, tzinfo=UTC)
    rule = Schedule(rrule="FREQ=DAILY;COUNT=2", tz="UTC")
    assert list(occurrences(rule, anchor, anchor)) == [datetime(2026, 1, 2, 8, tzinfo=UTC)]
    assert next_occurrence(rule, anchor, datetime(2026, 1, 3, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule(cron="61 * * * *"), "invalid cron expression"),
        (Schedule(cron="every day"), "invalid cron expression"),
        (Schedule(rrule="FREQ=SOMETIMES"), "invalid RRULE"),
        (Schedule(every=60, tz="Nowhere/City"), "unknown time zone"),
    ],
)
def test_invalid_rules(schedule: Schedule, message: str) -> None:
    with pytest.raises(BadTimeError, match=message):
        validate(schedule)
