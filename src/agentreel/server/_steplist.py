"""The step listing of a whole session, built fast: 10,000 steps in well under 100 ms.

``GET /api/sessions/{id}/steps`` answers every step of a session at once (the
UI draws the tree from it). Built with ``agentreel._units.step_json`` a step
cost about 30 µs, most of it formatting two times through ``datetime`` and
copying mappings orjson can read as they are. Here times are formatted from a
per-second cache (steps of a session share their seconds), the attributes
dict is handed to orjson untouched, and the keys come out in the same order
with the same values: ``tests/server/test_steplist.py`` holds the two equal.

Stores that can (SQLite, PostgreSQL) hand over the steps as database rows
instead (:func:`rows_json`): the attributes, the bulk of each step, go into
the answer as the JSON bytes the database holds (an ``orjson.Fragment``),
never decoded into dicts and encoded again, and no :class:`Step` is built.
That halved the listing of a 10,000-step session (``bench/api_fetch.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from agentreel._units import error_json, iso_utc, tokens_json
from agentreel.model import ErrorInfo, Step

__all__ = ["IsoCache", "depths", "depths_of", "rows_json", "steps_json"]

_NS_PER_S = 1_000_000_000


class IsoCache:
    """``iso_utc`` with the seconds part remembered (one listing's worth)."""

    __slots__ = ("_seconds",)

    def __init__(self) -> None:
        self._seconds: dict[int, str] = {}

    def __call__(self, ns: int | None) -> str | None:
        if ns is None:
            return None
        if ns < 0:
            return iso_utc(ns)  # before 1970: rare, and floor division differs
        seconds, rest = divmod(ns, _NS_PER_S)
        head = self._seconds.get(seconds)
        if head is None:
            text = iso_utc(seconds * _NS_PER_S)
            assert text is not None
            head = self._seconds[seconds] = text[:19]  # "YYYY-MM-DDTHH:MM:SS"
        return f"{head}.{rest // 1000:06d}Z"


def depths(steps: Sequence[Step]) -> dict[int, int]:
    """How deep each step sits in the tree (roots 0); parents outside the list are roots."""
    return depths_of((s.number, s.parent_number) for s in steps)


def depths_of(pairs: Iterable[tuple[int, int | None]]) -> dict[int, int]:
    """:func:`depths` from ``(number, parent_number)`` pairs."""
    parent = dict(pairs)
    found: dict[int, int] = {}
    for number in parent:
        chain: list[int] = []
        at: int | None = number
        while at is not None and at in parent and at not in found and at not in chain:
            chain.append(at)
            at = parent[at]
        base = found.get(at, -1) if at is not None else -1
        for n in reversed(chain):
            base += 1
            found[n] = base
    return found


def steps_json(steps: Iterable[Step], depth: dict[int, int]) -> list[dict[str, Any]]:
    """``step_json(step, depth=...)`` of every step, key for key, made faster."""
    iso = IsoCache()
    out = []
    for s in steps:
        started, ended = s.started_at, s.ended_at
        attributes = s.attributes
        out.append(
            {
                "number": s.number,
                "parent": s.parent_number,
                "span_id": s.span_id,
                "kind": s.kind.value,
                "name": s.name,
                "status": s.status.value,
                "started_at": iso(started),
                "ended_at": iso(ended),
                "duration_ms": None if ended is None else round((ended - started) / 1_000_000, 3),
                "model": s.model,
                "tokens": tokens_json(s.usage),
                "cost": s.cost,
                "error": None if s.error is None else error_json(s.error),
                # orjson reads a dict as it is; anything else is copied as step_json does.
                "attributes": attributes if type(attributes) is dict else dict(attributes),
                "input_ref": s.input_ref,
                "output_ref": s.output_ref,
                "depth": depth[s.number],
            }
        )
    return out


def rows_json(rows: Iterable[Sequence[Any]], depth: dict[int, int]) -> list[dict[str, Any]]:
    """:func:`steps_json` of steps given as store rows (``Store.get_step_rows``).

    The attributes stay the JSON the store holds, wrapped for orjson to copy
    into its output as they are: encode the result with orjson only. Every
    nested value is such a fragment, so each step's dict holds no container
    and the garbage collector never tracks it: with 10,000 tracked dicts
    alive, the server's full collections (which walk every object of the
    process, ~60 ms) ran every other listing.
    """
    iso = IsoCache()
    fragment = orjson.Fragment
    # Steps repeat a few token counts (tools have none, a model's calls are alike).
    tokens: dict[tuple[int, int, int, int], orjson.Fragment] = {}
    out = []
    for (_, number, span_id, parent, _, kind, name, status, started, ended, attributes,
         model, t_in, t_out, t_cached, t_reasoning, cost, input_ref, output_ref,
         error) in rows:  # fmt: skip
        out.append(
            {
                "number": number,
                "parent": parent,
                "span_id": span_id,
                "kind": kind,
                "name": name,
                "status": status,
                "started_at": iso(started),
                "ended_at": iso(ended),
                "duration_ms": None if ended is None else round((ended - started) / 1_000_000, 3),
                "model": model,
                "tokens": tokens.get((t_in, t_out, t_cached, t_reasoning))
                or _tokens(tokens, t_in, t_out, t_cached, t_reasoning),
                "cost": cost,
                "error": None if error is None else fragment(_error(error)),
                "attributes": fragment(attributes),
                "input_ref": input_ref,
                "output_ref": output_ref,
                "depth": depth[number],
            }
        )
    return out


def _error(stored: str | bytes) -> bytes:
    return orjson.dumps(error_json(ErrorInfo(**orjson.loads(stored))))


def _tokens(
    known: dict[tuple[int, int, int, int], orjson.Fragment],
    t_in: int,
    t_out: int,
    t_cached: int,
    t_reasoning: int,
) -> orjson.Fragment:
    # Counts are integers: their JSON is what str() gives.
    made = known[(t_in, t_out, t_cached, t_reasoning)] = orjson.Fragment(
        f'{{"input":{t_in},"output":{t_out},"cached":{t_cached},'
        f'"reasoning":{t_reasoning},"total":{t_in + t_out}}}'
    )
    return made
