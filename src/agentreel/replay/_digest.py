"""Request digests, computed the way ``agentreel.diff.request_digest`` computes them.

A recorded step and a live call match when their digests are equal: sha256 of
the canonical JSON of ``[DIGEST_VERSION, kind, name, normalise(input)]``. The
replay computes it from payloads it has already decoded (``request_digest``
would decode them again); a test checks both give the same digest.
"""

from __future__ import annotations

from agentreel.diff import DIGEST_VERSION, REDACTED
from agentreel.model import JSON
from agentreel.payloads import digest_of, dumps


def request_digest_of(kind: str, name: str, request: JSON) -> str:
    """The digest of a request whose input is already normalised."""
    return digest_of(dumps([DIGEST_VERSION, kind, name, request]))


def masked_paths(value: JSON, path: str) -> tuple[str, ...]:
    """Paths of the strings in ``value`` that hold a recorder's secret mask."""
    found: list[str] = []
    stack: list[tuple[JSON, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if REDACTED in item:
                found.append(where)
        elif isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return tuple(sorted(found))
