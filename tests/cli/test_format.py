"""The short forms every command prints numbers and times in."""

from __future__ import annotations

import datetime as dt

import pytest

from agentreel.cli._format import (
    format_bytes,
    format_cost,
    format_duration,
    format_relative,
    format_span,
    format_time,
    format_timestamp,
    format_tokens,
    iso_utc,
    parse_since,
)

MS = 1_000_000
S = 1_000_000_000
#: 2025-01-02 14:03:05.123456789 UTC
T = 1_735_826_585_123_456_789


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (None, "-"),
        (0, "0ms"),
        (-5 * MS, "0ms"),
        (400_000, "0.4ms"),
        (3 * MS, "3.0ms"),
        (40_000, "0ms"),
        (9_960_000, "10ms"),
        (350 * MS, "350ms"),
        (999_600_000, "1.0s"),
        (1_234 * MS, "1.2s"),
        (12_345 * MS, "12.3s"),
        (59_960 * MS, "1m00s"),
        (125 * S, "2m05s"),
        (3599_600 * MS, "1h00m"),
        (3720 * S, "1h02m"),
        (26 * 3600 * S, "1d02h"),
    ],
)
def test_format_duration(ns: int | None, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1.0k"),
        (12_345, "12.3k"),
        (99_949, "99.9k"),
        (99_950, "100k"),
        (123_456, "123k"),
        (999_600, "1.0M"),
        (4_560_000, "4.6M"),
        (2_000_000_000, "2.0B"),
    ],
)
def test_format_tokens(count: int, text: str) -> None:
    assert format_tokens(count) == text


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (None, "-"),
        (0.0, "$0"),
        (0.00004, "<$0.0001"),
        (0.0123, "$0.0123"),
        (0.99994, "$0.9999"),
        (1.5, "$1.50"),
        (1234.5, "$1,234"),
        (999.991, "$999.99"),
    ],
)
def test_format_cost(usd: float | None, text: str) -> None:
    assert format_cost(usd) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (999, "999 B"), (45_200, "45.2 KB"), (999_960, "1.0 MB"), (3_100_000, "3.1 MB")],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("ago_s", "text"),
    [
        (-30, "just now"),
        (9, "just now"),
        (45, "45s ago"),
        (5 * 60 + 59, "5m ago"),
        (3 * 3600, "3h ago"),
        (50 * 3600, "2d ago"),
    ],
)
def test_format_relative(ago_s: int, text: str) -> None:
    assert format_relative(T - ago_s * S, T) == text


def test_times_are_shown_in_the_zone_asked_for() -> None:
    assert format_timestamp(T, dt.UTC) == "2025-01-02 14:03:05"
    assert format_timestamp(T, dt.UTC, millis=True) == "2025-01-02 14:03:05.123"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_timestamp(T, plus_two) == "2025-01-02 16:03:05"
    assert format_time(T, plus_two) == "16:03:05.123"


def test_milliseconds_are_truncated_exactly_not_through_floats() -> None:
    # As a float of seconds this time reads .122999...; integer arithmetic must not.
    exact = 1_735_826_585 * S + 123 * MS
    assert format_time(exact, dt.UTC) == "14:03:05.123"


def test_iso_utc() -> None:
    assert iso_utc(T) == "2025-01-02T14:03:05.123456Z"
    assert iso_utc(None) is None


@pytest.mark.parametrize(
    ("text", "ago_s"),
    [("7d", 7 * 86400), ("12h", 12 * 3600), ("30m", 1800), ("45s", 45), ("2w", 14 * 86400)],
)
def test_parse_since_durations(text: str, ago_s: int) -> None:
    assert parse_since(text, T) == T - ago_s * S


def test_parse_since_dates_read_in_the_given_zone() -> None:
    midnight_utc = 1_735_776_000 * S  # 2025-01-02T00:00:00Z
    assert parse_since("2025-01-02", T, dt.UTC) == midnight_utc
    assert parse_since("2025-01-02T09:30", T, dt.UTC) == midnight_utc + (9 * 3600 + 1800) * S
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert parse_since("2025-01-02", T, plus_two) == midnight_utc - 2 * 3600 * S
    # An explicit offset wins over the zone.
    assert parse_since("2025-01-02T00:00:00+00:00", T, plus_two) == midnight_utc


@pytest.mark.parametrize("text", ["yesterday", "7 days", "-3d", "2025-13-01", ""])
def test_parse_since_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since(text, T)


def test_format_span_marks_what_still_runs() -> None:
    assert format_span(T, T + 1_234 * MS, T + 99 * S) == "1.2s"
    assert format_span(T, None, T + 65 * S) == "1m05s…"
