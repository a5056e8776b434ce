"""The price table agentreel ships, read from ``prices.json`` in this package.

The data lives in JSON so that updating a price is a one-line data change,
reviewable without reading code. Each entry also records how it was checked
(``basis``: vendor, secondary or recalled) and, for recalled figures, the
date the figure is from; ``docs/pricing.md`` lists those for users.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from agentreel.errors import ConfigurationError

from ._price import Price, merge_price
from ._table import PriceTable

BASES = ("vendor", "secondary", "recalled")
_META = ("basis", "as_of", "note")


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A bundled price and how far it can be trusted."""

    model: str
    price: Price
    basis: str
    as_of: datetime.date
    note: str = ""
    alias_of: str = ""


def load(text: str) -> tuple[datetime.date, dict[str, Entry], dict[str, tuple[str, ...]]]:
    """Parse the bundled JSON: (check date, entries by model, sources by provider)."""
    data = json.loads(text)
    checked = datetime.date.fromisoformat(data["checked"])
    entries: dict[str, Entry] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for provider, block in data["providers"].items():
        sources[provider] = tuple(block["sources"])
        for model, fields in block["models"].items():
            entries[model] = _entry(model, provider, fields, checked)
        for alias, target in block["aliases"].items():
            entries[alias] = _alias(alias, entries[target])
    return checked, entries, sources


def _entry(model: str, provider: str, fields: dict[str, Any], checked: datetime.date) -> Entry:
    rates = {key: value for key, value in fields.items() if key not in _META}
    price = merge_price(None, {**rates, "provider": provider}, what=f"bundled price of {model!r}")
    basis = fields.get("basis")
    if basis not in BASES:
        raise ConfigurationError(f"bundled price of {model!r}: basis must be one of {BASES}")
    # Vendor and secondary figures were read on the check date itself.
    as_of = datetime.date.fromisoformat(fields["as_of"]) if basis == "recalled" else checked
    return Entry(model=model, price=price, basis=basis, as_of=as_of, note=fields.get("note", ""))


def _alias(alias: str, target: Entry) -> Entry:
    return Entry(
        model=alias,
        price=target.price,
        basis=target.basis,
        as_of=target.as_of,
        note=target.note,
        alias_of=target.model,
    )


PRICES_CHECKED, ENTRIES, SOURCES = load(
    resources.files(__package__).joinpath("prices.json").read_text(encoding="utf-8")
)

DEFAULT_PRICES = PriceTable(
    {model: entry.price for model, entry in ENTRIES.items()}, checked=PRICES_CHECKED
)
