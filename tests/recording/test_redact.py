"""Secrets are masked before anything reaches the store."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

import agentreel
from agentreel import _redact
from agentreel.recording import MASK, Redactor
from agentreel.storage import SQLiteStore, load_payload

SECRETS = [
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
    "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0F",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
    "xoxb-123456789012-abcdefghijkl",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_token_shaped_secrets_in_text(secret: str) -> None:
    r = Redactor()
    text = f"calling the API with {secret} now"
    out = r.text(text)
    assert secret not in out
    assert MASK in out
    assert out.startswith("calling the API with ")
    assert r.count == 1


def test_bearer_keeps_scheme_and_url_keeps_user() -> None:
    r = Redactor()
    assert r.text("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123") == (
        f"Authorization: Bearer {MASK}"
    )
    assert (
        r.text("dsn postgres://app:hunter2hunter2@db:5432/x")
        == f"dsn postgres://app:{MASK}@db:5432/x"
    )


def test_private_key_block() -> None:
    r = Redactor()
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1\nabc\n-----END RSA PRIVATE KEY-----"
    assert r.text(f"key:\n{pem}\ndone") == f"key:\n{MASK}\ndone"


@pytest.mark.parametrize(
    "text",
    [
        "the quick brown fox jumps over the lazy dog " * 20,
        "skeleton key AKIA is not a key",
        "user@example.com wrote to admin@example.org",
        "a sha256 of 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 is public",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    r = Redactor()
    assert r.text(text) == text
    assert r.count == 0


def test_sensitive_key_names() -> None:
    r = Redactor(extra_keys=("x-internal",))
    value = {
        "api_key": "short",
        "Authorization": "Basic abc",
        "password": "p",
        "nested": {"client_secret": 123, "X-Internal": "v", "tokens": 5},
        "max_tokens": 100,
        "empty_token": "",
    }
    out = r.value(value)
    assert out["api_key"] == MASK
    assert out["Authorization"] == MASK
    assert out["password"] == MASK
    assert out["nested"]["client_secret"] == MASK
    assert out["nested"]["X-Internal"] == MASK
    assert out["nested"]["tokens"] == 5  # a count, not a credential
    assert out["max_tokens"] == 100
    assert out["empty_token"] == ""  # nothing to hide
    assert value["api_key"] == "short"  # the input is not modified


def test_huge_token_runs_do_not_hang() -> None:
    # A run of letters with no "://" once made the URL pattern backtrack quadratically.
    r = Redactor()
    assert r.text("x" * 2_000_000) == "x" * 2_000_000


def _stored_attributes(recorded: SQLiteStore, shapes: list[dict[str, Any]]) -> list[Any]:
    """Record one step with each of ``shapes`` as its attributes; what was stored of each."""
    with agentreel.session("s"):
        for attributes in shapes:
            with agentreel.step("tool", "t", attributes=dict(attributes)):
                pass
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    return [step.attributes for step in recorded.get_steps(summary.session.id)]


def test_everything_stored_is_redacted(recorded: SQLiteStore) -> None:
    key = SECRETS[0]

    @agentreel.llm
    def call(messages: list[dict[str, str]], api_key: str) -> dict[str, Any]:
        return {"echo": f"used {key}"}

    with agentreel.session("s", metadata={"token": "abc", "note": f"key={key}"}):
        with agentreel.step("tool", "t", attributes={"header": f"Bearer {key}", "password": "x"}):
            call([{"role": "user", "content": f"my key is {key}"}], api_key=key)
    agentreel.flush()
    (summary,) = recorded.list_sessions()
    session = summary.session
    assert session.metadata == {"token": MASK, "note": f"key={MASK}"}
    outer, inner = recorded.get_steps(session.id)
    assert outer.attributes == {"header": f"Bearer {MASK}", "password": MASK}
    stored_in = load_payload(recorded, inner.input_ref)
    assert stored_in == {
        "messages": [{"role": "user", "content": f"my key is {MASK}"}],
        "api_key": MASK,
    }
    assert load_payload(recorded, inner.output_ref) == {"echo": f"used {MASK}"}
    assert agentreel.stats()["redacted"] == 7
    # Nothing of the key survives anywhere in the database file.
    agentreel.shutdown()
    raw = b"".join(
        p.read_bytes() for p in recorded.path.parent.iterdir() if p.name.startswith("reel.db")
    )
    assert key.encode() not in raw


def test_redaction_can_be_turned_off(db_path: Any) -> None:
    agentreel.configure(db=db_path, redact=False)
    with agentreel.session("s"), agentreel.step("tool", "t", attributes={"password": "x"}):
        pass
    agentreel.shutdown()
    store = SQLiteStore(db_path)
    (summary,) = store.list_sessions()
    assert store.get_step(summary.session.id, 1).attributes == {"password": "x"}
    store.close()


def test_key_names_are_judged_the_same_every_time(recorded: SQLiteStore) -> None:
    # The recorder remembers which attribute keys are harmless; a sensitive
    # key next to remembered ones, in a key set seen before or not, is still
    # masked on every step, and a harmless key is never masked.
    shapes = [
        {"note": "a"},
        {"note": "b", "api_key": "k1"},
        {"note": "c"},
        {"note": "d", "api_key": "k2"},
        {"api_key": "k3", "note": "e", "other": "f"},
        {"note": "g", "other": "h"},
    ]
    got = _stored_attributes(recorded, shapes)
    assert got == [{k: MASK if k == "api_key" else v for k, v in a.items()} for a in shapes]


def test_long_key_names_do_not_send_harmless_values_to_the_walk(
    recorded: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dotted name of 15 or more token characters trips the byte scan by
    # itself; the values are then looked at alone. Harmless values are stored
    # as they are, without the per-value walk; a secret beside them is still
    # masked, in a top-level and in a nested value.
    walked: list[Any] = []
    real = Redactor.value

    def spy(self: Redactor, value: Any) -> Any:
        walked.append(value)
        return real(self, value)

    monkeypatch.setattr(Redactor, "value", spy)
    key = SECRETS[0]
    shapes: list[dict[str, Any]] = [
        {"gen_ai.request.model": "gpt-4o-mini", "agentreel.replayed_step": 3},
        {"gen_ai.request.model": "gpt-4o-mini", "note": f"key {key}"},
        {"gen_ai.request.model": "m", "nested": {"deep": [f"x {key}"]}},
    ]
    got = _stored_attributes(recorded, shapes)
    assert got == [
        shapes[0],
        {"gen_ai.request.model": "gpt-4o-mini", "note": f"key {MASK}"},
        {"gen_ai.request.model": "m", "nested": {"deep": [f"x {MASK}"]}},
    ]
    assert len(walked) == 2  # the two steps holding a secret, not the harmless one


def test_sensitive_keys_are_masked_at_any_depth(recorded: SQLiteStore) -> None:
    # No secret-shaped text anywhere: only the nested key says "credential",
    # beside a long dotted key name and without one.
    shapes: list[dict[str, Any]] = [
        {"http": {"api_key": "abc123"}},
        {"gen_ai.request.model": "x", "http": {"headers": [{"authorization": "t0k"}]}},
        {"note": "a {brace} in text", "n": 1},
    ]
    got = _stored_attributes(recorded, shapes)
    assert got == [
        {"http": {"api_key": MASK}},
        {"gen_ai.request.model": "x", "http": {"headers": [{"authorization": MASK}]}},
        shapes[2],
    ]


class _CountingSearch:
    """Stands in for the sensitive-key expression, noting each key searched."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.searched: list[str] = []

    def search(self, key: str) -> re.Match[str] | None:
        self.searched.append(key)
        return self.pattern.search(key)


def test_key_verdicts_are_shared_by_redactors_with_the_same_extra_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server makes a Redactor per request: each key name is searched
    # once, not once a request; a different set of extra keys judges anew.
    counting = _CountingSearch(_redact._SENSITIVE_KEY)
    monkeypatch.setattr(_redact, "_SENSITIVE_KEY", counting)
    harmless, sensitive = f"app.{uuid.uuid4().hex}", f"my_{uuid.uuid4().hex}.token"
    value = {harmless: "v", sensitive: "s", "nested": [{harmless: 1, sensitive: 2}]}
    masked = {harmless: "v", sensitive: MASK, "nested": [{harmless: 1, sensitive: MASK}]}
    for _ in range(3):
        assert Redactor().value(value) == masked
        assert Redactor().is_sensitive_key(sensitive)
    assert sorted(k for k in counting.searched if k in (harmless, sensitive)) == sorted(
        [harmless, sensitive]
    )
    assert Redactor(extra_keys=(harmless.upper(),)).value(value) == {
        harmless: MASK, sensitive: MASK, "nested": [{harmless: MASK, sensitive: MASK}]
    }  # fmt: skip
    assert counting.searched.count(sensitive) == 2


def test_the_shared_key_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_redact, "_KEY_CACHES", {})
    monkeypatch.setattr(_redact, "_KNOWN_KEYS", 3)
    monkeypatch.setattr(_redact, "_KNOWN_SETS", 2)
    redactor = Redactor()
    for i in range(10):
        redactor.is_sensitive_key(f"k{i}")
    assert len(_redact._KEY_CACHES[frozenset()]) <= 3
    for extra in ("a", "b", "c"):
        Redactor(extra_keys=(extra,))
    assert len(_redact._KEY_CACHES) <= 2
    assert redactor.is_sensitive_key("api_key")  # an old redactor keeps working
