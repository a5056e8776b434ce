"""A read-only price table that prices token usage by model name."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from agentreel.errors import ConfigurationError
from agentreel.model import TokenUsage

from ._match import normalize, resolve
from ._price import Price, merge_price

# Model strings come from the host program; an agent that invents names must
# not grow the lookup cache without bound. Past this size it starts over.
_CACHE_LIMIT = 4096


class PriceTable(Mapping[str, Price]):
    """Model name -> :class:`Price`, read-only.

    As a mapping it holds exact (lower-cased) model names; :meth:`lookup`
    and :meth:`cost` also accept the strings APIs really report (routing
    prefixes, dated snapshots, variants), following the rules documented in
    ``docs/pricing.md``. A table never changes; :meth:`with_overrides`
    returns a new one.
    """

    __slots__ = ("_cache", "_prices", "checked")

    def __init__(
        self, prices: Mapping[str, Price], *, checked: datetime.date | None = None
    ) -> None:
        table: dict[str, Price] = {}
        for model, price in prices.items():
            key = _key(model)
            if not isinstance(price, Price):
                raise ConfigurationError(
                    f"price for {model!r} must be an agentreel.pricing.Price, got "
                    f"{type(price).__name__}; use PriceTable.with_overrides() for plain mappings"
                )
            if key in table and table[key] != price:
                raise ConfigurationError(
                    f"the price table names {key!r} twice (in different letter case) with "
                    "different prices; keep one of them"
                )
            table[key] = price
        self._prices: Mapping[str, Price] = MappingProxyType(table)
        self._cache: dict[str, Price | None] = {}
        #: The day these prices were last checked against the vendors, if known.
        self.checked = checked

    # -- the mapping: exact names ---------------------------------------------

    def __getitem__(self, model: str) -> Price:
        return self._prices[normalize(model)]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._prices))

    def __len__(self) -> int:
        return len(self._prices)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and normalize(model) in self._prices

    def __repr__(self) -> str:
        checked = self.checked.isoformat() if self.checked else "unknown"
        return f"<PriceTable of {len(self)} models, checked {checked}>"

    # -- pricing: real model strings ------------------------------------------

    def lookup(self, model: str) -> Price | None:
        """The price of ``model`` as an API reports it, or ``None`` if unknown."""
        # Typed as str, but the recorder hands over whatever the host program
        # set as the model; anything else is simply not a known model.
        name: object = model
        if not isinstance(name, str):
            return None
        try:
            return self._cache[model]
        except KeyError:
            pass
        key = resolve(model, self._prices)
        price = None if key is None else self._prices[key]
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[model] = price
        return price

    def cost(self, model: str | None, usage: TokenUsage) -> float | None:
        """USD for ``usage`` on ``model``; ``None`` when the model is unknown or ``None``."""
        if model is None:
            return None
        price = self.lookup(model)
        return None if price is None else price.cost(usage)

    def with_overrides(self, overrides: Mapping[str, Price | Mapping[str, float]]) -> PriceTable:
        """A new table with ``overrides`` applied over this one.

        A :class:`Price` replaces the model's entry (or adds the model). A plain
        mapping is laid over the model's current entry, so ``{"input": 2.0}``
        changes one rate and keeps the rest; for a model the table does not
        have, the mapping must give ``input`` and ``output``. Keys are matched
        exactly (case aside): write the bare model name to override it for
        every routing prefix and snapshot.
        """
        if not isinstance(overrides, Mapping):
            raise ConfigurationError(
                "prices must be a mapping of model name -> Price or "
                f"{{'input': ..., 'output': ...}}, got {type(overrides).__name__}"
            )
        merged = dict(self._prices)
        for model, override in overrides.items():
            key = _key(model, what="price override")
            merged[key] = _apply(merged.get(key), override, model)
        return PriceTable(merged, checked=self.checked)


def _apply(base: Price | None, override: Any, model: str) -> Price:
    if isinstance(override, Price):
        return override
    return merge_price(base, override, what=f"price override for {model!r}")


def _key(model: object, *, what: str = "price table") -> str:
    if not isinstance(model, str) or not normalize(model):
        raise ConfigurationError(
            f"{what}: model names must be non-empty strings such as 'gpt-4o', got {model!r}"
        )
    return normalize(model)
