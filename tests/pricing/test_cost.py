"""The cost formula, checked against sums worked out by hand.

cost = ((input - cached) * input_rate + cached * (cached_input or input_rate)
        + (output - reasoning) * output_rate + reasoning * (reasoning_rate or output_rate)) / 1e6
"""

from __future__ import annotations

import dataclasses

import pytest

from agentreel.model import TokenUsage
from agentreel.pricing import DEFAULT_PRICES, Price, PriceTable


def usage(input: int = 0, output: int = 0, cached: int = 0, reasoning: int = 0) -> TokenUsage:
    return TokenUsage(input=input, output=output, cached=cached, reasoning=reasoning)


def test_plain_input_and_output() -> None:
    price = Price(input=2.5, output=10.0)
    # 1_200 * 2.5 + 300 * 10 = 3_000 + 3_000 = 6_000 -> 0.006 USD
    assert price.cost(usage(input=1_200, output=300)) == pytest.approx(0.006)


def test_cached_tokens_are_part_of_input_and_use_the_cached_rate() -> None:
    price = Price(input=3.0, output=15.0, cached_input=0.30)
    # (10_000 - 8_000) * 3 + 8_000 * 0.30 + 500 * 15 = 6_000 + 2_400 + 7_500 = 15_900
    assert price.cost(usage(input=10_000, cached=8_000, output=500)) == pytest.approx(0.0159)


def test_cached_tokens_without_a_cached_rate_cost_the_input_rate() -> None:
    price = Price(input=2.0, output=8.0)
    # 400 * 2 + 600 * 2 = 2_000 -> the same as no caching at all
    assert price.cost(usage(input=1_000, cached=600)) == pytest.approx(0.002)


def test_reasoning_tokens_are_part_of_output_and_use_the_reasoning_rate() -> None:
    price = Price(input=1.0, output=4.0, reasoning=2.0)
    # (1_000 - 700) * 4 + 700 * 2 = 1_200 + 1_400 = 2_600
    assert price.cost(usage(output=1_000, reasoning=700)) == pytest.approx(0.0026)


def test_reasoning_tokens_without_a_reasoning_rate_cost_the_output_rate() -> None:
    price = Price(input=1.1, output=4.4)
    # 2_000 * 1.1 + (3_000 - 2_500) * 4.4 + 2_500 * 4.4 = 2_200 + 2_200 + 11_000 = 15_400
    assert price.cost(usage(input=2_000, output=3_000, reasoning=2_500)) == pytest.approx(0.0154)


def test_all_four_rates_at_once() -> None:
    price = Price(input=10.0, output=50.0, cached_input=1.0, reasoning=40.0)
    # 10_000 * 10 + 90_000 * 1 + 5_000 * 50 + 15_000 * 40
    # = 100_000 + 90_000 + 250_000 + 600_000 = 1_040_000 -> 1.04 USD
    got = price.cost(usage(input=100_000, cached=90_000, output=20_000, reasoning=15_000))
    assert got == pytest.approx(1.04)


def test_no_tokens_cost_nothing() -> None:
    assert Price(input=5.0, output=25.0).cost(usage()) == 0.0


def test_more_cached_than_input_is_clamped_to_the_input() -> None:
    price = Price(input=2.0, output=8.0, cached_input=0.5)
    # cached 300 > input 100, so all 100 are cached: 100 * 0.5 + 10 * 8 = 50 + 80 = 130
    assert price.cost(usage(input=100, cached=300, output=10)) == pytest.approx(0.00013)


def test_more_reasoning_than_output_is_clamped_to_the_output() -> None:
    price = Price(input=1.0, output=4.0, reasoning=2.0)
    # reasoning 50 > output 20, so all 20 are reasoning: 20 * 2 = 40
    assert price.cost(usage(output=20, reasoning=50)) == pytest.approx(0.00004)


def test_negative_counts_cost_nothing_rather_than_a_refund() -> None:
    price = Price(input=2.0, output=8.0, cached_input=0.5)
    assert price.cost(usage(input=-5, output=-5, cached=-5, reasoning=-5)) == 0.0


def test_table_cost_uses_the_matched_models_price() -> None:
    table = PriceTable(
        {"gpt-4o": Price(input=2.5, output=10.0, cached_input=1.25, provider="openai")}
    )
    # (1_000 - 400) * 2.5 + 400 * 1.25 + 200 * 10 = 1_500 + 500 + 2_000 = 4_000
    got = table.cost("openai/gpt-4o-2024-08-06", usage(input=1_000, cached=400, output=200))
    assert got == pytest.approx(0.004)


def test_table_cost_is_none_for_no_model_or_an_unknown_one() -> None:
    table = PriceTable({"gpt-4o": Price(input=2.5, output=10.0)})
    assert table.cost(None, usage(input=10)) is None
    assert table.cost("", usage(input=10)) is None
    assert table.cost("some-model-nobody-sells", usage(input=10)) is None


def test_default_table_prices_a_dated_snapshot_like_its_model() -> None:
    sample = usage(input=12_345, cached=2_000, output=678, reasoning=100)
    expected = DEFAULT_PRICES["claude-sonnet-4-5"].cost(sample)
    assert expected > 0
    assert DEFAULT_PRICES.cost("claude-sonnet-4-5-20250929", sample) == expected


def _clamped_cost(price: Price, usage: TokenUsage) -> float:
    """Price.cost as first written, with max() and min(): the reference."""
    tokens_in = max(usage.input, 0)
    tokens_out = max(usage.output, 0)
    cached = min(max(usage.cached, 0), tokens_in)
    reasoning = min(max(usage.reasoning, 0), tokens_out)
    cached_rate = price.input if price.cached_input is None else price.cached_input
    reasoning_rate = price.output if price.reasoning is None else price.reasoning
    return (
        (tokens_in - cached) * price.input
        + cached * cached_rate
        + (tokens_out - reasoning) * price.output
        + reasoning * reasoning_rate
    ) / 1_000_000.0


def test_cost_equals_the_clamping_reference_exactly() -> None:
    counts = (-5, 0, 1, 7, 999, 1_000, 123_456)
    prices = (
        Price(input=2.5, output=10.0),
        Price(input=3.0, output=15.0, cached_input=0.3, reasoning=20.0),
        Price(input=0.15, output=0.6, cached_input=0.075),
    )
    for price in prices:
        for i in counts:
            for o in counts:
                for c in counts:
                    for r in counts:
                        usage = TokenUsage(input=i, output=o, cached=c, reasoning=r)
                        assert price.cost(usage) == _clamped_cost(price, usage), usage


def test_token_usage_sets_every_field_it_declares() -> None:
    # TokenUsage writes its own __init__ (for speed); a field added later must
    # be taken by it too, and keep its default when not given.
    names = [f.name for f in dataclasses.fields(TokenUsage)]
    given = {name: i + 1 for i, name in enumerate(names)}
    usage = TokenUsage(**given)
    assert {name: getattr(usage, name) for name in names} == given
    assert dataclasses.replace(usage, input=0).input == 0
    assert all(getattr(TokenUsage(), name) == 0 for name in names)
