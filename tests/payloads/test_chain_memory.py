"""What an encoder remembers of the chains it made saves work and never changes a digest."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from agentreel.payloads import PayloadEncoder, _blobs, decode_payload

SYSTEM = {"role": "system", "content": "You fix failing tests."}


def _fresh() -> PayloadEncoder:
    """An encoder with a memory of its own: a reference no earlier work can sway."""
    shared = _blobs._MEMO
    _blobs._MEMO = _blobs._Memo()
    try:
        return PayloadEncoder()
    finally:
        _blobs._MEMO = shared


def _windows(calls: int, keep: int) -> list[dict[str, Any]]:
    """The requests of an agent that resends its last ``keep`` messages on every call."""
    window: list[dict[str, Any]] = []
    requests = []
    for i in range(calls):
        window = [*window[-keep:], {"role": "user", "content": f"turn {i}"}]
        requests.append({"model": "m", "messages": [SYSTEM, *window]})
        window.append({"role": "assistant", "content": f"answer {i}"})
    return requests


@pytest.mark.parametrize("keep", [3, 100], ids=["sliding window", "growing"])
def test_a_reused_encoder_gives_the_digests_of_a_fresh_one_and_reads_back(keep: int) -> None:
    reused = PayloadEncoder()
    stored: dict[str, bytes] = {}
    for request in _windows(40, keep):
        root = _fresh().encode(request).root
        assert reused.root_of(request) == root
        # A reused encoder links new chain nodes onto the ones it wrote before.
        encoded = reused.encode(request)
        assert encoded.root == root
        stored.update(encoded.blobs)
        assert decode_payload(root, lambda digests: stored) == request


def test_the_item_memory_starts_afresh_when_it_holds_too_many_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_blobs, "_MAX_ITEM_BYTES", 200)
    encoder = PayloadEncoder()
    for request in _windows(30, 3):
        assert encoder.root_of(request) == _fresh().root_of(request)
        # Cleared when over the bound, then filled by one request at most.
        assert encoder._memo.item_bytes <= 200 + len(_blobs.dump_blob(request))


def test_a_list_item_shaped_like_a_marker_is_chained_as_a_literal() -> None:
    # The item's own bytes hold '"@', so it is walked (and wrapped as @lit)
    # before it is hashed; a reused encoder must not skip that.
    request = {"hits": [{"@blob": "not a digest"}, {"id": 2}]}
    reused = PayloadEncoder()
    first = reused.encode(request)
    assert reused.encode(request).root == first.root == _fresh().root_of(request)
    assert b'{"@lit":{"@blob":"not a digest"}}' in first.blobs.values()


def test_an_encoder_finds_the_hashes_another_encoder_computed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A replay digests a request to match it, then the recorder's writer
    # encodes the same request with an encoder of its own: it must not hash
    # the conversation's items and links again.
    fresh = uuid.uuid4().hex  # items no earlier test can have taught the memory
    messages = [{"role": "user", "content": f"{fresh} turn {i}"} for i in range(5)]
    request = {"model": "m", "messages": [SYSTEM, *messages]}
    root = PayloadEncoder().root_of(request)
    hashed: list[bytes] = []

    def counting(data: bytes) -> Any:
        hashed.append(data)
        return hashlib.sha256(data)

    monkeypatch.setattr(_blobs, "_sha256", counting)
    encoded = PayloadEncoder().encode(request)
    assert encoded.root == root
    assert hashed == []
    assert decode_payload(root, lambda digests: encoded.blobs) == request
