"""Reading a session's payloads in a few batched queries, without rebuilding conversations.

``agentreel.payloads.decode_payload`` rebuilds one value from its blobs. The
detectors read every model call of a session, and each call's input holds the
whole conversation so far: decoding each one rebuilds the same messages again
and again (quadratic in the session's length). This reader instead fetches
every blob the session's payloads reach, level by level across all steps at
once, keeps the parsed blobs, and builds values on demand, each stored value
once. Message lists stay chains: :meth:`Payloads.head` builds only the first
items of a list, which is where instructions live, and :meth:`Payloads.fresh`
yields only the items a chain node added.

The blob format is the one ``agentreel.payloads`` documents: ``{"@blob": d}``
stands for a stored value, ``{"@chain": [prefix, [item, ...]]}`` is a chain
node, and ``{"@lit": value}`` wraps a dict that looks like a marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import orjson

from agentreel.errors import MissingPayload
from agentreel.storage import Store

__all__ = ["HEAD", "Payloads"]

_T = TypeVar("_T")

_MARKERS = frozenset({"@blob", "@chain", "@lit"})
#: A reference to another blob in a blob's canonical JSON: a stored value, or a chain's prefix.
_REF = re.compile(rb'"@(?:blob":"|chain":\[")([0-9a-f]+)"')
#: A chain node that extends another list (its prefix is not null).
_EXTENDS = re.compile(rb'\{"@chain":\["([0-9a-f]+)"')
#: Items of a list that :meth:`Payloads.head` builds: enough for the system
#: prompt, developer messages and the first user message of a conversation.
HEAD = 8


def _marker(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key in _MARKERS:
            return key, inner
    return None


class Payloads:
    """The blobs of one session's payloads, parsed once; values built on demand.

    Values are shared between the callers that ask for them: treat them as
    read-only. A blob the store lacks makes every value that needs it raise
    :class:`~agentreel.errors.MissingPayload`; ``missing`` lists such digests.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._bytes: dict[str, bytes] = {}
        self._parsed: dict[str, Any] = {}
        self._built: dict[str, Any] = {}
        self._heads: dict[str, list[Any]] = {}
        self._derived: dict[tuple[str, object], Any] = {}
        self._remembered: dict[int, tuple[object, Any]] = {}
        #: Blobs with no marker in them: parsed, they are already their value.
        self._plain: set[str] = set()
        self.missing: set[str] = set()

    def prefetch(self, roots: Iterable[str], *, lists: bool = True) -> None:
        """Fetch every blob reachable from ``roots``, one query per level.

        References are found in the canonical JSON bytes themselves (a quote
        inside a JSON string is escaped, so ``"@blob":"`` cannot occur in
        one); blobs are parsed only when read. With ``lists=False`` a chain
        node that extends another is followed to its prefix but not to its
        items: those are the later messages of a conversation, which only a
        full read needs (and gets, one blob at a time).
        """
        pending = {r for r in roots if r not in self._bytes and r not in self.missing}
        while pending:
            found = self._store.get_blobs(pending)
            nxt: set[str] = set()
            for digest in pending:
                data = found.get(digest)
                if data is None:
                    self.missing.add(digest)
                    continue
                self._bytes[digest] = data
                if b'"@' not in data:
                    self._plain.add(digest)
                elif not lists and (extends := _EXTENDS.match(data)) is not None:
                    nxt.add(extends.group(1).decode())
                else:
                    nxt.update(m.decode() for m in _REF.findall(data))
            pending = {d for d in nxt if d not in self._bytes and d not in self.missing}

    def raw(self, digest: str) -> Any:
        """The parsed blob ``digest`` (markers left in), fetching it if needed."""
        if digest in self._parsed:
            return self._parsed[digest]
        data = self._bytes.get(digest)
        if data is None:
            self.prefetch((digest,))
            data = self._bytes.get(digest)
            if data is None:
                raise MissingPayload(digest)
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.missing.add(digest)
            raise MissingPayload(digest) from None
        self._parsed[digest] = value
        return value

    def value(self, digest: str) -> Any:
        """The stored value ``digest``, fully built."""
        if digest in self._plain:
            return self.raw(digest)
        return self.build({"@blob": digest})

    def build(self, node: Any) -> Any:
        """Turn a parsed node (a blob's content, or part of it) into the value it stands for."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, inner),) = node.items()
                if key == "@blob":
                    if inner in self._plain:
                        return self.raw(inner)
                    if inner not in self._built:
                        self._built[inner] = self.build(self.raw(inner))
                    return self._built[inner]
                if key == "@lit":
                    return {k: self.build(v) for k, v in inner.items()}
                if key == "@chain":
                    return list(self._items(node))
            return {k: self.build(v) if isinstance(v, dict | list) else v for k, v in node.items()}
        if isinstance(node, list):
            return [self.build(v) if isinstance(v, dict | list) else v for v in node]
        return node

    def _items(self, chain: Any) -> Iterator[Any]:
        segments: list[list[Any]] = []
        node = chain
        while True:
            prefix, items = node["@chain"]
            segments.append(items)
            if prefix is None:
                break
            node = self.raw(prefix)
        for items in reversed(segments):
            for item in items:
                yield self.build(item)

    def _chain_of(self, node: Any) -> tuple[str | None, Any]:
        """``(digest, chain node)`` when ``node`` is a stored list, else ``(None, node)``."""
        digest = self.item_key(node)
        if digest is None:
            return None, node
        inner = self.raw(digest)
        if type(inner) is dict and len(inner) == 1 and "@chain" in inner:
            return digest, inner
        return None, inner

    def head(self, node: Any) -> list[Any]:
        """The first :data:`HEAD` items of the list ``node`` stands for, built."""
        return [self.build(item) for item in self.head_items(node)]

    def head_items(self, node: Any) -> list[Any]:
        """The first :data:`HEAD` items of a list, unbuilt (``{"@blob": d}`` or inline).

        Each chain node's head is computed once, from its prefix's, so asking
        for the head of every call's conversation costs O(1) per call.
        """
        if type(node) is dict and len(node) == 1:
            known = self._heads.get(node.get("@blob"))  # type: ignore[arg-type]
            if known is not None:
                return known
        digest, target = self._chain_of(node)
        if digest is None:
            return list(target[:HEAD]) if isinstance(target, list) else []
        # Walk down to the nearest node whose head is known (or the first
        # node), iteratively: a conversation may be thousands of nodes deep.
        path: list[str] = []
        cursor: str | None = digest
        while cursor is not None and cursor not in self._heads:
            path.append(cursor)
            prefix = self.raw(cursor)["@chain"][0]
            cursor = prefix if isinstance(prefix, str) else None
        head = self._heads[cursor] if cursor is not None else []
        for chain in reversed(path):
            if len(head) < HEAD:
                head = head + list(self.raw(chain)["@chain"][1][: HEAD - len(head)])
            self._heads[chain] = head
        return head

    def fresh(self, node: Any) -> list[Any]:
        """The items the chain node added to its prefix (all items of a plain list), unbuilt."""
        digest, target = self._chain_of(node)
        if digest is None:
            return list(target) if isinstance(target, list) else []
        _, items = target["@chain"]
        return list(items)

    def derive(self, node: Any, compute: Callable[[Any], _T]) -> _T:
        """``compute(value of node)``, once per stored value (every time for inline ones)."""
        stored = self.item_key(node)
        if stored is None:
            return compute(self.build(node))
        key = (stored, compute)
        if key not in self._derived:
            self._derived[key] = compute(self.build(node))
        return self._derived[key]  # type: ignore[no-any-return]

    def remember(self, key: object, compute: Callable[[], _T]) -> _T:
        """``compute()``, once per object ``key`` (kept alive, so its identity stays its own)."""
        found = self._remembered.get(id(key))
        if found is None or found[0] is not key:
            found = self._remembered[id(key)] = (key, compute())
        value: _T = found[1]
        return value

    def item_key(self, item: Any) -> str | None:
        """A stable identity of a list item: its digest when it is stored on its own."""
        # Not through _marker: this runs several times for every model call.
        if type(item) is dict and len(item) == 1:
            digest = item.get("@blob")
            if isinstance(digest, str):
                return digest
        return None
