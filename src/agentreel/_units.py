"""Short forms of numbers and times, and the JSON shapes of usage and errors.

The command line and the reports print the same figures the same way; they
live in different layers (reports sit below the command line), so the shared
forms live here, below both.
"""

from __future__ import annotations

import datetime as dt

from agentreel.model import ErrorInfo, TokenUsage

__all__ = [
    "ID_PREFIX",
    "error_json",
    "format_cost",
    "format_tokens",
    "iso_utc",
    "short_id",
    "tokens_json",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Characters of a session id that listings show; any unique prefix is accepted back.
ID_PREFIX = 12


def short_id(session_id: str) -> str:
    return session_id[:ID_PREFIX]


def format_tokens(count: int) -> str:
    """``"950"``, ``"12.3k"``, ``"123k"``, ``"4.5M"``."""
    if count < 1000:
        return str(count)
    for unit, size in (("k", 1_000), ("M", 1_000_000), ("B", 1_000_000_000)):
        value = count / size
        if round(value, 1) < 100:
            return f"{value:.1f}{unit}"
        if round(value) < 1000 or unit == "B":
            return f"{round(value)}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def format_cost(usd: float | None) -> str:
    """``"$0.0123"`` below a dollar, ``"$12.34"`` above; ``"-"`` when unknown."""
    if usd is None:
        return "-"
    if usd == 0:
        return "$0"
    if usd < 0.0001:
        # Cheap models cost fractions of a hundredth of a cent per call; show
        # that they cost something rather than a misleading "$0.0000".
        return "<$0.0001"
    if usd < 1:
        return f"${usd:.4f}"
    if usd < 1000:
        return f"${usd:,.2f}"
    return f"${usd:,.0f}"


def iso_utc(ns: int | None) -> str | None:
    """ISO 8601 in UTC with microseconds, as every ``--json`` output writes times."""
    if ns is None:
        return None
    # Integer arithmetic: a float of seconds cannot hold every microsecond.
    moment = _EPOCH + dt.timedelta(microseconds=ns // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def tokens_json(usage: TokenUsage) -> dict[str, int]:
    return {
        "input": usage.input,
        "output": usage.output,
        "cached": usage.cached,
        "reasoning": usage.reasoning,
        "total": usage.total,
    }


def error_json(error: ErrorInfo | None) -> dict[str, str] | None:
    if error is None:
        return None
    return {"type": error.type, "message": error.message, "traceback": error.traceback}
