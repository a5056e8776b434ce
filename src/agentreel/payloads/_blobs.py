"""Content-addressed payload storage: a JSON value in, blobs keyed by digest out.

Agents resend their whole growing conversation on every model call. Storing
each call's input as one blob would make a session O(n²) in its length; storing
each message as its own blob and the message list as a list of digests would
still be O(n²) in digests. So lists of objects (messages, tool calls, search
hits) are stored as *chains*: a chain node names the chain node of a prefix of
the list plus the digests of the items after it. A conversation resent with
one more message adds one message blob and one small chain node.

A chain node's digest is a rolling hash over its items' digests, so the same
list gets the same digest however its prefix was stored before.

Blobs are JSON with the keys in the order the program had them: replay serves
payloads back to the program, and an agent that turns a served dict into
prompt text must get the same text it got when it was recorded. (Digests used
for *comparing* requests are taken over :func:`dumps`, which sorts keys.) In
blobs, ``{"@blob": digest}`` stands
for a stored value and ``{"@chain": [prefix_digest_or_null, [item, ...]]}`` is
a chain node. A user dict that happens to look like a marker is wrapped as
``{"@lit": value}`` so that reading it back gives exactly what was written.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from agentreel.errors import MissingPayload

_MARKERS = frozenset({"@blob", "@chain", "@lit"})
_CHAIN_SEED = hashlib.sha256(b"agentreel chain v1").digest()
_MARKER_BYTES = b'"@'
_BLOB_OPTION = orjson.OPT_NON_STR_KEYS
_dumps = orjson.dumps
_sha256 = hashlib.sha256
#: ``map(isinstance, items, _DICTS)``: whether each item is a dict, without a Python loop.
_DICTS = itertools.repeat(dict)
#: Chain links, and bytes of chained items, an encoder remembers before it starts afresh.
_MAX_LINKS = 8192
_MAX_ITEM_BYTES = 16 * 1024 * 1024
#: Lists shorter than this are stored inline: chaining them saves nothing.
MIN_CHAIN = 2

Fetch = Callable[[Collection[str]], Mapping[str, bytes]]


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of a JSON-safe value."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def dump_blob(value: Any) -> bytes:
    """The stored bytes of a blob: JSON in the value's own key order."""
    return _dumps(value, option=_BLOB_OPTION)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class EncodedPayload:
    """A payload's root digest and the blobs (digest → bytes) it needs."""

    root: str
    blobs: dict[str, bytes]


class _Memo:
    """What hashing chained items taught: item digests and chain links.

    Both are functions of bytes alone, the same for every encoder, so one
    memory serves the whole process: a replay digests each live request to
    match it, and the recorder's writer then encodes the same request to
    store it, finding every digest and link already computed. Dict reads and
    writes are atomic under the GIL; a clear racing another thread's loop
    only makes that loop compute a few hashes again.
    """

    __slots__ = ("item_bytes", "items", "links")

    def __init__(self) -> None:
        #: An item's bytes -> its digest, as hex and raw.
        self.items: dict[bytes, tuple[str, bytes]] = {}
        #: Bytes of the items in ``items``.
        self.item_bytes = 0
        #: (rolling hash so far, next item's raw digest) -> the rolling hash after it.
        self.links: dict[tuple[bytes, bytes], bytes] = {}

    def bound(self) -> None:
        """Start afresh if full: checked before each value, so that one
        value's work is all the memory ever holds beyond its bounds."""
        if len(self.links) >= _MAX_LINKS or self.item_bytes >= _MAX_ITEM_BYTES:
            self.clear()

    def clear(self) -> None:
        self.items.clear()
        self.links.clear()
        self.item_bytes = 0


_MEMO = _Memo()


class PayloadEncoder:
    """Encodes JSON-safe values into blobs, remembering chain nodes it wrote.

    ``known`` holds the names (as raw hashes) of chain nodes already stored;
    the encoder links new chains onto the longest known prefix. It is bounded
    by ``max_known`` and simply forgets (losing some sharing, never
    correctness) when full. Which items and links hash to what is remembered
    once for every encoder of the process (see ``_Memo``).
    """

    def __init__(self, max_known: int = 100_000) -> None:
        #: Raw rolling hashes of chain nodes already stored.
        self._known: MutableMapping[bytes, bool] = {}
        self._max_known = max_known
        self._memo = _MEMO
        self._items = _MEMO.items
        self._links = _MEMO.links

    def encode(self, value: Any) -> EncodedPayload:
        self._memo.bound()
        data = _plain(value)
        if data is not None:
            root = digest_of(data)
            return EncodedPayload(root, {root: data})
        blobs: dict[str, bytes] = {}
        tree = self._encode(value, blobs, chain=True)
        data = dump_blob(tree)
        root = digest_of(data)
        blobs[root] = data
        return EncodedPayload(root, blobs)

    def root_of(self, value: Any) -> str:
        """The root digest :meth:`encode` gives ``value``, without making its blobs.

        A digest does not depend on which chain prefixes are already stored,
        so this neither reads nor updates that memory (replay uses it to match
        a live request against the recorded ``input_ref``).
        """
        self._memo.bound()
        # A request with a list of objects at the top (a conversation) is
        # never its own blob: skip dumping it whole only to find that out.
        data = None if _has_object_list(value) else _plain(value)
        if data is None:
            data = dump_blob(self._encode(value, None, chain=True))
        return digest_of(data)

    def _encode(self, value: Any, blobs: dict[str, bytes] | None, *, chain: bool) -> Any:
        if isinstance(value, dict):
            out = {k: self._encode(v, blobs, chain=chain) for k, v in value.items()}
            if len(out) == 1 and next(iter(out)) in _MARKERS:
                return {"@lit": out}
            return out
        if isinstance(value, list):
            if chain and len(value) >= MIN_CHAIN and all(map(isinstance, value, _DICTS)):
                return {"@blob": self._chain(value, blobs)}
            return [self._encode(v, blobs, chain=chain) for v in value]
        return value

    def _chain(self, items: list[Any], blobs: dict[str, bytes] | None) -> str:
        # A conversation is resent with one more message on every call (or,
        # trimmed to a window, with its oldest messages left out): most items
        # were seen before, and often after the same prefix. So each item's
        # digest is remembered by its bytes, and each link of the chain,
        # (rolling hash so far, item digest) -> rolling hash after it, too; a
        # known item costs a dict lookup instead of a hash, a known link
        # another lookup instead of a second one. Rolling hashes stay raw
        # bytes: only the chain's own name is written out as hex.
        if blobs is None:
            return self._rolling(items).hex()
        digests: list[str] = []
        rolling: list[bytes] = []
        for d, h in self._walk_chain(items, blobs):
            digests.append(d)
            rolling.append(h)
        h = rolling[-1] if rolling else _CHAIN_SEED
        full = h.hex()
        if h in self._known:
            return full
        start = 0
        prefix: str | None = None
        for i in range(len(rolling) - 2, -1, -1):
            if rolling[i] in self._known:
                prefix, start = rolling[i].hex(), i + 1
                break
        node = {"@chain": [prefix, [{"@blob": d} for d in digests[start:]]]}
        blobs[full] = dump_blob(node)
        if len(self._known) >= self._max_known:
            self._known.clear()
        self._known[h] = True
        return full

    def _rolling(self, items: list[Any]) -> bytes:
        """The rolling hash over ``items``, nothing else kept (a replay digests
        every live request this way)."""
        last: tuple[str, bytes] = ("", _CHAIN_SEED)
        for last in self._walk_chain(items, None):  # noqa: B007 - only the last one counts
            pass
        return last[1]

    def _walk_chain(
        self, items: list[Any], blobs: dict[str, bytes] | None
    ) -> Iterator[tuple[str, bytes]]:
        """Each item's digest and the rolling hash after it, in order; the
        items' blobs go into ``blobs`` unless it is None."""
        memo, links, h = self._items, self._links, _CHAIN_SEED
        for item in items:
            data = _dumps(item, option=_BLOB_OPTION)
            # Only a dict shaped like a marker needs rewriting (as @lit), and
            # every marker key starts with '"@' in JSON; without those bytes
            # the item's own JSON is its blob, and no walk over it is needed.
            if data.find(_MARKER_BYTES) >= 0:
                data = dump_blob(self._encode(item, blobs, chain=False))
            known = memo.get(data)
            if known is None:
                raw = _sha256(data).digest()
                known = memo[data] = (raw.hex(), raw)
                self._memo.item_bytes += len(data)
            d, raw = known
            after = links.get((h, raw))
            if after is None:
                after = links[h, raw] = _sha256(h + raw).digest()
            h = after
            if blobs is not None:
                blobs[d] = data
            yield d, h


def _has_object_list(value: Any) -> bool:
    """Whether ``value`` is a dict with a non-empty list of objects among its values."""
    if type(value) is not dict:
        return False
    # A loop, not any() over a generator: this runs for every live request.
    for v in value.values():  # noqa: SIM110
        if type(v) is list and v and type(v[0]) is dict:
            return True
    return False


def _plain(value: Any) -> bytes | None:
    """``value``'s blob when it is its own: no list of objects to chain, no marker.

    A list of objects starts with the bytes ``[{`` in JSON and every marker
    key with ``"@``; without either the encoder would change nothing, and the
    walk over the value is skipped (most tool inputs and outputs).
    """
    data = dump_blob(value)
    if data.find(b"[{") < 0 and data.find(_MARKER_BYTES) < 0:
        return data
    return None


def decode_payload(root: str, fetch: Fetch) -> Any:
    """Read back the value whose root digest is ``root``; ``fetch`` loads blobs.

    Raises :class:`~agentreel.errors.MissingPayload` if a blob is absent.
    """
    cache: dict[str, Any] = {}

    def load(digests: Collection[str]) -> None:
        wanted = [d for d in digests if d not in cache]
        if not wanted:
            return
        found = fetch(wanted)
        for d in wanted:
            if d not in found:
                raise MissingPayload(d)
            cache[d] = orjson.loads(found[d])

    # Load level by level so a store can answer each level in one query.
    pending = {root}
    while pending:
        load(pending)
        nxt: set[str] = set()
        for d in pending:
            _collect_refs(cache[d], nxt)
        pending = {d for d in nxt if d not in cache}

    def build(value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, inner),) = value.items()
                if key == "@blob":
                    return build(cache[inner])
                if key == "@lit":
                    return {k: build(v) for k, v in inner.items()}
                if key == "@chain":
                    return _unchain(value, cache, build)
            return {k: build(v) for k, v in value.items()}
        if isinstance(value, list):
            return [build(v) for v in value]
        return value

    return build(cache[root])


def _unchain(node: dict[str, Any], cache: dict[str, Any], build: Callable[[Any], Any]) -> list[Any]:
    segments: list[list[Any]] = []
    while True:
        prefix, items = node["@chain"]
        segments.append(items)
        if prefix is None:
            break
        node = cache[prefix]
    out: list[Any] = []
    for items in reversed(segments):
        out.extend(build(item) for item in items)
    return out


def _collect_refs(value: Any, into: set[str]) -> None:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if len(v) == 1:
                key = next(iter(v))
                if key == "@blob":
                    into.add(v[key])
                    continue
                if key == "@chain":
                    prefix, items = v[key]
                    if prefix is not None:
                        into.add(prefix)
                    stack.extend(items)
                    continue
                if key == "@lit":
                    stack.extend(v[key].values())
                    continue
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
