"""The project's recent history: earlier sessions, summarised once and remembered.

Cost baselines and recurrence need, for each analysed session, the model
calls and failures of the project's recent sessions. Reading those sessions'
steps again for every analysis would make analysing a project quadratic, so
each session is reduced to a small :class:`Profile` (model-call sizes by
role, fingerprinted failures) that is remembered per store. A profile is
keyed by the session's id *and* its totals (step count, error count, last
step time, usage, cost): a session still being recorded, or re-imported,
gets a new profile rather than a stale one.
"""

from __future__ import annotations

import bisect
import statistics
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from agentreel.model import Session, SessionSummary, Step, StepKind, StepTree
from agentreel.storage import SessionFilter, Store

from ._fingerprint import Failure, failure_of, origins

__all__ = [
    "Call",
    "Profile",
    "Timeline",
    "Used",
    "opening",
    "profile_of",
    "profiles",
    "recent_sessions",
    "timeline",
]

#: Profiles remembered per store; a profile is a few hundred bytes.
_CAPACITY = 20_000


class Call(NamedTuple):
    """One model call as baselines see it: who made it and what it used.

    A NamedTuple of plain values, not a dataclass: profiles are remembered
    for thousands of sessions, and tuples of plain values are left alone by
    the garbage collector (measured: 14% of analysing 1,000 sessions went to
    collections traversing remembered calls as dataclasses).
    """

    number: int
    role: str
    thread: int | None
    tokens: int
    prompt: int
    cost: float | None


#: (tokens, cost) of one model call, as a plain tuple: see :class:`Call`.
Used = tuple[float, float | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What later analyses need of a session: its model calls and failures.

    ``calls`` are kept for the session being analysed only; remembered
    profiles keep what baselines need of them as plain tuples: ``used``, the
    (tokens, cost) of every call, and ``by_role``, the same by role.
    """

    session_id: str
    started_at: int
    calls: tuple[Call, ...] = ()
    failures: tuple[Failure, ...] = ()
    used: tuple[Used, ...] = ()
    by_role: Mapping[str, tuple[Used, ...]] = field(default_factory=dict)
    #: Median over the session's conversations of their first call's tokens
    #: and cost (None without calls, or without priced ones).
    opening: Used | None = None

    def slim(self) -> Profile:
        return replace(self, calls=())


def _role(step: Step, agent: Step | None) -> str:
    # A model call's role is the agent that made it and the call's name: the
    # reviewer's call is compared with earlier reviewers' calls, not with
    # the planner's, whose prompts are of another size altogether.
    return f"{agent.name if agent is not None else ''}/{step.name}"


def profile_of(session: Session, steps: Sequence[Step], tree: StepTree | None = None) -> Profile:
    """The :class:`Profile` of a session's steps."""
    tree = tree or StepTree.build(steps)
    by_number = {s.number: s for s in tree.steps}
    agents: dict[int, Step | None] = {}  # each step's nearest enclosing agent
    for _, step in tree.walk():
        parent = by_number.get(step.parent_number) if step.parent_number is not None else None
        if parent is None:
            agents[step.number] = None
        else:
            agents[step.number] = parent if parent.kind is StepKind.AGENT else agents[parent.number]

    def ancestors(step: Step) -> list[Step]:
        found: list[Step] = []
        seen = {step.number}
        number = step.parent_number
        while number is not None and number in by_number and number not in seen:
            seen.add(number)
            found.append(by_number[number])
            number = by_number[number].parent_number
        return found

    calls: list[Call] = []
    for step in tree.steps:
        if step.kind is not StepKind.LLM:
            continue
        calls.append(
            Call(
                number=step.number,
                role=_role(step, agents.get(step.number)),
                thread=step.parent_number if step.parent_number in by_number else None,
                tokens=step.usage.total,
                prompt=step.usage.input,
                cost=step.cost,
            )
        )
    failures = tuple(failure_of(s, ancestors(s)) for s in origins(tree.steps, tree.children))
    roles: dict[str, list[Used]] = {}
    for call in calls:
        roles.setdefault(call.role, []).append((float(call.tokens), call.cost))
    tokens = opening(calls, lambda c: float(c.tokens))
    return Profile(
        session_id=session.id,
        started_at=session.started_at,
        calls=tuple(calls),
        failures=failures,
        used=tuple((float(c.tokens), c.cost) for c in calls),
        by_role={role: tuple(found) for role, found in roles.items()},
        opening=None if tokens is None else (tokens, opening(calls, lambda c: c.cost)),
    )


def opening(
    calls: Sequence[Call], metric: Callable[[Call], float | None], skip: Set[int] = frozenset()
) -> float | None:
    """The median, over a session's conversations, of what their first call used."""
    seen: set[int | None] = set()
    values: list[float] = []
    for call in calls:
        if call.thread in seen:
            continue
        seen.add(call.thread)
        value = metric(call)
        if call.number not in skip and value is not None:
            values.append(value)
    return statistics.median(values) if values else None


_Key = tuple[str, int, int, int | None, int, float]
# Analyses may run on several threads (a server's requests): one lock guards the memory.
_lock = threading.Lock()
_caches: weakref.WeakKeyDictionary[Store, OrderedDict[_Key, Profile]] = weakref.WeakKeyDictionary()


def _key(summary: SessionSummary) -> _Key:
    return (
        summary.session.id,
        summary.step_count,
        summary.error_count,
        summary.last_step_at,
        summary.usage.total,
        round(summary.cost, 9),
    )


def _cache(store: Store) -> OrderedDict[_Key, Profile] | None:
    try:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = OrderedDict()
    except TypeError:  # a store that cannot be weakly referenced: no memory
        return None
    return cache


def remember(store: Store, summary: SessionSummary, profile: Profile) -> None:
    with _lock:
        cache = _cache(store)
        if cache is not None:
            cache[_key(summary)] = profile.slim()
            if len(cache) > _CAPACITY:
                cache.popitem(last=False)


def _recall(store: Store, key: _Key) -> Profile | None:
    with _lock:
        cache = _cache(store)
        profile = cache.get(key) if cache is not None else None
        if profile is not None and cache is not None:
            cache.move_to_end(key)
        return profile


def profiles(store: Store, summaries: Sequence[SessionSummary]) -> list[Profile]:
    """The profiles of ``summaries``' sessions, from memory or read from ``store``."""
    found: list[Profile] = []
    for summary in summaries:
        profile = _recall(store, _key(summary))
        if profile is None:
            # Read outside the lock: other analyses go on while this one reads.
            profile = profile_of(summary.session, store.get_steps(summary.session.id)).slim()
            remember(store, summary, profile)
        found.append(profile)
    return found


def recent_sessions(store: Store, session: Session, count: int) -> list[SessionSummary]:
    """The project's ``count`` most recent sessions that started before ``session``."""
    earlier = store.list_sessions(
        SessionFilter(project=session.project, until=session.started_at, limit=count)
    )
    return [s for s in earlier if s.session.id != session.id]


class Timeline:
    """A project's sessions over a span of time, newest first, read in one query.

    Analysing many sessions of a project, each one's history is a slice of
    this instead of a query of its own. ``complete_from`` is the start time
    from which every session of the project is in ``sessions`` (None: all
    of them are).
    """

    __slots__ = ("_by_id", "_starts", "complete_from", "sessions")

    def __init__(self, sessions: list[SessionSummary], complete_from: int | None) -> None:
        self.sessions = sorted(sessions, key=lambda s: (s.session.started_at, s.session.id))
        self.sessions.reverse()
        self.complete_from = complete_from
        self._by_id = {s.session.id: s for s in self.sessions}
        # Ascending start times, negated from the newest-first order, for bisection.
        self._starts = [-s.session.started_at for s in self.sessions]

    def summary(self, session_id: str) -> SessionSummary | None:
        return self._by_id.get(session_id)

    def before(self, session: Session, count: int) -> list[SessionSummary]:
        """The ``count`` newest sessions that started before ``session``."""
        first = bisect.bisect_right(self._starts, -session.started_at)
        return self.sessions[first : first + count]

    def spend(self, start: int, end: int) -> float | None:
        """USD spent by sessions started in ``[start, end]``, or None if not all are here."""
        if self.complete_from is not None and start < self.complete_from:
            return None
        low = bisect.bisect_left(self._starts, -end)
        high = bisect.bisect_right(self._starts, -start)
        return sum(s.cost for s in self.sessions[low:high])


def timeline(store: Store, project: str, first: int, last: int, before: int) -> Timeline:
    """The sessions of ``project`` started in ``[first, last]``, and ``before`` more before them."""
    inside = store.list_sessions(
        SessionFilter(project=project, since=first, until=last + 1, limit=None)
    )
    earlier = store.list_sessions(SessionFilter(project=project, until=first, limit=before))
    if len(earlier) < before:
        complete = None  # the project has no older sessions
    else:
        complete = earlier[-1].session.started_at if earlier else first
    return Timeline(inside + earlier, complete)
