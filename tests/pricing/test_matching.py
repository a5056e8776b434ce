"""From model strings as APIs report them to table entries, rule by rule."""

from __future__ import annotations

import pytest

from agentreel.pricing import DEFAULT_PRICES, Price, PriceTable
from agentreel.pricing._table import _CACHE_LIMIT

# Every entry has its own input rate, so a lookup shows which entry it found.
KEYS = (
    "gpt-4o",
    "gpt-4o-mini",
    "o3",
    "claude-opus-4",
    "claude-opus-4-1",
    "claude-sonnet-4-5",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.0-flash",
    "mistral-large",
    "mistral-large-2411",
)
TABLE = PriceTable(
    {key: Price(input=float(n + 1), output=1.0, provider="test") for n, key in enumerate(KEYS)}
)


def found(model: str) -> str | None:
    """The key of the entry ``model`` resolves to, or None."""
    price = TABLE.lookup(model)
    if price is None:
        return None
    return KEYS[int(price.input) - 1]


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        ("  gpt-4o-mini\n", "gpt-4o-mini"),
        ("mistral-large-2411", "mistral-large-2411"),
    ],
)
def test_exact_names_match_whatever_their_case(model: str, key: str) -> None:
    assert found(model) == key


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("publishers/google/models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
        ("anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
    ],
)
def test_routing_prefixes_and_gateway_spellings_are_removed(model: str, key: str) -> None:
    assert found(model) == key


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("o3-2025-04-16", "o3"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("mistral-large-latest", "mistral-large"),
        ("mistral-large-2512", "mistral-large"),
        ("gemini-2.5-pro-preview-06-05", "gemini-2.5-pro"),
        ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("openai/gpt-4o-2024-11-20", "gpt-4o"),
    ],
)
def test_dated_snapshots_and_aliases_match_their_model(model: str, key: str) -> None:
    assert found(model) == key


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gemini-2.5-flash-exp", "gemini-2.5-flash"),
        ("claude-opus-4-1-thinking", "claude-opus-4-1"),
        ("gpt-4o-chatgpt", "gpt-4o"),
        ("claude-sonnet-4-5-v2@20251001", "claude-sonnet-4-5"),
    ],
)
def test_longest_known_prefix_on_a_dash_boundary(model: str, key: str) -> None:
    assert found(model) == key


def test_an_exact_name_wins_over_snapshot_stripping() -> None:
    # "mistral-large-2411" looks like "mistral-large" plus a YYMM snapshot, but
    # it is listed itself (at another price), so it must not fall through.
    assert found("mistral-large-2411") == "mistral-large-2411"
    assert found("mistral-large-2411") != found("mistral-large-latest")


@pytest.mark.parametrize(
    "model",
    [
        "o3-mini",  # a smaller model, not o3 with a suffix
        "o3-pro",
        "o3-deep-research",
        "gpt-4o-mini-search-preview",  # gpt-4o-mini is known, search is not
        "gpt-4o-realtime-preview",
        "gpt-4o-audio-preview-2024-12-17",
        "gemini-2.5-flash-lite",
        "gemini-2.5-flash-lite-preview-06-17",
        "claude-opus-4-5",  # a later version, not claude-opus-4
        "claude-opus-4-1-5",
        "gpt-4o1",  # no "-" boundary
        "gpt",
        "ft:gpt-4o-mini-2024-07-18:acme::abc123",  # fine-tunes cost more than the base
        "",
        "   ",
    ],
)
def test_near_misses_get_no_price_rather_than_a_neighbours(model: str) -> None:
    assert TABLE.lookup(model) is None


def test_gpt_4o_mini_never_falls_back_to_gpt_4o() -> None:
    without_mini = PriceTable({"gpt-4o": Price(input=2.5, output=10.0)})
    assert without_mini.lookup("gpt-4o-mini") is None
    assert without_mini.lookup("gpt-4o-mini-2024-07-18") is None
    assert without_mini.lookup("openai/gpt-4o-mini") is None


def test_gpt_4o_never_borrows_gpt_4o_minis_price() -> None:
    only_mini = PriceTable({"gpt-4o-mini": Price(input=0.15, output=0.6)})
    assert only_mini.lookup("gpt-4o") is None
    assert only_mini.lookup("gpt-4o-2024-08-06") is None


@pytest.mark.parametrize(
    ("model", "twin"),
    [
        ("gpt-4o", "gpt-4o-mini"),
        ("gpt-4.1", "gpt-4.1-mini"),
        ("gpt-4.1-mini", "gpt-4.1-nano"),
        ("o3", "o3-pro"),
        ("gpt-6-sol", "gpt-6.1-sol"),
        ("gpt-5.6-sol", "gpt-5.6-terra"),
        ("gemini-2.5-flash", "gemini-2.5-flash-lite"),
        ("gemini-2.5-flash", "gemini-2.5-pro"),
        ("claude-opus-4", "claude-opus-4-5"),
        ("claude-sonnet-5", "claude-sonnet-5-5"),
        ("deepseek-flash", "deepseek-v4-pro"),
        ("mistral-large-2411", "mistral-large-latest"),
    ],
)
def test_default_table_keeps_neighbouring_models_apart(model: str, twin: str) -> None:
    mine, theirs = DEFAULT_PRICES.lookup(model), DEFAULT_PRICES.lookup(twin)
    assert mine is not None
    assert theirs is not None
    assert mine != theirs


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1"),
        ("claude-opus-4-0", "claude-opus-4"),
        ("claude-haiku-4-5@20251001", "claude-haiku-4-5"),
        ("gemini-3.1-pro-preview", "gemini-3.1-pro"),
        ("mistral-medium-latest", "mistral-medium-3.5"),
        ("deepseek/deepseek-v4-flash", "deepseek-flash"),
    ],
)
def test_default_table_resolves_real_api_strings(model: str, key: str) -> None:
    assert DEFAULT_PRICES.lookup(model) == DEFAULT_PRICES[key]


def test_lookup_of_something_that_is_not_a_string_is_none() -> None:
    assert TABLE.lookup(42) is None  # type: ignore[arg-type]


def test_repeated_lookups_return_the_same_price_object() -> None:
    first = TABLE.lookup("openai/gpt-4o-2024-08-06")
    assert first is not None
    assert TABLE.lookup("openai/gpt-4o-2024-08-06") is first


def test_invented_names_cannot_grow_the_cache_without_bound() -> None:
    table = PriceTable({"gpt-4o": Price(input=2.5, output=10.0)})
    for n in range(3 * _CACHE_LIMIT):
        assert table.lookup(f"invented-model-{n}") is None
    assert len(table._cache) <= _CACHE_LIMIT
    assert table.lookup("gpt-4o-2024-08-06") == Price(input=2.5, output=10.0)
