"""What the reports hold: frozen records that the builders fill and the renderers read.

Builders read the store and the detectors; renderers (Markdown, HTML, JSON)
only read these records, so every format says the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentreel.detectors import FailureGroup, Finding
from agentreel.model import NO_USAGE, ErrorInfo, SessionSummary, Step, TokenUsage

__all__ = [
    "Bucket",
    "Cause",
    "CauseMatch",
    "Comparison",
    "Divergence",
    "FailingStep",
    "ModelContext",
    "NextCommand",
    "PostmortemReport",
    "RcaReport",
    "RecurrenceHit",
    "RecurringFailure",
    "SessionRef",
    "StepRef",
    "ToolResultSeen",
    "Verdict",
    "Veto",
]

#: ``failed``: the session or one of its steps ended in error; ``flagged``: no
#: error, but a detector warned; ``clean``: neither.
Verdict = Literal["failed", "flagged", "clean"]
#: How the model call behind a step was found (see :class:`Cause`).
CauseMatch = Literal["call-id", "arguments", "name", "self"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRef:
    """A session and its totals, as a report names it."""

    id: str
    name: str
    project: str
    status: str
    started_at: int
    ended_at: int | None = None
    steps: int = 0
    errors: int = 0
    usage: TokenUsage = NO_USAGE
    cost: float = 0.0
    error: ErrorInfo | None = None

    @classmethod
    def of(cls, summary: SessionSummary) -> SessionRef:
        session = summary.session
        return cls(
            id=session.id,
            name=session.name,
            project=session.project,
            status=str(session.status),
            started_at=session.started_at,
            ended_at=session.ended_at,
            steps=summary.step_count,
            errors=summary.error_count,
            usage=summary.usage,
            cost=summary.cost,
            error=session.error,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRef:
    """A step as a report names it; ``path`` is the names of its ancestors, outermost first."""

    number: int
    kind: str
    name: str
    status: str
    path: tuple[str, ...] = ()
    model: str | None = None
    error: ErrorInfo | None = None

    @classmethod
    def of(cls, step: Step, path: tuple[str, ...] = ()) -> StepRef:
        return cls(
            number=step.number,
            kind=str(step.kind),
            name=step.name,
            status=str(step.status),
            path=path,
            model=step.model,
            error=step.error,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingStep:
    """The root failure: the first failed step that is not only passing on a child's error.

    ``propagated_by`` are its ancestors that failed because it did, innermost
    first; ``input`` is what the step was given (a tool's arguments).
    """

    step: StepRef
    input: Any = None
    propagated_by: tuple[StepRef, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResultSeen:
    """A tool answer that was in a model's context, cut to its head."""

    tool: str | None
    call_id: str | None
    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelContext:
    """What a model call was shown, summarised: heads of long texts, the last few tool results."""

    model: str | None
    messages: int
    system_head: str | None = None
    last_user: str | None = None
    tool_results: tuple[ToolResultSeen, ...] = ()
    #: Earlier tool results left out of ``tool_results``.
    tool_results_omitted: int = 0
    tools_offered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Cause:
    """The model call behind the failing step, and what it saw.

    ``match`` says how the call was found: ``"call-id"`` (the tool step
    records the id of the call), ``"arguments"`` (a call of the same tool with
    exactly the step's input), ``"name"`` (the nearest earlier call of the
    same tool; its arguments differ from the step's input), or ``"self"``
    (the failing step is the model call).
    """

    llm_step: StepRef
    match: CauseMatch
    tool_call_id: str | None = None
    tool_call_name: str | None = None
    tool_call_arguments: Any = None
    context: ModelContext | None = None
    #: Why ``context`` is missing, when it is.
    context_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurrenceHit:
    """A recurring failure this session is part of, and which of its steps hit it."""

    group: FailureGroup
    steps: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Divergence:
    """A pair of steps where two sessions differ, as ``agentreel diff`` aligns them.

    ``status`` is ``"changed"`` (both steps, ``changes`` lists the differing
    paths), ``"added"`` (only ``step``) or ``"removed"`` (only ``other_step``).
    """

    status: str
    other_step: StepRef | None = None
    step: StepRef | None = None
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """The session against the most similar successful one: where they first part.

    ``other`` is A and the reported session B, as ``agentreel diff OTHER ID``
    shows them. ``first`` is the first differing pair (None when the two are
    the same step for step); ``first_structural`` the first step that one
    session took and the other did not (an added or removed step), which is
    often where the runs really part when every step differs a little.
    """

    other: SessionRef
    similarity: float
    counts: Mapping[str, int] = field(default_factory=dict)
    first: Divergence | None = None
    first_structural: Divergence | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NextCommand:
    command: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RcaReport:
    """A root-cause report for one session (``agentreel rca``)."""

    session: SessionRef
    verdict: Verdict
    #: One sentence that says what happened.
    headline: str
    failing_step: FailingStep | None = None
    #: Other root failures, after the first.
    other_failures: tuple[FailingStep, ...] = ()
    #: The step the report centres on: the failing step or, in a flagged
    #: session, the first step a detector warned about.
    focus: StepRef | None = None
    cause: Cause | None = None
    #: Why there is no cause, when there is a failing step but no cause.
    cause_note: str | None = None
    findings: tuple[Finding, ...] = ()
    unchecked: tuple[str, ...] = ()
    recurring: tuple[RecurrenceHit, ...] = ()
    comparison: Comparison | None = None
    #: Why there is no comparison, when there is none.
    comparison_note: str | None = None
    next_commands: tuple[NextCommand, ...] = ()
    generated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """Usage and cost of one day, model or agent; ``calls`` counts model calls."""

    key: str
    sessions: int = 0
    calls: int = 0
    usage: TokenUsage = NO_USAGE
    cost: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RecurringFailure:
    """A failure group and the sessions it hit (id → name, newest last)."""

    group: FailureGroup
    sessions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Veto:
    """A guard or hook step that vetoed what the agent was about to do."""

    session_id: str
    session_name: str
    step: int
    kind: str
    name: str
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PostmortemReport:
    """What happened across the sessions of a period (``agentreel postmortem``).

    Breakdowns by model and agent, and the vetoes, come from the steps of the
    newest ``scanned`` sessions; drift and cost findings from the newest
    ``analyzed`` ones. ``not_scanned`` and ``not_analyzed`` count the rest.
    """

    since: int | None
    until: int
    project: str | None
    sessions: int = 0
    ok: int = 0
    failed: int = 0
    running: int = 0
    usage: TokenUsage = NO_USAGE
    cost: float = 0.0
    by_day: tuple[Bucket, ...] = ()
    by_model: tuple[Bucket, ...] = ()
    by_agent: tuple[Bucket, ...] = ()
    recurring: tuple[RecurringFailure, ...] = ()
    #: Recurring failure groups in the period, before keeping the top ones.
    recurring_total: int = 0
    drift: tuple[Finding, ...] = ()
    cost_anomalies: tuple[Finding, ...] = ()
    session_names: Mapping[str, str] = field(default_factory=dict)
    analyzed: int = 0
    not_analyzed: int = 0
    scanned: int = 0
    not_scanned: int = 0
    vetoes: tuple[Veto, ...] = ()
    #: Guard and hook steps seen in the scanned sessions, vetoes or not.
    guard_steps: int = 0
    unchecked: tuple[str, ...] = ()
    generated_at: int

    @property
    def success_rate(self) -> float | None:
        """Ended sessions that ended ok, as a fraction; None when none has ended."""
        ended = self.ok + self.failed
        return None if ended == 0 else self.ok / ended
