from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine import timeparse
from engine.errors import BadTimeError
from engine.timeparse import format_duration, parse_duration, parse_time, resolve_local, zone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 1, 1, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("90s", 90), ("1h30m", 5400), ("2d", 172800), ("1m30s", 90), (" 1.5h ", 5400)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "h", "1h 30m", "-5s", "5s5", "ms"])
def test_malformed_durations(text: str) -> None:
    with pytest.raises(BadTimeError, match="malformed duration"):
        parse_duration(text)


def test_format_duration_inverts_parse() -> None:
    for text in ("1h30m", "1m30s", "2d", "500ms"):
        assert format_duration(parse_duration(text)) == text


def test_clock_time_is_the_next_local_occurrence() -> None:
    assert parse_time("16:30", NOW, BERLIN) == datetime(2026, 1, 1, 15, 30, tzinfo=UTC)
    assert parse_time("15:59:59", NOW, BERLIN) == datetime(2026, 1, 2, 14, 59, 59, tzinfo=UTC)


def test_iso_with_and_without_offset() -> None:
    assert parse_time("2026-06-01T12:00:00.25", NOW, BERLIN) == datetime(2026, 6, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert parse_time("2026-06-01T12:00:00+00:00", NOW, BERLIN) == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert parse_time("2026-06-01T12:00Z", NOW, BERLIN) == datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("text", ["25:00", "12:60", "tomorrow", "2026-13-01T00:00", "12h"])
def test_malformed_times(text: str) -> None:
    with pytest.raises(BadTimeError, match="malformed time"):
        parse_time(text, NOW, BERLIN)


@pytest.mark.parametrize(
    ("tz", "wall", "expected_utc"),
    [
        # spring forward: 02:30 does not exist; the first valid instant after the gap
        (BERLIN, datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 3, 8, 2, 30), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        # fall back: 01:30/02:30 occurs twice; the first
        (BERLIN, datetime(2026, 10, 25, 2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (NEW_YORK, datetime(2026, 11, 1, 1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # an ordinary time
        (BERLIN, datetime(2026, 7, 1, 8, 0), datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),
    ],
)
def test_dst_gaps_and_overlaps_have_one_outcome(tz: ZoneInfo, wall: datetime, expected_utc: datetime) -> None:
    assert resolve_local(wall.replace(tzinfo=tz)) == expected_utc


def test_unknown_zone() -> None:
    with pytest.raises(BadTimeError, match="unknown time zone 'Mars/Base'"):
        zone("Mars/Base")


@pytest.mark.parametrize(("system_zone", "expected"), [(b"Europe/Berlin", "Europe/Berlin"), (b"Not/AZone", "UTC")])
def test_on_windows_the_local_zone_is_the_systems_as_qt_maps_it(
    monkeypatch: pytest.MonkeyPatch, system_zone: bytes, expected: str
) -> None:
    """Windows has no /etc/localtime: without asking the system, every local time would
    be read as UTC. The seam is Qt's system zone id (its Windows-to-IANA table is Qt's,
    not testable here); an id zoneinfo does not know falls back to UTC."""
    from PySide6.QtCore import QByteArray, QTimeZone

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(QTimeZone, "systemTimeZoneId", staticmethod(lambda: QByteArray(system_zone)))
    assert timeparse.local_zone_name() == expected
