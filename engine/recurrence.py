"""Repeat rules: the next occurrence of ``every``, cron (croniter) and RRULE (dateutil).

Rules are evaluated on the user's local wall clock (zoneinfo), never by adding fixed
spans to UTC, so "every day at 08:00" stays at 08:00 across DST. Each local time is
turned into an instant by :func:`engine.timeparse.resolve_local`: a time in a
spring-forward gap fires once at the first valid instant after the gap; a time in a
fall-back overlap fires once, at its first occurrence.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter
from dateutil.rrule import rrulestr

from engine.errors import BadTimeError
from engine.model import Schedule
from engine.timeparse import local_zone_name, resolve_local, zone

_DAY = 86400.0
#: How many local times a rule may yield that all fall at or before ``after``
#: (a DST gap maps several onto one instant) before we call the rule exhausted.
_MAX_SKIPS = 10_000


def validate(schedule: Schedule) -> None:
    """Raise :class:`BadTimeError` for a rule that can never be evaluated."""
    zone(schedule.tz or local_zone_name())
    if schedule.cron is not None:
        if not croniter.is_valid(schedule.cron):
            raise BadTimeError(f"invalid cron expression {schedule.cron!r}: five fields, e.g. '0 8 * * 1-5'")
    if schedule.rrule is not None:
        try:
            rrulestr(schedule.rrule, dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            raise BadTimeError(f"invalid RRULE {schedule.rrule!r}: {exc}") from None


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


def _local_times(schedule: Schedule, anchor: datetime, after: datetime, tz: object) -> Iterator[datetime]:
    """Naive local wall times (or aware UTC instants for sub-day intervals) from the rule."""
    if schedule.every is not None:
        every = schedule.every
        elapsed = (after - anchor).total_seconds()
        k = max(0, math.floor(elapsed / every) + 1) if elapsed >= 0 else 0
        if every % _DAY == 0:
            # Whole days are calendar days on the local clock: 08:00 stays 08:00.
            start_wall = anchor.astimezone(tz).replace(tzinfo=None)  # type: ignore[arg-type]
            days = int(every // _DAY)
            k = max(0, k - 1)  # DST can shift a calendar day by an hour either way
            while True:
                yield start_wall + timedelta(days=days * k)
                k += 1
        while True:
            yield anchor + timedelta(seconds=every * k)
            k += 1
    after_wall = after.astimezone(tz).replace(tzinfo=None)  # type: ignore[arg-type]
    if schedule.cron is not None:
        # Start an hour early: a time in a gap resolves after ``after``'s wall time.
        try:
            it = croniter(schedule.cron, after_wall - timedelta(hours=1))
            while True:
                yield it.get_next(datetime)
        except (CroniterBadCronError, CroniterBadDateError, CroniterError) as exc:
            raise BadTimeError(f"invalid cron expression {schedule.cron!r}: {exc}") from None
    if schedule.rrule is not None:
        start_wall = anchor.astimezone(tz).replace(tzinfo=None)  # type: ignore[arg-type]
        rule = rrulestr(schedule.rrule, dtstart=start_wall)
        yield from rule.xafter(after_wall - timedelta(hours=1), inc=True)


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)
