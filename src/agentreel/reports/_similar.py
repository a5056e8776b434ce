"""The successful session most like a failed one, and where the two first part.

Candidates are the project's most recent sessions that ended ok. Similarity is
the ratio of matching (kind, name) steps between the two step sequences
(difflib's ratio: 1.0 for the same sequence), so a session that ran the same
agents and tools in the same order wins, whatever it was called; a run of the
same name, then the most recent, breaks ties.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from agentreel.diff import SessionDiff, StepPair, diff_sessions
from agentreel.model import SessionSummary, Status, Step
from agentreel.storage import SessionFilter, Store

from ._chain import path_of
from ._model import Comparison, Divergence, SessionRef, StepRef

__all__ = ["CANDIDATES", "compare_with_success"]

#: Recent successful sessions considered.
CANDIDATES = 50
#: Steps of each session compared; the start of a run is where runs part most.
PREFIX = 2000
#: Changed paths listed for the first divergence.
CHANGES_SHOWN = 5

StepMap = Mapping[int, Step]


def _shape(steps: Sequence[Step]) -> list[tuple[str, str]]:
    return [(str(s.kind), s.name) for s in steps[:PREFIX]]


def _divergence(pair: StepPair | None, steps_a: StepMap, steps_b: StepMap) -> Divergence | None:
    if pair is None:
        return None
    paths = list(dict.fromkeys(c.path for c in pair.changes))
    return Divergence(
        status=pair.status,
        other_step=None if pair.a is None else StepRef.of(pair.a, path_of(pair.a, steps_a)),
        step=None if pair.b is None else StepRef.of(pair.b, path_of(pair.b, steps_b)),
        changes=tuple(paths[:CHANGES_SHOWN]),
    )


def _inside(step: Step | None, outer: Step | None, steps: StepMap) -> bool:
    """Whether ``step`` is a descendant of ``outer`` (both of one session)."""
    if step is None or outer is None:
        return False
    seen: set[int] = set()
    parent = step.parent_number
    while parent is not None and parent not in seen:
        if parent == outer.number:
            return True
        seen.add(parent)
        above = steps.get(parent)
        parent = above.parent_number if above is not None else None
    return False


def _first(pairs: Sequence[StepPair], steps_a: StepMap, steps_b: StepMap) -> StepPair | None:
    """The first differing pair, passing over a parent when a step inside it differs too.

    A parent's output and status follow from its children's: an agent that
    failed because its tool failed is not where two runs part.
    """
    differing = [p for p in pairs if p.status != "same"]
    for pair in differing:
        if not any(
            _inside(q.a, pair.a, steps_a) or _inside(q.b, pair.b, steps_b)
            for q in differing
            if q is not pair
        ):
            return pair
    return None


def _comparison(result: SessionDiff, other: SessionRef, similarity: float) -> Comparison:
    steps_a = {p.a.number: p.a for p in result.pairs if p.a is not None}
    steps_b = {p.b.number: p.b for p in result.pairs if p.b is not None}
    structural = next((p for p in result.pairs if p.status in ("added", "removed")), None)
    return Comparison(
        other=other,
        similarity=similarity,
        counts=dict(result.counts),
        first=_divergence(_first(result.pairs, steps_a, steps_b), steps_a, steps_b),
        first_structural=_divergence(structural, steps_a, steps_b),
    )


def compare_with_success(
    store: Store, session: SessionRef, steps: Sequence[Step]
) -> tuple[Comparison | None, str | None]:
    """The comparison with the most similar successful session, or None and why not."""
    recent = store.list_sessions(
        SessionFilter(project=session.project, status=Status.OK, limit=CANDIDATES + 1)
    )
    candidates = [s for s in recent if s.session.id != session.id][:CANDIDATES]
    if not candidates:
        return None, f"no session of project {session.project!r} ended ok to compare with"
    shape = _shape(steps)

    def score(item: tuple[int, SessionSummary]) -> tuple[float, bool, int]:
        index, summary = item
        other = _shape(store.get_steps(summary.session.id))
        ratio = difflib.SequenceMatcher(None, shape, other, autojunk=False).ratio()
        return ratio, summary.session.name == session.name, -index

    scored = [(score(item), item[1]) for item in enumerate(candidates)]
    (ratio, _, _), chosen = max(scored, key=lambda pair: pair[0])
    other = SessionRef.of(chosen)
    result = diff_sessions(store, other.id, session.id)
    return _comparison(result, other, round(ratio, 3)), None
