"""Running the detectors over one stored session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from agentreel.errors import AgentreelError, ConfigurationError
from agentreel.model import Status
from agentreel.storage import Store

from ._baseline import timeline
from ._burn import detect_burn_rate
from ._config import DetectorConfig
from ._context import Context, steps_text
from ._cost import detect_bloat, detect_session_cost, detect_step_cost
from ._drift import detect_instruction_drift
from ._findings import (
    CONTEXT_DRIFT,
    COST_SPIKE,
    DETECTORS,
    LOOP,
    RECURRING_FAILURE,
    TOOL_MISUSE,
    Finding,
    SessionReport,
)
from ._loops import detect_loops
from ._plan import detect_plan_deviation
from ._recorded import merge_recorded, read_recorded
from ._recurrence import detect_recurrence
from ._rules import detect_rules
from ._tools import detect_calls, detect_habits
from ._view import SessionView, load_view

__all__ = ["analyze", "analyze_sessions"]


def _cost(ctx: Context) -> None:
    detect_bloat(ctx)
    spikes = detect_step_cost(ctx)
    detect_session_cost(ctx, spikes)
    detect_burn_rate(ctx)


_FAMILIES: dict[str, tuple[Callable[[Context], object], ...]] = {
    CONTEXT_DRIFT: (detect_instruction_drift, detect_rules, detect_plan_deviation),
    TOOL_MISUSE: (detect_calls, detect_habits),
    LOOP: (detect_loops,),
    COST_SPIKE: (_cost,),
    RECURRING_FAILURE: (detect_recurrence,),
}


def _selected(detectors: Sequence[str] | None) -> list[str]:
    if detectors is None:
        return list(DETECTORS)
    if isinstance(detectors, str):
        detectors = [detectors]
    unknown = [d for d in detectors if d not in DETECTORS]
    if unknown:
        raise ConfigurationError(
            f"unknown detector(s) {', '.join(map(repr, unknown))}; the detectors are "
            + ", ".join(DETECTORS)
        )
    return [d for d in DETECTORS if d in detectors]


def _order(finding: Finding) -> tuple[int, int, str]:
    first = min(finding.steps) if finding.steps else 0
    return first, DETECTORS.index(finding.detector), finding.kind


def analyze(
    store: Store,
    session_id: str,
    *,
    config: DetectorConfig | None = None,
    detectors: Sequence[str] | None = None,
) -> SessionReport:
    """Run the detectors (all, or those named) over one stored session.

    Findings a ``DetectorGuard`` recorded on the session while it ran (step
    attribute ``agentreel.findings``) are folded in, each finding once: see
    :attr:`Finding.recorded_at` and :attr:`Finding.offline`.

    ``session_id`` may be a unique prefix. Data the detectors cannot read
    (a step without payloads, a request of unknown shape, too little
    history for a baseline) is skipped and said so in the report's
    ``unchecked``; it never raises. Store errors and unknown ids do
    (``UnknownSession``, ``AmbiguousId``, ``StoreError``), and so does an
    unknown detector name (``ConfigurationError``).
    """
    names = _selected(detectors)
    return _run(Context(load_view(store, session_id), config or DetectorConfig()), names)


def analyze_sessions(
    store: Store,
    session_ids: Iterable[str],
    *,
    config: DetectorConfig | None = None,
    detectors: Sequence[str] | None = None,
) -> list[SessionReport]:
    """:func:`analyze` for many sessions at once, in the order given; the same reports.

    Each project's history is read in two queries for all of its sessions,
    instead of one query per session: use this to analyse a project, a day
    or a postmortem's worth of sessions.
    """
    names = _selected(detectors)
    config = config or DetectorConfig()
    sessions = [store.get_session(_full_id(store, i)) for i in session_ids]
    spans: dict[str, tuple[int, int]] = {}
    for session in sessions:
        end = session.ended_at or session.started_at
        first, last = spans.get(session.project, (session.started_at, end))
        spans[session.project] = (min(first, session.started_at), max(last, end))
    # The burn rate looks back a day from a session's end; the baseline, a
    # number of sessions. Read back far enough for both.
    reach = int(max(config.burn_window_s, 86_400.0) * 1e9) if config.daily_budget_usd else 0
    timelines = {
        project: timeline(store, project, first - reach, last, config.baseline_sessions)
        for project, (first, last) in spans.items()
    }
    reports = []
    for session in sessions:
        view = SessionView(store, session, store.get_steps(session.id))
        reports.append(_run(Context(view, config, timelines[session.project]), names))
    return reports


def _full_id(store: Store, session_id: str) -> str:
    # A whole id needs no lookup of its own; get_session still says if it is unknown.
    if len(session_id) == 32 and session_id == session_id.lower():
        return session_id
    return store.resolve_session_id(session_id)


def _run(ctx: Context, names: Sequence[str]) -> SessionReport:
    view = ctx.view
    for name in names:
        for detect in _FAMILIES[name]:
            try:
                detect(ctx)
            except AgentreelError:
                raise
            except Exception as exc:  # a detector must not sink the others' findings
                ctx.note(
                    name,
                    f"stopped on this session's data ({type(exc).__name__}: {exc}); its other "
                    "checks and the other detectors ran; please report this as a bug",
                )
    if view.unreadable:
        ctx.note(
            "payloads",
            f"the store lacks payloads of {steps_text(sorted(view.unreadable))}; what they "
            "held was not checked",
        )
    recorded, notes = read_recorded(view.steps, view.session_id, names)
    ctx.unchecked.extend(notes)
    findings = merge_recorded(ctx.findings, recorded) if recorded else ctx.findings
    if view.session.status is Status.RUNNING:
        ctx.unchecked.append(
            "session: it is still running; findings cover the steps recorded so far"
        )
    return SessionReport(
        session_id=view.session_id,
        findings=tuple(sorted(findings, key=_order)),
        unchecked=tuple(ctx.unchecked),
    )
