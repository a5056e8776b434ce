"""Short human forms of durations, token counts, costs and times.

Every command formats numbers through these functions so that the same
quantity reads the same everywhere (``ls``, ``show``, ``tail`` and the demo).
They take plain numbers, not model objects, and never raise on odd input
(negative durations from clock skew, zero costs).
"""

from __future__ import annotations

import datetime as dt
import re

from agentreel._units import format_cost, format_tokens, iso_utc

__all__ = [
    "NS_PER_S",
    "format_bytes",
    "format_cost",
    "format_duration",
    "format_relative",
    "format_span",
    "format_time",
    "format_timestamp",
    "format_tokens",
    "iso_utc",
    "parse_since",
]

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
_SECONDS_PER = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")


def format_duration(ns: int | None) -> str:
    """``"350ms"``, ``"1.2s"``, ``"2m05s"``, ``"1h02m"``; ``"-"`` when unknown."""
    if ns is None:
        return "-"
    ns = max(ns, 0)
    if ns < 10 * NS_PER_MS:
        # Tool calls that run in-process often take well under a millisecond;
        # a tenth of a millisecond keeps them from all reading "0ms".
        tenths = round(ns / (NS_PER_MS / 10))
        if tenths < 100:
            return f"{tenths / 10:.1f}ms" if tenths else "0ms"
    if ns < NS_PER_S:
        millis = round(ns / NS_PER_MS)
        if millis < 1000:
            return f"{millis}ms"
    if ns < 60 * NS_PER_S:
        # Round once, in tenths, so that 59.96 s becomes "1m00s", never "60.0s".
        tenths = round(ns / (NS_PER_S / 10))
        if tenths < 600:
            return f"{tenths / 10:.1f}s"
    seconds = round(ns / NS_PER_S)
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    minutes = round(ns / (60 * NS_PER_S))
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    hours = round(ns / (3600 * NS_PER_S))
    return f"{hours // 24}d{hours % 24:02d}h"


def format_span(started_at: int, ended_at: int | None, now_ns: int) -> str:
    """The duration of something that ended, or the time so far plus ``"…"``
    for something still running (or whose process died before ending it)."""
    if ended_at is None:
        return format_duration(now_ns - started_at) + "…"
    return format_duration(ended_at - started_at)


def format_bytes(size: int) -> str:
    """``"512 B"``, ``"45.2 KB"``, ``"3.1 MB"`` (powers of 1000, as file managers show)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if round(value, 1) < 1000 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def format_relative(ns: int, now_ns: int) -> str:
    """How long before ``now_ns`` the time ``ns`` was: ``"5m ago"``, ``"3d ago"``."""
    seconds = (now_ns - ns) // NS_PER_S
    if seconds < 10:
        # Includes small negative values: another machine's clock may run ahead.
        return "just now"
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def _local(ns: int, tz: dt.tzinfo | None) -> dt.datetime:
    # Integer arithmetic: a float of seconds since 1970 cannot hold every
    # microsecond, and a millisecond shown one too low looks like a bug.
    moment = _EPOCH + dt.timedelta(microseconds=ns // 1000)
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


def format_timestamp(ns: int, tz: dt.tzinfo | None = None, *, millis: bool = False) -> str:
    """``"2025-01-02 14:03:05"`` in ``tz`` (the local zone when None), with
    ``".123"`` appended when ``millis`` is true."""
    moment = _local(ns, tz)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return text + f".{moment.microsecond // 1000:03d}" if millis else text


def format_time(ns: int, tz: dt.tzinfo | None = None) -> str:
    """``"14:03:05.123"``: a time of day with milliseconds, for live output."""
    moment = _local(ns, tz)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def parse_since(text: str, now_ns: int, tz: dt.tzinfo | None = None) -> int:
    """Nanoseconds since the epoch for ``"7d"``, ``"12h"``, ``"30m"``, ``"45s"``,
    ``"2w"`` (that long before ``now_ns``) or an ISO date or date-time.

    A date or date-time without a zone is read in ``tz`` (the local zone when
    None). Raises ``ValueError`` with a message for anything else.
    """
    match = _SINCE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now_ns - amount * _SECONDS_PER[unit] * NS_PER_S
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration like 7d, 12h, 30m, 45s, 2w "
            "nor an ISO date like 2025-01-31 or 2025-01-31T09:30"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000
