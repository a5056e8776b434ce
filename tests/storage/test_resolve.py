"""Resolving a session id from a prefix, the way users type them."""

from __future__ import annotations

import pytest

from agentreel.errors import AmbiguousId, UnknownSession
from agentreel.storage import Store, WriteBatch

from ._factories import Factory

IDS = [
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "4bf92f3577b34da6a3ce929d0e0e4737",
    "4bf93000000000000000000000000000",
    "a0000000000000000000000000000001",
    "ffffffffffffffffffffffffffffffff",
]


@pytest.fixture
def seeded(store: Store, make: Factory) -> Store:
    store.write(WriteBatch(sessions=[make.session(id=i) for i in IDS]))
    return store


def test_a_unique_prefix_resolves(seeded: Store) -> None:
    assert seeded.resolve_session_id("a") == IDS[3]
    assert seeded.resolve_session_id("4bf93") == IDS[2]
    assert seeded.resolve_session_id("fff") == IDS[4]


def test_a_full_id_resolves_to_itself(seeded: Store) -> None:
    for session_id in IDS:
        assert seeded.resolve_session_id(session_id) == session_id


def test_prefixes_are_case_insensitive(seeded: Store) -> None:
    assert seeded.resolve_session_id("A0") == IDS[3]
    assert seeded.resolve_session_id(IDS[0].upper()) == IDS[0]


def test_an_ambiguous_prefix_names_the_candidates(seeded: Store) -> None:
    with pytest.raises(AmbiguousId) as info:
        seeded.resolve_session_id("4bf9")
    assert info.value.prefix == "4bf9"
    assert info.value.candidates == IDS[:3]
    assert "3 sessions" in str(info.value)
    with pytest.raises(AmbiguousId) as info:
        seeded.resolve_session_id("4bf92f3577b34da6a3ce929d0e0e473")
    assert info.value.candidates == IDS[:2]


@pytest.mark.parametrize(
    "prefix",
    [
        "4bf94",  # sorts between two ids, matches neither
        "b",
        "0",
        "4bf92f3577b34da6a3ce929d0e0e47360",  # longer than any id
        "",  # would match everything: treated as no match, not as "all"
        "4bf9%",
        "4bf9_",
        "4bf9g",
        "ghij",
        "4bf9 ",
        "ünï",
    ],
)
def test_prefixes_that_match_nothing(seeded: Store, prefix: str) -> None:
    with pytest.raises(UnknownSession) as info:
        seeded.resolve_session_id(prefix)
    assert info.value.session_id == prefix


def test_an_empty_store_knows_no_prefix(store: Store) -> None:
    with pytest.raises(UnknownSession):
        store.resolve_session_id("a")
