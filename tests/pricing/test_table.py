"""What the bundled table holds, how it behaves as a mapping, and that the docs match it."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

import agentreel.pricing
from agentreel.pricing import DEFAULT_PRICES, PRICES_CHECKED, Price, PriceTable
from agentreel.pricing._defaults import ENTRIES, SOURCES

VENDORS = {"openai", "anthropic", "google", "mistral", "deepseek"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pricing.md"


@pytest.mark.parametrize("model", sorted(ENTRIES))
def test_every_entry_has_positive_prices_and_a_vendor(model: str) -> None:
    price = DEFAULT_PRICES[model]
    assert price.provider in VENDORS
    assert price.input > 0
    assert price.output > 0
    for rate in (price.cached_input, price.reasoning):
        assert rate is None or rate > 0


@pytest.mark.parametrize("model", sorted(ENTRIES))
def test_a_cache_discount_is_never_a_surcharge(model: str) -> None:
    price = DEFAULT_PRICES[model]
    assert price.cached_input is None or price.cached_input < price.input


def test_every_vendor_has_models_and_sources() -> None:
    providers = {DEFAULT_PRICES[model].provider for model in DEFAULT_PRICES}
    assert providers == VENDORS
    assert set(SOURCES) == VENDORS
    assert all(SOURCES[vendor] for vendor in VENDORS)


def test_the_table_covers_at_least_forty_models() -> None:
    distinct = [entry for entry in ENTRIES.values() if not entry.alias_of]
    assert len(distinct) >= 40
    assert len(DEFAULT_PRICES) == len(ENTRIES)


def test_the_check_date_is_on_the_table() -> None:
    assert isinstance(PRICES_CHECKED, datetime.date)
    assert DEFAULT_PRICES.checked == PRICES_CHECKED
    assert PRICES_CHECKED.isoformat() in repr(DEFAULT_PRICES)


def test_only_recalled_figures_are_older_than_the_check() -> None:
    for entry in ENTRIES.values():
        if entry.basis == "recalled":
            assert entry.as_of < PRICES_CHECKED, entry.model
        else:
            assert entry.as_of == PRICES_CHECKED, entry.model


def test_the_docs_list_every_model_with_its_basis() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for entry in ENTRIES.values():
        row = re.search(rf"^\| `{re.escape(entry.model)}` \|[^\n]*", text, re.MULTILINE)
        assert row is not None, f"docs/pricing.md has no table row for {entry.model}"
        if entry.alias_of:
            assert f"`{entry.alias_of}`" in row.group(0)
            continue
        cells = [cell.strip() for cell in row.group(0).split("|")[1:-1]]
        price = entry.price
        assert float(cells[1]) == price.input, entry.model
        assert (
            cells[2] == "—" if price.cached_input is None else float(cells[2]) == price.cached_input
        )
        assert float(cells[3]) == price.output, entry.model
        assert cells[4].startswith(entry.basis), entry.model
        if entry.basis == "recalled":
            assert entry.as_of.isoformat() in cells[4], entry.model


def test_the_docs_state_the_check_date() -> None:
    assert PRICES_CHECKED.isoformat() in DOCS.read_text(encoding="utf-8")


def test_the_table_is_a_read_only_mapping_of_exact_names() -> None:
    table = PriceTable(
        {"b-model": Price(input=1.0, output=1.0), "A-Model": Price(input=2.0, output=2.0)}
    )
    assert list(table) == ["a-model", "b-model"]
    assert len(table) == 2
    assert "A-MODEL" in table
    assert "a-model-2024-01-01" not in table  # membership is exact; lookup() is not
    assert table["a-model"] == Price(input=2.0, output=2.0)
    with pytest.raises(KeyError):
        table["a-model-2024-01-01"]
    with pytest.raises(TypeError):
        table["c-model"] = Price(input=1.0, output=1.0)  # type: ignore[index]


def test_the_public_names_are_exported_in_sorted_order() -> None:
    names = agentreel.pricing.__all__
    assert names == sorted(names)
    assert set(names) == {
        "DEFAULT_PRICES",
        "PRICES_CHECKED",
        "Price",
        "PriceTable",
        "price_from_mapping",
    }
    for name in names:
        assert getattr(agentreel.pricing, name) is not None
