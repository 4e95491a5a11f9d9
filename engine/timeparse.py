"""Reading the user's durations, times and time zone (CONTRACT.md's TIME and DURATION)."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import BadTimeError
from engine.model import MAX_SECONDS

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_duration(text: str) -> float:
    """``500ms``, ``90s``, ``1h30m`` -> seconds. Every part needs a unit."""
    stripped = text.strip().lower()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(stripped):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not stripped or pos != len(stripped):
        raise BadTimeError(f"malformed duration {text!r}: use a number with a unit (ms s m h d), e.g. 90s or 1h30m")
    if total > MAX_SECONDS:
        raise BadTimeError(f"duration {text!r} is too long: at most 100 years (36525d)")
    return total


def format_duration(seconds: float) -> str:
    """The inverse of :func:`parse_duration`, for messages: 5400 -> ``1h30m``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    rest = round(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadTimeError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin") from None


def local_zone_name() -> str:
    """The user's IANA zone: $TZ, else /etc/localtime's target (Windows: the system
    zone as Qt maps it to IANA), else UTC."""
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            ZoneInfo(env)
            return env
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if sys.platform == "win32":
        return _windows_zone_name()
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            ZoneInfo(name)
            return name
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return "UTC"


def _windows_zone_name() -> str:
    """Windows has no /etc/localtime, and its own zone names ("W. Europe Standard Time")
    are not IANA's: Qt maps them (the CLDR table), as tzlocal would with a dependency."""
    from PySide6.QtCore import QTimeZone

    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def local_zone() -> tzinfo:
    return ZoneInfo(local_zone_name())


@dataclass(frozen=True)
class ParsedTime:
    """A TIME as an instant, and the wall time the user typed when it was local."""

    instant: datetime  # aware, UTC
    wall: datetime | None = None  # naive local time in ``wall_zone``; None: an offset was given
    wall_zone: tzinfo = UTC

    @property
    def wall_moved(self) -> bool:
        """The typed wall time does not exist (a DST gap): the instant reads differently.

        A repeat rule must then keep the typed time for its later occurrences."""
        return self.wall is not None and self.instant.astimezone(self.wall_zone).replace(tzinfo=None) != self.wall

    @property
    def anchor_wall(self) -> str | None:
        """:attr:`engine.model.Schedule.anchor_wall` for a rule anchored here: the typed
        wall time when it fell in a gap, else None (the instant's reading is the same)."""
        return self.wall.isoformat() if self.wall is not None and self.wall_moved else None


def parse_time(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """A TIME from the command line as an aware UTC instant (see :func:`parse_local_time`)."""
    return parse_local_time(text, now, tz).instant


def parse_local_time(text: str, now: datetime, tz: tzinfo | None = None) -> ParsedTime:
    """A TIME from the command line: the instant, and the local wall time typed.

    ISO 8601 with an offset is taken as is; without one it is local time in ``tz``.
    ``HH:MM[:SS]`` is the next such local time after ``now``: in a fall-back overlap
    that can be its second occurrence (02:30 typed at 02:20 on the second pass). A
    TIME more than 100 years away from ``now`` is refused.
    """
    tz = tz or local_zone()
    stripped = text.strip()
    clock = _CLOCK_TIME.match(stripped)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        try:
            wanted = time(hour, minute, second)
        except ValueError:
            raise BadTimeError(f"malformed time {text!r}: hours 0-23, minutes and seconds 0-59") from None
        local_now = now.astimezone(tz)
        today = datetime.combine(local_now.date(), wanted, tzinfo=tz)
        # Compared as instants: aware datetimes in one zone compare by wall time and
        # ignore ``fold``, which put 02:30 CEST "after" 02:20 CET.
        for candidate in (today, today.replace(fold=1)):
            instant = resolve_local(candidate)
            if instant > now and (candidate.fold == 0 or _in_overlap(candidate)):
                return ParsedTime(instant, today.replace(tzinfo=None), tz)
        tomorrow = datetime.combine(local_now.date() + timedelta(days=1), wanted, tzinfo=tz)
        return ParsedTime(resolve_local(tomorrow), tomorrow.replace(tzinfo=None), tz)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise BadTimeError(
            f"malformed time {text!r}: use ISO 8601 (2026-12-01T14:30, optionally with an offset) or HH:MM"
        ) from None
    try:
        if parsed.tzinfo is None:
            result = ParsedTime(resolve_local(parsed.replace(tzinfo=tz)), parsed, tz)
        else:
            result = ParsedTime(parsed.astimezone(UTC))
        if abs((result.instant - now).total_seconds()) > MAX_SECONDS:
            raise OverflowError
    except OverflowError:
        raise BadTimeError(f"time {text!r} is out of range: at most 100 years from now") from None
    return result


def _in_overlap(local: datetime) -> bool:
    """The wall time occurs twice (a fall-back overlap): both readings exist and differ.

    In a gap the two readings differ too, but neither reads back as the wall time."""
    first, second = local.replace(fold=0), local.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return False
    wall = local.replace(tzinfo=None, fold=0)
    return first.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None, fold=0) == wall


def resolve_local(local: datetime) -> datetime:
    """A local wall time as a UTC instant, with DST's gaps and overlaps decided.

    A time in a spring-forward gap does not exist: it becomes the first valid instant
    after the gap. A time in a fall-back overlap occurs twice: the first is taken,
    unless ``local.fold`` is 1 (the second asked for by name).
    """
    if local.fold == 1 and _in_overlap(local):
        return local.astimezone(UTC)
    first = local.replace(fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(local.tzinfo).replace(tzinfo=None) != local.replace(tzinfo=None):
        # In a gap: Python maps the missing wall time with the offset from before the
        # gap; the first valid instant after it is the moment the gap ends.
        return _gap_end(first)
    return as_utc


def _gap_end(local: datetime) -> datetime:
    before = local.replace(fold=0).astimezone(UTC)
    after = local.replace(fold=1).astimezone(UTC)
    lo, hi = min(before, after), max(before, after)
    # The transition lies between the two readings; find it to the second.
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(local.tzinfo).utcoffset() == lo.astimezone(local.tzinfo).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi

