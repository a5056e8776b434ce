"""Short forms of numbers, times and trace text shared by every renderer.

Reports are documents people pass around, so they read the same wherever they
are opened: times are in UTC, numbers in the short forms the command line
uses (``$0.0123``, ``12.3k``). The reports layer sits below the command line
and cannot import its formatters; these follow the same rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

__all__ = [
    "clip",
    "compact_json",
    "day_of",
    "format_cost",
    "format_tokens",
    "iso_utc",
    "one_line",
    "short_id",
    "utc_minute",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Characters of a session id shown in commands and headings (as ``agentreel ls`` does).
ID_PREFIX = 12


def short_id(session_id: str) -> str:
    return session_id[:ID_PREFIX]


def _moment(ns: int) -> dt.datetime:
    # Integer arithmetic: a float of seconds cannot hold every microsecond.
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def iso_utc(ns: int | None) -> str | None:
    """ISO 8601 in UTC with microseconds, as every ``--json`` output writes times."""
    if ns is None:
        return None
    return _moment(ns).isoformat(timespec="microseconds").replace("+00:00", "Z")


def utc_minute(ns: int) -> str:
    """``"2025-01-02 14:03 UTC"``."""
    return _moment(ns).strftime("%Y-%m-%d %H:%M UTC")


def day_of(ns: int) -> str:
    """The UTC date of ``ns``: ``"2025-01-02"``."""
    return _moment(ns).date().isoformat()


def format_cost(usd: float | None) -> str:
    """``"$0.0123"`` below a dollar, ``"$12.34"`` above; ``"-"`` when unknown."""
    if usd is None:
        return "-"
    if usd == 0:
        return "$0"
    if usd < 0.0001:
        return "<$0.0001"
    if usd < 1:
        return f"${usd:.4f}"
    if usd < 1000:
        return f"${usd:,.2f}"
    return f"${usd:,.0f}"


def format_tokens(count: int) -> str:
    """``"950"``, ``"12.3k"``, ``"123k"``, ``"4.5M"``."""
    if count < 1000:
        return str(count)
    value = float(count)
    for unit in ("k", "M", "B"):
        value /= 1000
        if round(value, 1) < 100:
            return f"{value:.1f}{unit}"
        if round(value) < 1000 or unit == "B":
            return f"{round(value)}{unit}"
    return str(count)  # pragma: no cover - the loop always returns


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, made one space."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def compact_json(value: Any) -> str:
    """``value`` as JSON on one line, keys sorted, for showing arguments and evidence."""
    return orjson.dumps(
        value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS, default=repr
    ).decode()
