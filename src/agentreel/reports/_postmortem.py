"""Building a postmortem over the sessions of a period (``agentreel postmortem``)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from agentreel.detectors import DetectorConfig, Finding, analyze, recurring_failures
from agentreel.errors import UnknownSession
from agentreel.hooks import DECISION
from agentreel.model import (
    JSON,
    NO_USAGE,
    SessionSummary,
    Status,
    Step,
    StepKind,
    TokenUsage,
)
from agentreel.storage import SessionFilter, Store

from ._model import Bucket, PostmortemReport, RecurringFailure, Veto
from ._rca import sort_findings
from ._text import day_of

__all__ = ["ANALYSIS_LIMIT", "SCAN_LIMIT", "TOP_FAILURES", "build_postmortem", "find_veto"]

#: Sessions the drift and cost detectors run on (the newest of the period).
ANALYSIS_LIMIT = 500
#: Sessions whose steps are read for the model and agent breakdowns and the vetoes.
SCAN_LIMIT = 5000
#: Recurring failure groups listed.
TOP_FAILURES = 10
#: Days listed one by one even when nothing ran on them, so that gaps show.
MAX_FILLED_DAYS = 92
#: Reasons a detector could not check something, listed at most.
MAX_UNCHECKED = 10
NO_AGENT = "(no agent)"
NO_MODEL = "(no model recorded)"
DRIFT = "context-drift"
COST = "cost-spike"
_GUARDS = (StepKind.GUARDRAIL, StepKind.HOOK)


@dataclass(slots=True)
class _Sum:
    sessions: set[str] = field(default_factory=set)
    calls: int = 0
    usage: TokenUsage = NO_USAGE
    cost: float = 0.0

    def add_step(self, session_id: str, step: Step) -> None:
        self.sessions.add(session_id)
        self.calls += step.kind is StepKind.LLM
        self.usage = self.usage + step.usage
        self.cost += step.cost or 0.0

    def add_session(self, summary: SessionSummary) -> None:
        self.sessions.add(summary.session.id)
        self.usage = self.usage + summary.usage
        self.cost += summary.cost

    def bucket(self, key: str) -> Bucket:
        return Bucket(
            key=key, sessions=len(self.sessions), calls=self.calls, usage=self.usage, cost=self.cost
        )


def _ranked(sums: Mapping[str, _Sum]) -> tuple[Bucket, ...]:
    buckets = [s.bucket(k) for k, s in sums.items()]
    return tuple(sorted(buckets, key=lambda b: (-b.cost, -b.usage.total, b.key)))


def _days(summaries: Sequence[SessionSummary], since: int | None, until: int) -> tuple[Bucket, ...]:
    sums: dict[str, _Sum] = {}
    for summary in summaries:
        sums.setdefault(day_of(summary.session.started_at), _Sum()).add_session(summary)
    if sums or since is not None:
        first = dt.date.fromisoformat(day_of(since) if since is not None else min(sums))
        last = dt.date.fromisoformat(max([day_of(until), *sums]))
        if (last - first).days < MAX_FILLED_DAYS:
            for offset in range((last - first).days + 1):
                sums.setdefault((first + dt.timedelta(days=offset)).isoformat(), _Sum())
    return tuple(sums[k].bucket(k) for k in sorted(sums))


def _agents(steps: Sequence[Step]) -> Iterable[tuple[str, Step]]:
    """Each step with the name of its nearest enclosing agent step (itself, for an agent).

    Parents are followed by number rather than through a tree walk, so that a
    foreign import with a parent loop still counts every step, once.
    """
    by_number = {s.number: s for s in steps}
    for step in steps:
        current: Step | None = step
        seen: set[int] = set()
        name = NO_AGENT
        while current is not None and current.number not in seen:
            if current.kind is StepKind.AGENT:
                name = current.name
                break
            seen.add(current.number)
            parent = current.parent_number
            current = by_number.get(parent) if parent is not None else None
        yield name, step


def _last_segment(key: str) -> str:
    return key.rsplit(".", 1)[-1].lower()


def find_veto(attributes: Mapping[str, JSON]) -> tuple[bool, str | None]:
    """Whether a guard or hook step's attributes record a veto, and its reason.

    A veto is an attribute whose key ends in ``decision`` with the value
    ``"veto"``, or ends in ``veto`` with the value true (``agentreel.decision``,
    ``guard.decision``, ``veto``...); the reason is a string attribute whose
    key ends in ``reason``.
    """
    vetoed = any(
        (_last_segment(k) == "decision" and isinstance(v, str) and v.lower() == "veto")
        or (_last_segment(k) == "veto" and v is True)
        for k, v in attributes.items()
    )
    if not vetoed:
        return False, None
    for key, value in attributes.items():
        if _last_segment(key).endswith("reason") and isinstance(value, str):
            return True, value
    return True, None


def _names(store: Store, known: Mapping[str, str], ids: Iterable[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for sid in ids:
        if sid in known:
            names[sid] = known[sid]
            continue
        try:
            names[sid] = store.get_session(sid).name
        except UnknownSession:
            names[sid] = "(deleted)"
    return names


def _unchecked(notes: Counter[str]) -> tuple[str, ...]:
    lines = [
        f"{note} ({count} sessions)" if count > 1 else note
        for note, count in notes.most_common(MAX_UNCHECKED)
    ]
    if len(notes) > MAX_UNCHECKED:
        lines.append(f"and {len(notes) - MAX_UNCHECKED} more kinds of gap")
    return tuple(lines)


def build_postmortem(
    store: Store,
    *,
    since: int | None = None,
    until: int | None = None,
    project: str | None = None,
    config: DetectorConfig | None = None,
    now: int | None = None,
    analysis_limit: int = ANALYSIS_LIMIT,
    scan_limit: int = SCAN_LIMIT,
) -> PostmortemReport:
    """A postmortem of the sessions that started in ``[since, until)`` (ns since the epoch).

    ``until=None`` means up to ``now``; ``project=None`` means every project.
    The drift and cost-spike detectors run on the newest ``analysis_limit``
    sessions, and the steps of the newest ``scan_limit`` are read for the
    breakdowns by model and agent and the guard vetoes; the report counts
    what it left out.
    """
    now = time.time_ns() if now is None else now
    summaries = store.list_sessions(
        SessionFilter(project=project, since=since, until=until, limit=None)
    )
    status = Counter(s.session.status for s in summaries)
    known = {s.session.id: s.session.name for s in summaries}

    models: dict[str, _Sum] = {}
    agents: dict[str, _Sum] = {}
    vetoes: list[Veto] = []
    guard_steps = 0
    scanned = summaries[:scan_limit]
    for summary in scanned:
        sid = summary.session.id
        for agent, step in _agents(store.get_steps(sid)):
            if step.usage or step.cost or step.model is not None:
                models.setdefault(step.model or NO_MODEL, _Sum()).add_step(sid, step)
                agents.setdefault(agent, _Sum()).add_step(sid, step)
            # Guard and hook steps, and any step a hook decided (its decision
            # is recorded on the step itself: agentreel.hooks).
            if step.kind in _GUARDS or DECISION in step.attributes:
                guard_steps += 1
                vetoed, reason = find_veto(step.attributes)
                if vetoed:
                    vetoes.append(
                        Veto(
                            session_id=sid,
                            session_name=summary.session.name,
                            step=step.number,
                            kind=str(step.kind),
                            name=step.name,
                            reason=reason,
                        )
                    )

    findings: list[Finding] = []
    notes: Counter[str] = Counter()
    analyzed = summaries[:analysis_limit]
    for summary in analyzed:
        result = analyze(store, summary.session.id, config=config, detectors=(DRIFT, COST))
        findings.extend(result.findings)
        notes.update(set(result.unchecked))

    groups = sorted(
        recurring_failures(store, since=since, project=project, min_count=2),
        key=lambda g: (-g.count, -g.last_seen, g.fingerprint),
    )
    top = groups[:TOP_FAILURES]
    session_ids = {sid for g in top for sid in g.sessions} | {f.session_id for f in findings}
    names = {**known, **_names(store, known, session_ids)}
    recurring = tuple(
        RecurringFailure(group=g, sessions=tuple((sid, names[sid]) for sid in g.sessions))
        for g in top
    )
    return PostmortemReport(
        since=since,
        until=now if until is None else until,
        project=project,
        sessions=len(summaries),
        ok=status[Status.OK],
        failed=status[Status.ERROR],
        running=status[Status.RUNNING],
        usage=sum((s.usage for s in summaries), NO_USAGE),
        cost=sum(s.cost for s in summaries),
        by_day=_days(summaries, since, now if until is None else until),
        by_model=_ranked(models),
        by_agent=_ranked(agents),
        recurring=recurring,
        recurring_total=len(groups),
        drift=sort_findings([f for f in findings if f.detector == DRIFT]),
        cost_anomalies=sort_findings([f for f in findings if f.detector == COST]),
        session_names={sid: names[sid] for sid in sorted(session_ids)},
        analyzed=len(analyzed),
        not_analyzed=len(summaries) - len(analyzed),
        scanned=len(scanned),
        not_scanned=len(summaries) - len(scanned),
        vetoes=tuple(vetoes),
        guard_steps=guard_steps,
        unchecked=_unchecked(notes),
        generated_at=now,
    )
