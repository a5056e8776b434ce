"""Ingest's redaction walk (keys remembered) answers exactly as the redactor's own."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentreel.otel._sanitize import _MASK, Cleaner
from agentreel.recording import MASK, Redactor

KEYS = st.sampled_from(
    ["api_key", "Authorization", "user.token", "input_tokens", "name", "x-api-key",
     "password", "gen_ai.prompt", "secret_sauce", "cookie", "k", "", "ſecret", "KEY"]
)  # fmt: skip
TEXTS = st.sampled_from(
    ["", "short", "sk-abcdefghijklmnopqrstuvwxyz012345", "Bearer abcdefghijklmnopqrstu",
     "postgres://me:hunter2@db/x", "a perfectly ordinary sentence of words", "x" * 40]
) | st.text(max_size=40)  # fmt: skip
LEAVES = TEXTS | st.none() | st.integers() | st.booleans() | st.floats(allow_nan=False)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def test_the_mask_is_the_redactors() -> None:
    assert _MASK == MASK


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([(), ("sauce",), ("K",)]))
def test_cleaner_redacts_as_the_redactor_does(value: Any, extra: tuple[str, ...]) -> None:
    reference = Redactor(extra_keys=extra)
    expected = reference.value(value)
    ours = Redactor(extra_keys=extra)
    cleaner = Cleaner(ours, 10**9)
    assert cleaner.value(value, 0) == expected
    assert cleaner.redacted == reference.count


def test_a_disabled_redactor_changes_nothing() -> None:
    cleaner = Cleaner(Redactor(enabled=False), 10**9)
    assert cleaner.value({"api_key": "sk-abcdefghijklmnopqrstuvwxyz"}, 0) == {
        "api_key": "sk-abcdefghijklmnopqrstuvwxyz"
    }
