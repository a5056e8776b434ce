"""Times in query strings: ``7d``, ``12h``, ``30m`` ago, or an ISO 8601 date or moment."""

from __future__ import annotations

import datetime as dt
import re

_SECONDS_PER = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGO = re.compile(r"^\s*(\d{1,7})\s*([smhdw])\s*$")
_NS_PER_S = 1_000_000_000


def parse_when(text: str, now_ns: int) -> int:
    """Nanoseconds since the epoch; a time without a zone is UTC.

    Raises ``ValueError`` with a message fit for a 400 answer.
    """
    found = _AGO.match(text)
    if found:
        return now_ns - int(found.group(1)) * _SECONDS_PER[found.group(2)] * _NS_PER_S
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"cannot read {text!r} as a time: use 7d, 12h, 30m, 45s, 2w (ago) or an ISO 8601 date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000
