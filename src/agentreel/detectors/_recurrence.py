"""Recurring failures: the same failure coming back, within a session and across sessions.

Failures are the failed steps that are not only passing on a child's error,
fingerprinted (see ``_fingerprint``). In one session a failure *recurs*
when it comes back after the agent had moved on: between two occurrences at
least one tool call succeeded. Back-to-back failures are one episode (a
retry or a streak, which ``tool-misuse`` reports). Across sessions it
recurs when one of the project's recent sessions (the cost baseline's) had
the same fingerprint.

:func:`recurring_failures` groups failures across a whole store, like an
error tracker's issue list.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from agentreel.model import Status
from agentreel.storage import SessionFilter, Store

from ._baseline import profiles
from ._context import Context, steps_text
from ._findings import RECURRING_FAILURE
from ._fingerprint import Failure
from ._view import ACTION_KINDS

__all__ = ["FailureGroup", "detect_recurrence", "recurring_failures"]

_SESSIONS_SHOWN = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureGroup:
    """Occurrences of one failure fingerprint across sessions.

    ``count`` is the number of failed steps with this fingerprint (a session
    may contribute several); ``sessions`` are the session ids, in the order
    they first hit it. ``first_seen`` and ``last_seen`` are the start times
    (ns since the epoch) of the first and last failed step.
    """

    fingerprint: str
    error_type: str
    message: str
    tool: str | None
    step_path: str
    count: int
    sessions: tuple[str, ...]
    first_seen: int
    last_seen: int


def recurring_failures(
    store: Store,
    *,
    since: int | None = None,
    project: str | None = None,
    min_count: int = 2,
) -> list[FailureGroup]:
    """Failures grouped by fingerprint over the sessions that started at ``since`` or later.

    Only groups with at least ``min_count`` occurrences are returned, most
    frequent first (then most recently seen).
    """
    summaries = store.list_sessions(SessionFilter(project=project, since=since, limit=None))
    failing = [s for s in summaries if s.error_count > 0]
    failing.sort(key=lambda s: (s.session.started_at, s.session.id))
    groups: dict[str, list[Failure]] = {}
    for profile in profiles(store, failing):
        for failure in profile.failures:
            groups.setdefault(failure.fingerprint, []).append(failure)
    found: list[FailureGroup] = []
    for fingerprint, hits in groups.items():
        if len(hits) < min_count:
            continue
        first = hits[0]
        found.append(
            FailureGroup(
                fingerprint=fingerprint,
                error_type=first.error_type,
                message=first.message,
                tool=first.tool,
                step_path=first.step_path,
                count=len(hits),
                sessions=tuple(dict.fromkeys(h.session_id for h in hits)),
                first_seen=min(h.started_at for h in hits),
                last_seen=max(h.started_at for h in hits),
            )
        )
    found.sort(key=lambda g: (-g.count, -g.last_seen, g.fingerprint))
    return found


def detect_recurrence(ctx: Context) -> None:
    view = ctx.view
    mine: dict[str, list[Failure]] = {}
    for failure in ctx.profile.failures:
        mine.setdefault(failure.fingerprint, []).append(failure)
    if not mine:
        return
    successes = [s.number for s in view.steps if s.kind in ACTION_KINDS and s.status is Status.OK]
    earlier: dict[str, list[Failure]] = {}
    errored = [h for h in ctx.history if h.error_count > 0]
    for profile in profiles(view.store, errored):
        for failure in profile.failures:
            if failure.fingerprint in mine:
                earlier.setdefault(failure.fingerprint, []).append(failure)
    for fingerprint, hits in mine.items():
        numbers = sorted(h.number for h in hits)
        episodes = 1 + sum(
            bisect.bisect_left(successes, b) > bisect.bisect_right(successes, a)
            for a, b in itertools.pairwise(numbers)
        )
        before = earlier.get(fingerprint, [])
        sessions = list(dict.fromkeys(f.session_id for f in before))
        if episodes < 2 and not sessions:
            continue
        first = hits[0]
        what = f"{first.tool} failed" if first.tool else f"{first.name} failed"
        parts = []
        if episodes >= 2:
            parts.append(f"came back {episodes - 1} time(s) in this session after other work")
        if sessions:
            parts.append(f"also hit {len(sessions)} earlier session(s) of the project")
        ctx.add(
            RECURRING_FAILURE,
            "recurring",
            "error" if len(sessions) >= 2 else "warning",
            numbers,
            f"{steps_text(numbers)}: {what} with {first.error_type}: {first.message} — "
            + "; ".join(parts),
            fingerprint=fingerprint,
            error_type=first.error_type,
            normalised_message=first.message,
            tool=first.tool,
            step_path=first.step_path,
            occurrences=len(hits),
            episodes=episodes,
            earlier_sessions=len(sessions),
            sessions=sessions[:_SESSIONS_SHOWN],
            first_seen=min([f.started_at for f in before] or [first.started_at]),
        )
