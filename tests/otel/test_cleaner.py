"""Ingest's redaction walk (keys remembered) answers exactly as the redactor's own."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentreel.otel._sanitize import _MASK, Cleaner
from agentreel.recording import MASK, Redactor
from agentreel.recording._redact import _SENSITIVE_KEY

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
    try:
        data = orjson.dumps(value)
    except orjson.JSONEncodeError:  # a lone surrogate: ingest rejects it before this
        return
    with_json = Cleaner(Redactor(extra_keys=extra), 10**9)
    assert with_json.value(value, 0, data) == expected
    assert with_json.redacted == reference.count


def test_a_disabled_redactor_changes_nothing() -> None:
    cleaner = Cleaner(Redactor(enabled=False), 10**9)
    assert cleaner.value({"api_key": "sk-abcdefghijklmnopqrstuvwxyz"}, 0) == {
        "api_key": "sk-abcdefghijklmnopqrstuvwxyz"
    }


def _secret_texts() -> st.SearchStrategy[str]:
    from agentreel.recording._redact import _SECRET, _URL_PASSWORD

    return st.from_regex(_SECRET) | st.from_regex(_URL_PASSWORD)


@settings(max_examples=500, deadline=None)
@given(_secret_texts(), st.text(max_size=20), st.text(max_size=20))
def test_text_matching_any_secret_pattern_is_redacted_as_the_redactor_does(
    secret: str, before: str, after: str
) -> None:
    # The cleaner skips the redactor's expression for text without any of the
    # literals its patterns need; text that one of them matches must not be skipped.
    for text in (secret, before + secret + after, f"key {secret}"):
        value = {"text": text, "nested": [{"deeper": text}]}
        reference = Redactor()
        expected = reference.value(value)
        cleaner = Cleaner(Redactor(), 10**9)
        assert cleaner.value(value, 0) == expected
        assert cleaner.redacted == reference.count
        # Given the value's JSON, the cleaner looks for the literals in it at once.
        with_json = Cleaner(Redactor(), 10**9)
        assert with_json.value(value, 0, orjson.dumps(value)) == expected
        assert with_json.redacted == reference.count


def test_every_kind_of_secret_in_prose_is_found() -> None:
    secrets = [
        "sk-proj-abcdefghijklmnopqrstuvwx", "BeArEr abcdefghijklmnopqrstuvwx",
        "AKIAABCDEFGHIJKLMNOP", "ghp_" + "a" * 36, "github_pat_" + "b" * 40,
        "xoxb-1234567890-abc", "AIza" + "c" * 35, "eyJhbGciOiJI.eyJzdWIiOiIx.abcdefghij",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----",
        "postgres://me:hunter2@db.example/x",
    ]  # fmt: skip
    for secret in secrets:
        text = f"the conversation conv-000001-00-abcdef12 used {secret} yesterday"
        cleaned = Cleaner(Redactor(), 10**9).value([text], 0)
        assert cleaned == Redactor().value([text]) != [text], secret


def test_the_json_anchors_cover_the_text_anchors() -> None:
    from agentreel.otel._sanitize import _ANCHORS, _ANCHORS_BYTES

    for anchor in _ANCHORS:
        assert any(short in anchor.encode() for short in _ANCHORS_BYTES), anchor


@settings(max_examples=300, deadline=None)
@given(st.from_regex(_SENSITIVE_KEY))
def test_every_sensitive_key_name_is_seen_in_json(name: str) -> None:
    from agentreel.otel._sanitize import _may_have_sensitive_keys

    redactor = Redactor()
    assert redactor.is_sensitive_key(name)
    data = orjson.dumps({name: "v"})
    assert _may_have_sensitive_keys(data, data.lower(), ())
    assert Cleaner(redactor, 10**9).value({name: "v"}, 0, data) == {name: MASK}


def test_the_sensitive_key_expression_is_the_one_copied_above() -> None:
    # The key words in _sanitize were derived from this expression: a change
    # to it must be looked at there too.
    assert _SENSITIVE_KEY.pattern == (
        r"(?i)(^|[_\-.])(api[_\-.]?key|apikey|auth|authorization|password|passwd|pwd|secret|"
        r"client[_\-.]?secret|access[_\-.]?token|refresh[_\-.]?token|id[_\-.]?token|token|"
        r"private[_\-.]?key|cookie|set[_\-.]?cookie|session[_\-.]?key|x[_\-.]api[_\-.]key)$"
    )


@pytest.mark.parametrize("extra", [("sauce",), ("Sauce",), ('we"ird',), ("ſauce",)])
def test_extra_sensitive_keys_are_seen_in_json(extra: tuple[str, ...]) -> None:
    for key in {extra[0], extra[0].upper(), extra[0].lower()}:
        value = {"outer": [{key: "hidden value"}], "k": "v"}
        reference = Redactor(extra_keys=extra)
        expected = reference.value(value)
        cleaner = Cleaner(Redactor(extra_keys=extra), 10**9)
        assert cleaner.value(value, 0, orjson.dumps(value)) == expected
        assert cleaner.redacted == reference.count


FLAT_VALUES = TEXTS | st.none() | st.integers(-5, 5) | st.booleans() | st.floats(allow_nan=False)
ATTRIBUTES = st.dictionaries(KEYS | st.sampled_from(["gen_ai.request.model", "server.address"]),
                             FLAT_VALUES | VALUES, max_size=6)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(ATTRIBUTES, max_size=6), st.sampled_from([(), ("sauce",), ("K",)]), st.booleans())
def test_a_sessions_attributes_together_are_cleaned_as_one_at_a_time(
    many: list[dict[str, Any]], extra: tuple[str, ...], short: bool
) -> None:
    # attributes_many looks for secrets once in all of them and keeps known
    # harmless attributes as they are; the bytes and counts must not change.
    limit = 12 if short else 10**9
    one = Cleaner(Redactor(extra_keys=extra), limit)
    expected: list[bytes | None] = []
    for attrs in many:
        try:
            expected.append(one.attributes(attrs))
        except orjson.JSONEncodeError:  # a lone surrogate: the step is rejected
            expected.append(None)
    together = Cleaner(Redactor(extra_keys=extra), limit)
    assert together.attributes_many(many) == expected
    assert (together.redacted, together.truncated) == (one.redacted, one.truncated)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=5), st.sampled_from([(), ("sauce",)]))
def test_payloads_looked_at_together_are_cleaned_as_one_at_a_time(
    values: list[Any], extra: tuple[str, ...]
) -> None:
    from agentreel.payloads import PayloadEncoder

    try:
        datas = [orjson.dumps(v) for v in values]
    except orjson.JSONEncodeError:
        return
    one = Cleaner(Redactor(extra_keys=extra), 10**9)
    blobs: dict[str, bytes] = {}
    expected = [one.payload(v, PayloadEncoder(), blobs) for v in values]
    together = Cleaner(Redactor(extra_keys=extra), 10**9)
    texts = together.may_hold_secrets(datas)
    found: dict[str, bytes] = {}
    refs = [
        together.payload(v, PayloadEncoder(), found, d, texts=texts)
        for v, d in zip(values, datas, strict=True)
    ]
    assert refs == expected
    assert found == blobs
    assert together.redacted == one.redacted
