"""Ingest's redaction (JSON tests, then the redactor's walk) masks what a plain walk does.

The reference below is independent of the redactor's code path: every key
meets the key expression, and every string the secret expressions, with no
cache, fast path or anchor test. Its one rule beyond them is the documented
one (``agentreel._redact``): text without an "@" or a run of 15 token
characters is not searched (which leaves a bare PEM header, with no key
body, as it is).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentreel._redact import _SECRET, _SENSITIVE_KEY, _URL_PASSWORD
from agentreel.otel._sanitize import Cleaner
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


_TOKEN_RUN = re.compile(r"[A-Za-z0-9_+/=.~\-]{15}")


class Reference:
    """A plain recursive walk with the expressions: what redaction means."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        self.extra = {k.lower() for k in extra}
        self.count = 0

    def _mask(self, match: re.Match[str]) -> str:
        self.count += 1
        groups = match.groupdict()
        return (groups.get("bearer") or groups.get("urlpre") or "") + MASK

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            if "@" not in value and not _TOKEN_RUN.search(value):
                return value
            return _URL_PASSWORD.sub(self._mask, _SECRET.sub(self._mask, value))
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                sensitive = isinstance(k, str) and (
                    k.lower() in self.extra or _SENSITIVE_KEY.search(k) is not None
                )
                if sensitive and v is not None and v != "":
                    self.count += 1
                    out[k] = MASK
                else:
                    out[k] = self.value(v)
            return out
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from([(), ("sauce",), ("K",)]))
def test_cleaner_redacts_as_the_reference_does(value: Any, extra: tuple[str, ...]) -> None:
    reference = Reference(extra)
    expected = reference.value(value)
    redactor = Redactor(extra_keys=extra)
    assert redactor.value(value) == expected
    assert redactor.count == reference.count
    cleaner = Cleaner(Redactor(extra_keys=extra), 10**9)
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
    return st.from_regex(_SECRET) | st.from_regex(_URL_PASSWORD)


@settings(max_examples=500, deadline=None)
@given(_secret_texts(), st.text(max_size=20), st.text(max_size=20))
def test_text_matching_any_secret_pattern_is_redacted_as_the_reference_does(
    secret: str, before: str, after: str
) -> None:
    # The redactor skips its expressions for text without a token run or "@",
    # or without any of the literals its patterns need, and the cleaner skips
    # the strings of JSON without those literals; text that one of them
    # matches must not be skipped.
    for text in (secret, before + secret + after, f"key {secret}"):
        value = {"text": text, "nested": [{"deeper": text}]}
        reference = Reference()
        expected = reference.value(value)
        redactor = Redactor()
        assert redactor.value(value) == expected
        assert redactor.count == reference.count
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
        assert cleaned == Reference().value([text]) != [text], secret


def test_the_json_anchors_cover_the_text_anchors() -> None:
    from agentreel._redact import _ANCHORS
    from agentreel.otel._sanitize import _ANCHORS_BYTES

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
        reference = Reference(extra)
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


PLAIN = st.text(alphabet="abc xyz.", max_size=40)  # no string can hold a secret
PLAIN_VALUES = st.recursive(
    PLAIN | st.none() | st.integers() | st.booleans(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(PLAIN_VALUES, st.sampled_from([(), ("sauce",)]))
def test_looking_at_keys_only_is_enough_when_no_string_can_hold_a_secret(
    value: Any, extra: tuple[str, ...]
) -> None:
    reference = Reference(extra)
    expected = reference.value(value)
    redactor = Redactor(extra_keys=extra)
    assert redactor.walk(value, None) == expected
    assert redactor.count == reference.count


def test_looking_at_keys_only_leaves_strings_alone() -> None:
    secret = "sk-abcdefghijklmnopqrstuvwxyz012345"
    value = {"note": secret, "api_key": "k", "deeper": [{"token": 3, "text": secret}]}
    redactor = Redactor()
    assert redactor.walk(value, None) == {
        "note": secret,
        "api_key": MASK,
        "deeper": [{"token": MASK, "text": secret}],
    }
    assert redactor.count == 2
    assert Redactor(enabled=False).value(value) is value
