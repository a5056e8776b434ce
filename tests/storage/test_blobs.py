"""Content-addressed blobs and payloads read back through the store."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.errors import MissingPayload
from agentreel.payloads import PayloadEncoder, digest_of
from agentreel.storage import Store, WriteBatch, load_payload


def _blob(text: str) -> tuple[str, bytes]:
    data = text.encode()
    return digest_of(data), data


def test_blobs_round_trip_and_absent_ones_are_left_out(store: Store) -> None:
    d1, b1 = _blob("one")
    d2, b2 = _blob("two ✓")
    store.write(WriteBatch(blobs={d1: b1, d2: b2}))
    missing = "0" * 64
    assert store.get_blobs([d1, d2, missing]) == {d1: b1, d2: b2}
    assert store.get_blobs([]) == {}
    assert store.get_blobs({d2}) == {d2: b2}


def test_binary_blobs_keep_every_byte(store: Store) -> None:
    data = bytes(range(256)) * 100
    d = digest_of(data)
    store.write(WriteBatch(blobs={d: data}))
    assert store.get_blobs([d]) == {d: data}


def test_a_blob_is_inserted_only_if_absent(store: Store) -> None:
    d, data = _blob("same")
    store.write(WriteBatch(blobs={d: data}))
    store.write(WriteBatch(blobs={d: data}))
    assert store.get_blobs([d]) == {d: data}
    # A digest names its bytes: whatever arrives later under it is not stored.
    store.write(WriteBatch(blobs={d: b"something else"}))
    assert store.get_blobs([d]) == {d: data}


def test_many_digests_in_one_lookup(store: Store) -> None:
    # More than any sensible IN (...) chunk, and more than old SQLite's 999 parameters.
    blobs = dict(_blob(f"blob {i}") for i in range(2500))
    store.write(WriteBatch(blobs=blobs))
    wanted = [*blobs, "f" * 64]
    assert store.get_blobs(wanted) == blobs


def test_payload_round_trip(store: Store) -> None:
    value: dict[str, Any] = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "ünïcode 🚀"},
        ],
        "tools": [{"name": "run_tests", "args": {"path": "tests/"}}],
        "@blob": "a user key that looks like a marker",
        "n": 3,
        "x": None,
    }
    payload = PayloadEncoder().encode(value)
    store.write(WriteBatch(blobs=payload.blobs))
    assert load_payload(store, payload.root) == value


def test_a_missing_blob_is_reported(store: Store) -> None:
    payload = PayloadEncoder().encode({"messages": [{"a": 1}, {"b": 2}]})
    partial = {d: b for d, b in payload.blobs.items() if d == payload.root}
    store.write(WriteBatch(blobs=partial))
    with pytest.raises(MissingPayload):
        load_payload(store, payload.root)


def _stored_bytes(store: Store, digests: set[str]) -> int:
    return sum(len(b) for b in store.get_blobs(digests).values())


def test_a_growing_conversation_is_stored_in_linear_space(store: Store) -> None:
    encoder = PayloadEncoder()
    messages: list[dict[str, str]] = []
    written: set[str] = set()
    roots: list[str] = []
    naive = 0
    stored_at: dict[int, int] = {}
    for turn in range(1, 201):
        messages.append({"role": "user", "content": f"question {turn:04d} " + "q" * 120})
        request = {"model": "gpt-4o-mini", "messages": list(messages)}
        payload = encoder.encode(request)
        store.write(WriteBatch(blobs=payload.blobs))
        written.update(payload.blobs)
        roots.append(payload.root)
        naive += len(payload.blobs[payload.root]) + sum(len(m["content"]) for m in messages)
        messages.append({"role": "assistant", "content": f"answer {turn:04d} " + "a" * 120})
        if turn in (50, 100, 200):
            stored_at[turn] = _stored_bytes(store, written)

    # Twice the turns, about twice the bytes (a quadratic store would be 4x).
    assert 1.8 < stored_at[200] / stored_at[100] < 2.2
    assert 1.8 < stored_at[100] / stored_at[50] < 2.2
    # Storing each request whole would have cost about 40 times as much.
    assert stored_at[200] * 20 < naive

    # And every turn reads back as sent, from the first to the last.
    for turn in (1, 2, 100, 200):
        got = load_payload(store, roots[turn - 1])
        assert got["messages"] == messages[: 2 * turn - 1]
        assert got["model"] == "gpt-4o-mini"
