"""One model's prices, how they are validated, and what a call costs at them."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agentreel.errors import ConfigurationError
from agentreel.model import TokenUsage

#: Field names a price mapping may use, in the order messages list them.
FIELDS = ("input", "output", "cached_input", "reasoning", "provider")
_REQUIRED = ("input", "output")
_OPTIONAL_RATES = ("cached_input", "reasoning")

_PER = 1_000_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """List prices of one model, in USD per 1M tokens.

    ``cached_input`` prices the cached part of the input and ``reasoning`` the
    reasoning part of the output; ``None`` means "the same as input" and "the
    same as output" respectively, which is how a vendor without a separate
    rate bills those tokens.
    """

    input: float
    output: float
    cached_input: float | None = None
    reasoning: float | None = None
    provider: str = ""

    def __post_init__(self) -> None:
        for name in _REQUIRED:
            _check_rate("Price", name, getattr(self, name))
        for name in _OPTIONAL_RATES:
            value = getattr(self, name)
            if value is not None:
                _check_rate("Price", name, value)
        if not isinstance(self.provider, str):
            raise ConfigurationError(
                f"Price: 'provider' must be a string such as 'openai', "
                f"got {type(self.provider).__name__}"
            )

    def cost(self, usage: TokenUsage) -> float:
        """USD for ``usage`` at these prices; never raises, never negative.

        Counts a vendor reported inconsistently (more cached tokens than input,
        negative numbers) are clamped rather than trusted, because this runs on
        the recording path where a bad count must not become a bad bill.
        """
        # Conditional expressions, not max()/min(): on Python 3.11 each builtin
        # call costs more than all the arithmetic here, and this runs for every
        # model call ingested. Each line gives what max(x, 0) and min(x, cap) do.
        tokens_in = usage.input
        tokens_in = 0 if tokens_in < 0 else tokens_in
        tokens_out = usage.output
        tokens_out = 0 if tokens_out < 0 else tokens_out
        cached = usage.cached
        cached = 0 if cached < 0 else cached
        cached = tokens_in if tokens_in < cached else cached
        reasoning = usage.reasoning
        reasoning = 0 if reasoning < 0 else reasoning
        reasoning = tokens_out if tokens_out < reasoning else reasoning
        rate_in = self.input
        rate_out = self.output
        cached_rate = rate_in if self.cached_input is None else self.cached_input
        reasoning_rate = rate_out if self.reasoning is None else self.reasoning
        return (
            (tokens_in - cached) * rate_in
            + cached * cached_rate
            + (tokens_out - reasoning) * rate_out
            + reasoning * reasoning_rate
        ) / _PER


def price_from_mapping(d: Mapping[str, float | str]) -> Price:
    """Build a :class:`Price` from a plain mapping such as a config file gives.

    ``input`` and ``output`` are required; ``cached_input``, ``reasoning`` and
    ``provider`` are optional. Anything else raises
    :class:`~agentreel.errors.ConfigurationError` saying what to fix.
    """
    return merge_price(None, d, what="price")


def merge_price(base: Price | None, d: Mapping[str, Any], *, what: str) -> Price:
    """``d`` laid over ``base`` (or over nothing); ``what`` names it in errors."""
    if not isinstance(d, Mapping):
        raise ConfigurationError(
            f"{what} must be a Price or a mapping like {{'input': 2.5, 'output': 10.0}}, "
            f"got {type(d).__name__}"
        )
    for key in d:
        if key not in FIELDS:
            raise ConfigurationError(f"{what}: unknown field {key!r}{_did_you_mean(key)}")
    fields: dict[str, Any] = {}
    if base is not None:
        fields = {name: getattr(base, name) for name in FIELDS}
    for name in _REQUIRED:
        if name in d:
            fields[name] = _rate(what, name, d[name])
        elif name not in fields:
            raise ConfigurationError(
                f"{what}: missing {name!r}; a model the table does not know needs both "
                "'input' and 'output' (USD per 1M tokens)"
            )
    for name in _OPTIONAL_RATES:
        if name in d:
            value = d[name]
            fields[name] = None if value is None else _rate(what, name, value)
    if "provider" in d:
        provider = d["provider"]
        if not isinstance(provider, str):
            raise ConfigurationError(
                f"{what}: 'provider' must be a string such as 'openai', "
                f"got {type(provider).__name__}"
            )
        fields["provider"] = provider
    return Price(**fields)


def _rate(what: str, name: str, value: object) -> float:
    _check_rate(what, name, value)
    return float(value)  # type: ignore[arg-type]  # _check_rate proved it is a real number


def _check_rate(what: str, name: str, value: object) -> None:
    # bool is an int subclass; True as a price is a typo, not one dollar.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"{what}: {name!r} must be a number of USD per 1M tokens, "
            f"got {value!r} ({type(value).__name__})"
        )
    if not math.isfinite(value):
        raise ConfigurationError(f"{what}: {name!r} must be a finite number, got {value!r}")
    if value < 0:
        raise ConfigurationError(f"{what}: {name!r} must not be negative, got {value!r}")


def _did_you_mean(key: object) -> str:
    hint = ""
    if isinstance(key, str):
        close = difflib.get_close_matches(key, FIELDS, n=1)
        if close:
            hint = f" (did you mean {close[0]!r}?)"
    return f"{hint}; the fields are {', '.join(FIELDS)}"
