"""Repeat rules: the next occurrence of ``every``, cron (croniter) and RRULE (dateutil).

Rules are evaluated on the user's local wall clock (zoneinfo), never by adding fixed
spans to UTC, so "every day at 08:00" stays at 08:00 across DST. Each local time is
turned into an instant by :func:`engine.timeparse.resolve_local`: a time in a
spring-forward gap fires once at the first valid instant after the gap; a time in a
fall-back overlap fires once, at its first occurrence.

The anchor (an ``every`` series' start, an RRULE's DTSTART) is itself the first
occurrence, at its stored instant; later ones are read off the anchor's *wall* time:
:attr:`Schedule.anchor_wall` when the user typed a time inside a DST gap (02:30 fires
at 03:00 that day, at 02:30 every day after), else the anchor's own reading.

An RRULE's UNTIL is compared on the same wall clock: a UTC UNTIL (``...Z``, what
RFC 5545 requires beside a zoned DTSTART and what calendars export) is converted to
the rule's zone first, a floating one is local time already.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from engine.errors import BadTimeError
from engine.model import Schedule
from engine.timeparse import local_zone_name, resolve_local, zone

if TYPE_CHECKING:
    from dateutil.rrule import rrule

# croniter and dateutil are imported where a rule uses them: a process starting work
# with no cron or RRULE in it (most) saves their import, a sixth of its start-up.

_DAY = 86400.0
#: How many local times a rule may yield that all fall at or before ``after``
#: (a DST gap maps several onto one instant) before we call the rule exhausted.
_MAX_SKIPS = 10_000
_CRON_NICKNAMES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_UNTIL = re.compile(r"(?<![A-Z])UNTIL=([0-9TZ]+)", re.IGNORECASE)
#: The parts of an RRULE that pick days; the rest (FREQ, INTERVAL, times, BYSETPOS,
#: COUNT, UNTIL) only thin out the days these allow.
_DAY_PARTS = ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYDAY")


def validate(schedule: Schedule) -> None:
    """Raise :class:`BadTimeError` for a rule that can never be evaluated or never occurs.

    Cron takes exactly five fields (minute hour day month weekday), as CONTRACT.md's
    EXPR and crontab(5) do, or one of crontab(5)'s nicknames (``@daily``, ``@hourly``,
    ...): croniter would read a sixth field as seconds (or a year), which a user
    writing a crontab line does not mean.
    """
    tz = zone(schedule.tz or local_zone_name())
    if schedule.cron is not None:
        fields = schedule.cron.split()
        nickname = len(fields) == 1 and fields[0].lower() in _CRON_NICKNAMES
        from croniter import croniter

        if not (len(fields) == 5 or nickname) or not croniter.is_valid(schedule.cron):
            raise BadTimeError(f"invalid cron expression {schedule.cron!r}: five fields, e.g. '0 8 * * 1-5'")
    if schedule.rrule is not None:
        start = datetime(2026, 1, 1)
        try:
            rule = _rrule(schedule.rrule, start, tz)
        except (ValueError, TypeError, OverflowError) as exc:
            raise BadTimeError(f"invalid RRULE {schedule.rrule!r}: {exc}") from None
        if rule._interval < 1:  # dateutil takes INTERVAL=0 and repeats DTSTART for ever
            raise BadTimeError(f"invalid RRULE {schedule.rrule!r}: INTERVAL must be 1 or more")
        if rule._count == 0:
            raise BadTimeError(f"the RRULE {schedule.rrule!r} never occurs: COUNT=0")
        if not _days_possible(schedule.rrule):
            raise BadTimeError(f"the RRULE {schedule.rrule!r} never occurs: no date matches all its BY parts")


def _rrule(text: str, start_wall: datetime, tz: tzinfo) -> rrule:
    """The rule on the naive wall clock of ``tz`` from ``start_wall`` (DTSTART).

    dateutil refuses a UTC UNTIL beside a naive DTSTART, so UNTIL is taken out and put
    back as wall time in ``tz`` (a floating UNTIL is wall time already)."""
    until: datetime | None = None
    match = _UNTIL.search(text)
    if match is not None:
        value = match.group(1).upper()
        try:
            if value.endswith("Z"):
                parsed = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                until = parsed.astimezone(tz).replace(tzinfo=None)
            elif "T" in value:
                until = datetime.strptime(value, "%Y%m%dT%H%M%S")
            else:  # a DATE: the whole day, as dateutil reads a date-only UNTIL
                until = datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise ValueError(f"UNTIL={match.group(1)} is not a DATE or DATE-TIME such as 19970904T130000Z") from None
        text = (text[: match.start()] + text[match.end() :]).replace(";;", ";").strip(";")
    from dateutil.rrule import rrule, rrulestr

    rule = rrulestr(text, dtstart=start_wall)
    if not isinstance(rule, rrule):  # pragma: no cover - a bare RRULE never parses to a set
        raise ValueError("give one RRULE")
    return rule.replace(until=until) if until is not None else rule


def _days_possible(text: str) -> bool:
    """Whether any date satisfies the rule's day filters (ordinals dropped: a superset).

    dateutil finds out that, e.g., February 30th never comes by walking to the year
    9999, seconds to minutes for a DAILY rule; a YEARLY walk over one 400-year
    Gregorian cycle of the same filters sees every calendar there is, and stops at
    the first match (an impossible one costs a YEARLY walk to 9999: a fraction of a
    second, paid once, by the refusal)."""
    parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
    kept = {k: v for k, v in parts.items() if k in _DAY_PARTS}
    if not kept:
        return True
    if "BYDAY" in kept:
        kept["BYDAY"] = ",".join(dict.fromkeys(re.sub(r"^[+-]?\d+", "", d) for d in kept["BYDAY"].split(",")))
    from dateutil.rrule import rrulestr

    probe = rrulestr("FREQ=YEARLY;" + ";".join(f"{k}={v}" for k, v in kept.items()), dtstart=datetime(2000, 1, 1))
    return probe.after(datetime(2000, 1, 1), inc=True) is not None


def next_occurrence(schedule: Schedule, anchor: datetime, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (UTC), or None if the rule has ended.

    ``anchor`` is the rule's first instant (UTC): the start of an ``every`` series and
    an RRULE's DTSTART.
    """
    return next(occurrences(schedule, anchor, after), None)


def occurrences(schedule: Schedule, anchor: datetime, after: datetime) -> Iterator[datetime]:
    """Occurrences strictly after ``after``, in order, each once."""
    tz = zone(schedule.tz or local_zone_name())
    last = after
    skips = 0
    for local in _local_times(schedule, anchor, after, tz):
        instant = resolve_local(local.replace(tzinfo=tz)) if local.tzinfo is None else local
        if instant <= last:
            skips += 1
            if skips > _MAX_SKIPS:
                return
            continue
        skips = 0
        last = instant
        yield instant


def _start_wall(schedule: Schedule, anchor: datetime, tz: tzinfo) -> datetime:
    """The anchor on the wall clock: what the user typed, if it fell in a gap."""
    if schedule.anchor_wall is not None:
        return datetime.fromisoformat(schedule.anchor_wall)
    return anchor.astimezone(tz).replace(tzinfo=None, fold=0)


def _local_times(schedule: Schedule, anchor: datetime, after: datetime, tz: tzinfo) -> Iterator[datetime]:
    """Naive local wall times (or aware UTC instants: the anchor itself, sub-day
    intervals) from the rule."""
    if schedule.every is not None:
        every = schedule.every
        elapsed = (after - anchor).total_seconds()
        k = max(0, math.floor(elapsed / every) + 1) if elapsed >= 0 else 0
        if every % _DAY == 0:
            # Whole days are calendar days on the local clock: 08:00 stays 08:00.
            start_wall = _start_wall(schedule, anchor, tz)
            days = int(every // _DAY)
            k = max(0, k - 1)  # DST can shift a calendar day by an hour either way
            while True:
                # The anchor is the series' first occurrence as stored: the gap's end
                # for a time typed in a gap, the second pass for one typed in it.
                yield anchor if k == 0 else start_wall + timedelta(days=days * k)
                k += 1
        while True:
            yield anchor + timedelta(seconds=every * k)
            k += 1
    after_wall = after.astimezone(tz).replace(tzinfo=None)
    if schedule.cron is not None:
        # Start an hour early: a time in a gap resolves after ``after``'s wall time.
        from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

        try:
            it = croniter(schedule.cron, after_wall - timedelta(hours=1))
            while True:
                yield it.get_next(datetime)
        except (CroniterBadCronError, CroniterBadDateError, CroniterError) as exc:
            raise BadTimeError(f"invalid cron expression {schedule.cron!r}: {exc}") from None
    if schedule.rrule is not None:
        start_wall = _start_wall(schedule, anchor, tz)
        rule = _rrule(schedule.rrule, start_wall, tz)
        for local in rule.xafter(after_wall - timedelta(hours=1), inc=True):
            yield anchor if local == start_wall else local


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)
