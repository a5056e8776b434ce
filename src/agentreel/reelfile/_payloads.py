"""Which blobs a session needs, and checking that a blob is what its digest says.

Blobs are written by :class:`agentreel.payloads.PayloadEncoder`. Most are
named by the SHA-256 of their bytes; chain nodes (``{"@chain": [prefix,
items]}``) are named by a rolling hash over the digests of the list items they
stand for, so that the same list gets the same name however its prefix was
stored. Both can be recomputed from a blob and the digests it mentions, which
is all an importer needs to refuse a blob that was edited or damaged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, TypeGuard

import orjson

from agentreel.errors import MissingPayload
from agentreel.payloads import Fetch, digest_of

# Must equal the seed in agentreel.payloads._blobs; the round-trip tests encode
# chains with the real encoder and would reject every chain node if they drifted.
_CHAIN_SEED = hashlib.sha256(b"agentreel chain v1").digest()

_DIGEST = re.compile(r"[0-9a-f]{64}")
_MARKER = b'"@'
_LIT = b'"@lit"'
# orjson writes compact JSON: {"@blob":"<digest>"} and {"@chain":["<prefix>",[...]]}.
_REFERENCE = re.compile(rb'"@(?:blob":"|chain":\[")([0-9a-f]{64})"')


class MalformedBlob(ValueError):
    """A blob's markers do not have the shape the payload encoder writes."""


def is_digest(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def references(value: Any) -> list[str]:
    """Digests a blob mentions (``@blob`` targets, ``@chain`` prefixes), in order."""
    found: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if len(v) == 1:
                ((key, inner),) = v.items()
                if key == "@blob":
                    found.append(_digest(inner, "@blob"))
                    continue
                if key == "@chain":
                    prefix, items = _chain_parts(inner)
                    if prefix is not None:
                        found.append(prefix)
                    stack.extend(reversed(items))
                    continue
                if key == "@lit":
                    if not isinstance(inner, dict):
                        raise MalformedBlob("an @lit marker must wrap an object")
                    stack.extend(reversed(list(inner.values())))
                    continue
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return found


def expected_digest(value: Any, data: bytes) -> str:
    """The digest a blob with parsed ``value`` and canonical bytes ``data`` must have."""
    if isinstance(value, dict) and len(value) == 1 and "@chain" in value:
        prefix, items = _chain_parts(value["@chain"])
        h = _CHAIN_SEED if prefix is None else bytes.fromhex(prefix)
        for item in items:
            h = hashlib.sha256(h + bytes.fromhex(_digest(item.get("@blob"), "@blob"))).digest()
        return h.hex()
    return digest_of(data)


def reachable(fetch: Fetch, roots: Iterable[str], skip: set[str]) -> list[tuple[str, bytes]]:
    """Every blob reachable from ``roots`` and not in ``skip``, roots first.

    ``skip`` holds blobs already collected, whose own closure is then known to
    be collected too; it is updated. Blobs are fetched one level at a time so a
    store answers each level in one query. A blob the store lacks raises
    :class:`~agentreel.errors.MissingPayload`: a reel file must be complete.
    """
    collected: list[tuple[str, bytes]] = []
    level = _fresh(roots, skip)
    while level:
        found = fetch(level)
        following: list[str] = []
        for digest in level:
            data = found.get(digest)
            if data is None:
                raise MissingPayload(digest)
            data = bytes(data)
            collected.append((digest, data))
            following.extend(_stored_references(data))
        level = _fresh(following, skip)
    return collected


def _stored_references(data: bytes) -> list[str]:
    """:func:`references` of a blob the encoder wrote, read off its bytes.

    Replay and export load every blob of a session through here. Every
    marker is an object key starting with "@", so most blobs (chat messages,
    tool results) are leaves with no '"@' at all; the rest are chain nodes
    and request roots, whose references a scan of the bytes finds in the
    order :func:`references` gives. Only a blob holding ``@lit`` (a user dict
    shaped like a marker, which a scan would mistake for one) is parsed.
    """
    if data.find(_MARKER) < 0:
        return []
    if data.find(_LIT) < 0:
        found = _REFERENCE.findall(data)
        # Any other spelling (a reel file written with spaces, say) is parsed.
        markers = data.count(b'"@blob"') + data.count(b'"@chain"') - data.count(b'"@chain":[null')
        if len(found) == markers:
            return [m.decode() for m in found]
    return references(orjson.loads(data))


def _fresh(digests: Iterable[str], seen: set[str]) -> list[str]:
    out: list[str] = []
    for d in digests:
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def _digest(value: object, marker: str) -> str:
    if not is_digest(value):
        raise MalformedBlob(f"an {marker} marker must name a 64-hex-digit digest")
    return value


def _chain_parts(inner: object) -> tuple[str | None, list[dict[str, Any]]]:
    if not (isinstance(inner, list) and len(inner) == 2):
        raise MalformedBlob("a @chain marker must hold [prefix, items]")
    prefix, items = inner
    if prefix is not None:
        prefix = _digest(prefix, "@chain prefix")
    # An empty chain node would be named by its own prefix: a loop, never written.
    if not isinstance(items, list) or not items:
        raise MalformedBlob("a @chain marker must list at least one item")
    for item in items:
        if not (isinstance(item, dict) and len(item) == 1 and "@blob" in item):
            raise MalformedBlob("@chain items must be @blob markers")
    return prefix, items
