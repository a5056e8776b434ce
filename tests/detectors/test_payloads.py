"""The detectors' payload reader gives back exactly what agentreel.payloads stored."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentreel.detectors._payloads import HEAD, Payloads
from agentreel.errors import MissingPayload
from agentreel.payloads import PayloadEncoder, decode_payload
from agentreel.storage import MemoryStore, WriteBatch

# orjson holds 64-bit integers; the recorder turns bigger ones into text first.
_leaf = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8)
_json: st.SearchStrategy[Any] = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "@blob", "@lit", "@chain"]), inner, max_size=3)
        | st.lists(
            st.dictionaries(st.sampled_from(["role", "content"]), inner, max_size=2),
            min_size=2,
            max_size=12,
        )
    ),
    max_leaves=25,
)


def _store(values: list[Any]) -> tuple[MemoryStore, list[str]]:
    """Encode ``values`` with one encoder (later lists chain onto earlier ones) into a store."""
    encoder = PayloadEncoder()
    blobs: dict[str, bytes] = {}
    roots = []
    for value in values:
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        roots.append(encoded.root)
    store = MemoryStore()
    store.write(WriteBatch(blobs=blobs))
    return store, roots


@settings(max_examples=60, deadline=None)
@given(st.lists(_json, min_size=1, max_size=4), st.booleans())
def test_values_read_back_as_stored(values: list[Any], shallow: bool) -> None:
    store, roots = _store(values)
    payloads = Payloads(store)
    payloads.prefetch(roots, lists=not shallow)
    for root in roots:
        assert payloads.value(root) == decode_payload(root, store.get_blobs)


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=30))
def test_the_head_of_a_growing_conversation(turns: int) -> None:
    conversation = [{"role": "system", "content": "rules"}]
    requests = []
    for i in range(turns):
        conversation = [*conversation, {"role": "user" if i % 2 else "tool", "content": str(i)}]
        requests.append({"messages": conversation})
    store, roots = _store(requests)
    payloads = Payloads(store)
    payloads.prefetch(roots, lists=False)
    for root, request in zip(roots, requests, strict=True):
        head = payloads.head(payloads.raw(root)["messages"])
        assert head == request["messages"][:HEAD]


def test_a_missing_blob_raises_where_it_is_needed() -> None:
    store, (root,) = _store([{"messages": [{"a": 1}, {"b": 2}]}])
    broken = MemoryStore()
    broken.write(WriteBatch(blobs={root: store.get_blobs([root])[root]}))
    payloads = Payloads(broken)
    payloads.prefetch([root])
    assert payloads.missing
    with pytest.raises(MissingPayload):
        payloads.value(root)
