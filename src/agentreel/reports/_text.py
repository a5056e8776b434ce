"""Short forms of numbers, times and trace text shared by every renderer.

Reports are documents people pass around, so they read the same wherever they
are opened: times are in UTC, numbers in the short forms the command line
uses (``$0.0123``, ``12.3k``), from ``agentreel._units``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from agentreel._units import format_cost, format_tokens, iso_utc, short_id

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


def _moment(ns: int) -> dt.datetime:
    # Integer arithmetic: a float of seconds cannot hold every microsecond.
    return _EPOCH + dt.timedelta(microseconds=ns // 1000)


def utc_minute(ns: int) -> str:
    """``"2025-01-02 14:03 UTC"``."""
    return _moment(ns).strftime("%Y-%m-%d %H:%M UTC")


def day_of(ns: int) -> str:
    """The UTC date of ``ns``: ``"2025-01-02"``."""
    return _moment(ns).date().isoformat()


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
