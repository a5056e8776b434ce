"""Overriding and extending the table, and the errors bad prices raise."""

from __future__ import annotations

import math
from typing import Any

import pytest

from agentreel.errors import ConfigurationError
from agentreel.model import TokenUsage
from agentreel.pricing import DEFAULT_PRICES, Price, PriceTable, price_from_mapping


def test_a_price_object_replaces_one_model_and_leaves_the_rest() -> None:
    mine = Price(input=1.0, output=2.0, provider="openai")
    table = DEFAULT_PRICES.with_overrides({"gpt-4o": mine})
    assert table.lookup("openai/gpt-4o-2024-08-06") is mine
    assert table["gpt-4o-mini"] == DEFAULT_PRICES["gpt-4o-mini"]
    assert len(table) == len(DEFAULT_PRICES)
    # The default table itself never changes.
    assert DEFAULT_PRICES.lookup("gpt-4o") != mine


def test_a_mapping_changes_only_the_rates_it_names() -> None:
    base = DEFAULT_PRICES["gpt-4o"]
    table = DEFAULT_PRICES.with_overrides({"gpt-4o": {"input": base.input / 2}})
    assert table["gpt-4o"].input == base.input / 2
    assert table["gpt-4o"].output == base.output
    assert table["gpt-4o"].cached_input == base.cached_input
    assert table["gpt-4o"].provider == "openai"


def test_a_mapping_adds_a_model_the_table_lacks() -> None:
    table = DEFAULT_PRICES.with_overrides({"acme-coder": {"input": 0.5, "output": 1.5}})
    assert "acme-coder" not in DEFAULT_PRICES
    assert len(table) == len(DEFAULT_PRICES) + 1
    # (1_000 * 0.5 + 2_000 * 1.5) / 1e6 = (500 + 3_000) / 1e6
    got = table.cost("acme-coder-2026-01-01", TokenUsage(input=1_000, output=2_000))
    assert got == pytest.approx(0.0035)


def test_override_keys_ignore_case() -> None:
    table = DEFAULT_PRICES.with_overrides({"  GPT-4o ": Price(input=1.0, output=1.0)})
    assert len(table) == len(DEFAULT_PRICES)
    assert table.lookup("gpt-4o") == Price(input=1.0, output=1.0)


def test_a_mapping_can_clear_a_cached_rate() -> None:
    table = DEFAULT_PRICES.with_overrides({"gpt-4o": {"cached_input": None}})
    assert table["gpt-4o"].cached_input is None


def test_overriding_keeps_the_check_date() -> None:
    assert DEFAULT_PRICES.with_overrides({}).checked == DEFAULT_PRICES.checked


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"input": "cheap"}, ["'gpt-4o'", "'input'", "number", "'cheap'"]),
        ({"output": -1}, ["'gpt-4o'", "'output'", "negative"]),
        ({"cached_input": math.nan}, ["'gpt-4o'", "'cached_input'", "finite"]),
        ({"reasoning": math.inf}, ["'gpt-4o'", "'reasoning'", "finite"]),
        ({"input": True}, ["'gpt-4o'", "'input'", "number"]),
        ({"provider": 3}, ["'gpt-4o'", "'provider'", "string"]),
        ({"inptu": 2.0}, ["'gpt-4o'", "'inptu'", "did you mean 'input'"]),
        (7, ["'gpt-4o'", "Price or a mapping"]),
    ],
)
def test_a_bad_override_names_the_model_and_the_field(override: Any, words: list[str]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DEFAULT_PRICES.with_overrides({"gpt-4o": override})
    for word in words:
        assert word in str(caught.value)


def test_a_new_model_must_give_input_and_output() -> None:
    with pytest.raises(ConfigurationError, match=r"'acme-coder'.*missing 'output'"):
        DEFAULT_PRICES.with_overrides({"acme-coder": {"input": 0.5}})


def test_override_names_must_be_non_empty_strings() -> None:
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        DEFAULT_PRICES.with_overrides({"": {"input": 1.0, "output": 1.0}})
    with pytest.raises(ConfigurationError, match="non-empty strings"):
        DEFAULT_PRICES.with_overrides({42: {"input": 1.0, "output": 1.0}})  # type: ignore[dict-item]


def test_overrides_must_be_a_mapping() -> None:
    with pytest.raises(ConfigurationError, match="must be a mapping"):
        DEFAULT_PRICES.with_overrides([("gpt-4o", {"input": 1.0})])  # type: ignore[arg-type]


def test_price_from_mapping_builds_a_price() -> None:
    price = price_from_mapping({"input": 3, "output": 15, "cached_input": 0.3, "provider": "x"})
    assert price == Price(input=3.0, output=15.0, cached_input=0.3, provider="x")
    assert isinstance(price.input, float)


@pytest.mark.parametrize(
    ("mapping", "pattern"),
    [
        ({"output": 1.0}, "missing 'input'"),
        ({"input": 1.0, "output": "1.0"}, "'output' must be a number"),
        ({"input": 1.0, "output": 1.0, "cache": 0.1}, "unknown field 'cache'"),
    ],
)
def test_price_from_mapping_rejects_bad_input(mapping: Any, pattern: str) -> None:
    with pytest.raises(ConfigurationError, match=pattern):
        price_from_mapping(mapping)


def test_a_price_cannot_be_built_with_a_negative_rate() -> None:
    with pytest.raises(ConfigurationError, match="'cached_input' must not be negative"):
        Price(input=1.0, output=1.0, cached_input=-0.1)


def test_a_table_takes_only_price_objects() -> None:
    with pytest.raises(ConfigurationError, match=r"'gpt-4o'.*with_overrides"):
        PriceTable({"gpt-4o": {"input": 1.0, "output": 2.0}})  # type: ignore[dict-item]


def test_a_table_refuses_one_model_twice_at_two_prices() -> None:
    with pytest.raises(ConfigurationError, match="twice"):
        PriceTable({"gpt-4o": Price(input=1.0, output=1.0), "GPT-4o": Price(input=2.0, output=2.0)})
