"""API keys: created with a secret shown once, checked, listed, revoked."""

from __future__ import annotations

import hashlib
import time

from agentreel.storage import ApiKey, Store


def test_a_new_key_checks_to_its_project(store: Store) -> None:
    before = time.time_ns()
    key_id, secret = store.create_api_key("shop", "ingest from prod")
    other_id, other_secret = store.create_api_key("calc", "ci")
    assert store.check_api_key(secret) == "shop"
    assert store.check_api_key(other_secret) == "calc"
    assert key_id != other_id and secret != other_secret
    assert secret.startswith(f"agr_{key_id}_")

    keys = store.list_api_keys()
    assert [(k.id, k.project, k.name, k.revoked_at) for k in keys] == [
        (key_id, "shop", "ingest from prod", None),
        (other_id, "calc", "ci", None),
    ]
    assert before <= keys[0].created_at <= keys[1].created_at <= time.time_ns()
    assert all(isinstance(k, ApiKey) for k in keys)


def test_wrong_secrets_fail(store: Store) -> None:
    key_id, secret = store.create_api_key("shop", "k")
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    for wrong in [
        tampered,
        secret + "x",
        secret[:-1],
        "",
        "agr_",
        f"agr_{key_id}_",
        secret.upper(),
        hashlib.sha256(secret.encode()).hexdigest(),  # what is stored is not a secret
        "' OR 1=1 --",
        f"agr_{'0' * 16}_{secret.rsplit('_', 1)[1]}",
    ]:
        assert store.check_api_key(wrong) is None, wrong
    assert store.check_api_key(secret) == "shop"


def test_a_revoked_key_fails_and_stays_listed(store: Store) -> None:
    key_id, secret = store.create_api_key("shop", "old")
    kept_id, kept = store.create_api_key("shop", "new")
    assert store.revoke_api_key(key_id) is True
    assert store.check_api_key(secret) is None
    assert store.check_api_key(kept) == "shop"
    (revoked,) = [k for k in store.list_api_keys() if k.id == key_id]
    assert revoked.revoked_at is not None and revoked.revoked_at >= revoked.created_at
    # Revoking again keeps the first time.
    assert store.revoke_api_key(key_id) is True
    assert [k for k in store.list_api_keys() if k.id == key_id] == [revoked]
    assert store.revoke_api_key("no-such-key") is False
    assert [k.id for k in store.list_api_keys()] == [key_id, kept_id]


def test_no_keys_at_first(store: Store) -> None:
    assert store.list_api_keys() == []
    assert store.check_api_key("agr_0123456789abcdef_" + "x" * 43) is None


def test_keys_are_shared_by_stores_on_the_same_data(twins: tuple[Store, Store]) -> None:
    one, two = twins
    key_id, secret = one.create_api_key("shop", "made by one")
    assert two.check_api_key(secret) == "shop"
    assert two.revoke_api_key(key_id)
    assert one.check_api_key(secret) is None
