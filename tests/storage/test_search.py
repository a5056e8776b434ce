"""SessionFilter.text: search over session names and the payloads of their steps."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.model import Session
from agentreel.payloads import PayloadEncoder, digest_of
from agentreel.storage import SessionFilter, Store, WriteBatch

from ._factories import T0, Factory


def _found(store: Store, text: str, **fields: Any) -> list[str]:
    return [s.session.name for s in store.list_sessions(SessionFilter(text=text, **fields))]


def _record(
    store: Store, make: Factory, name: str, calls: list[tuple[Any, Any]], **fields: Any
) -> Session:
    """A session whose steps had these (input, output) payloads."""
    session = make.session(name=name, **fields)
    encoder = PayloadEncoder()
    rows = []
    blobs: dict[str, bytes] = {}
    for n, (given, answer) in enumerate(calls, start=1):
        refs = []
        for value in (given, answer):
            if value is None:
                refs.append(None)
                continue
            payload = encoder.encode(value)
            blobs.update(payload.blobs)
            refs.append(payload.root)
        rows.append(make.row(session.id, n, kind="llm", input_ref=refs[0], output_ref=refs[1]))
    store.write(WriteBatch(sessions=[session], steps=rows, blobs=blobs))
    return session


def _chat(*contents: str) -> dict[str, Any]:
    return {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": c} for c in contents],
    }


@pytest.fixture
def recorded(store: Store, make: Factory) -> None:
    _record(
        store,
        make,
        "weather bot",
        [
            (_chat("What is the Weather in Zürich?", "and tomorrow"), {"text": "Sunny, 21°C"}),
            # The conversation grows: the earlier messages are only in the
            # chain the first call stored.
            (_chat("What is the Weather in Zürich?", "and tomorrow", "thanks"), None),
        ],
        started_at=T0 + 2,
    )
    _record(
        store,
        make,
        "refund agent",
        [({"tool": "lookup_order", "args": {"order": "A-1001"}}, {"status": "SHIPPED"})],
        started_at=T0 + 1,
        project="shop",
    )
    _record(store, make, "Weather report (no steps)", [], started_at=T0)


def test_names_and_payloads_are_searched(store: Store, recorded: None) -> None:
    assert _found(store, "weather") == ["weather bot", "Weather report (no steps)"]
    assert _found(store, "order") == ["refund agent"]  # in a tool argument key
    assert _found(store, "a-1001") == ["refund agent"]
    assert _found(store, "shipped") == ["refund agent"]  # an output
    assert _found(store, "SUNNY") == ["weather bot"]
    assert _found(store, "ZÜRICH") == ["weather bot"]  # not only ASCII folds
    assert _found(store, "21°c") == ["weather bot"]
    assert _found(store, "no such words") == []


def test_the_earlier_part_of_a_growing_conversation_is_found(store: Store, make: Factory) -> None:
    encoder = PayloadEncoder()
    first = encoder.encode(_chat("the needle is here", "second"))
    later = encoder.encode(_chat("the needle is here", "second", "third"))
    # The later call's new blobs link to the chain the first call stored.
    added = {d: data for d, data in later.blobs.items() if d not in first.blobs}
    assert not any(b"needle" in data for data in added.values())
    a = make.session(name="a")
    b = make.session(name="b")
    store.write(WriteBatch(sessions=[a, b], blobs=first.blobs))
    store.write(WriteBatch(steps=[make.row(b.id, 1, input_ref=later.root)], blobs=added))
    # Session a wrote nothing that refers to these blobs.
    assert _found(store, "NEEDLE") == ["b"]


def test_wildcards_and_sql_are_plain_text(store: Store, recorded: None, make: Factory) -> None:
    _record(store, make, "odd", [({"q": "100% of a_b; DROP TABLE sessions; --"}, None)])
    assert _found(store, "%") == ["odd"]
    assert _found(store, "a_b") == ["odd"]
    assert _found(store, "' OR 1=1 --") == []
    assert _found(store, "drop table") == ["odd"]
    assert len(store.list_sessions()) == 4


def test_missing_and_binary_blobs_do_not_stop_the_search(store: Store, make: Factory) -> None:
    binary = bytes(range(256))
    digest = digest_of(binary)
    s = make.session(name="odd blobs")
    rows = [
        make.row(s.id, 1, input_ref="0" * 64),  # never stored
        make.row(s.id, 2, input_ref=digest, output_ref=digest),
    ]
    store.write(WriteBatch(sessions=[s], steps=rows, blobs={digest: binary}))
    assert _found(store, "anything") == []
    assert _found(store, "blobs") == ["odd blobs"]


def test_search_combines_with_the_other_filters(store: Store, recorded: None) -> None:
    assert _found(store, "weather", project="default", limit=1) == ["weather bot"]
    assert _found(store, "weather", limit=1, offset=1) == ["Weather report (no steps)"]
    assert _found(store, "weather", project="shop") == []
    assert _found(store, "weather", name="report") == ["Weather report (no steps)"]
    assert _found(store, "a-1001", order_by="name", descending=False) == ["refund agent"]
