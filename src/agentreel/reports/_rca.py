"""Building a root-cause report for one session (``agentreel rca``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from agentreel.detectors import (
    DetectorConfig,
    Finding,
    analyze,
    fingerprint_failure,
    recurring_failures,
)
from agentreel.model import Status, Step
from agentreel.storage import Store

from ._chain import Payloads, find_cause, path_of, root_failures
from ._model import (
    Cause,
    Comparison,
    FailingStep,
    NextCommand,
    RcaReport,
    RecurrenceHit,
    SessionRef,
    StepRef,
    Verdict,
)
from ._prose import error_text
from ._similar import compare_with_success
from ._text import short_id

__all__ = ["SEVERITY_RANK", "build_rca", "sort_findings"]

#: Severities from the most to the least urgent.
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
#: A finding of these severities makes a session without errors "flagged".
FLAGGING = frozenset({"error", "warning"})


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Most urgent first; within a severity, in step order."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (SEVERITY_RANK.get(f.severity, 3), min(f.steps, default=0), f.detector),
        )
    )


def _recurring(
    store: Store, session: SessionRef, steps: Sequence[Step]
) -> tuple[RecurrenceHit, ...]:
    groups = [
        g
        for g in recurring_failures(store, project=session.project, min_count=2)
        if session.id in g.sessions
    ]
    if not groups:
        return ()
    failed = [s for s in steps if s.status is Status.ERROR]
    prints = {s.number: fingerprint_failure(s, store) for s in failed}
    return tuple(
        RecurrenceHit(
            group=g,
            steps=tuple(n for n, fp in prints.items() if fp == g.fingerprint),
        )
        for g in groups
    )


def _headline(
    session: SessionRef,
    verdict: Verdict,
    failing: FailingStep | None,
    flagged: Sequence[Finding],
) -> str:
    if failing is not None:
        step = failing.step
        error = error_text(step.error) if step.error is not None else "an unrecorded error"
        return (
            f"Session {session.name} failed: step {step.number} ({step.kind} {step.name}) "
            f"raised {error}."
        )
    if verdict == "failed":
        return (
            f"Session {session.name} ended in error outside any recorded step: "
            f"{error_text(session.error)}."
        )
    state = (
        "is still running" if session.status == str(Status.RUNNING) else f"ended {session.status}"
    )
    if verdict == "flagged":
        noun = "problem" if len(flagged) == 1 else "problems"
        return (
            f"Session {session.name} {state} without errors, but the detectors flagged "
            f"{len(flagged)} {noun}; the most severe: {flagged[0].message}"
        )
    return f"Session {session.name} {state} with no failure and no detector warning."


def _commands(
    session: SessionRef,
    focus: StepRef | None,
    cause: Cause | None,
    comparison: Comparison | None,
    recurring: Sequence[RecurrenceHit],
) -> tuple[NextCommand, ...]:
    sid = short_id(session.id)
    if focus is None:
        return (
            NextCommand(command=f"agentreel show {sid}", why="the whole session, step by step"),
        )
    origin = cause.llm_step.number if cause is not None else focus.number
    asked = cause is not None and origin != focus.number
    commands = [
        NextCommand(
            command=f"agentreel show {sid} --step {focus.number}",
            why=f"step {focus.number} in full: its input, output and error",
        ),
        NextCommand(
            command=f"agentreel debug {sid} --step {origin}",
            why=(
                f"step through from the model call that asked for step {focus.number}"
                if asked
                else f"step through the session from step {origin}"
            ),
        ),
        NextCommand(
            command=f"agentreel replay {sid} --fork-at {origin}",
            why=f"re-run from step {origin} with an edit, the rest live",
        ),
    ]
    if comparison is not None:
        commands.append(
            NextCommand(
                command=f"agentreel diff {short_id(comparison.other.id)} {sid}",
                why=f"every difference from {comparison.other.name}, which ended ok",
            )
        )
    if recurring:
        commands.append(
            NextCommand(
                command=f"agentreel postmortem --project {session.project}",
                why="the sessions the recurring failure hit, and what else recurs",
            )
        )
    return tuple(commands)


def build_rca(
    store: Store,
    session_id: str,
    *,
    config: DetectorConfig | None = None,
    now: int | None = None,
) -> RcaReport:
    """A root-cause report for the session ``session_id`` (an id or unique prefix).

    It reads the session's steps and payloads, runs every detector on it
    (``agentreel.detectors.analyze``), finds the recurring failures it is part
    of, and diffs it against the most similar successful session of its
    project. ``now`` (ns) is when the report says it was made.
    """
    sid = store.resolve_session_id(session_id)
    session = SessionRef.of(store.summarize(sid))
    steps = store.get_steps(sid)
    by_number = {s.number: s for s in steps}
    payloads = Payloads(store)
    analysis = analyze(store, sid, config=config)
    findings = sort_findings(analysis.findings)
    flagged = [f for f in findings if f.severity in FLAGGING]

    roots = root_failures(steps)
    failing: FailingStep | None = None
    if roots:
        failing = replace(roots[0], input=payloads.get(by_number[roots[0].step.number].input_ref))
    verdict: Verdict = (
        "failed"
        if roots or session.status == str(Status.ERROR)
        else "flagged"
        if flagged
        else "clean"
    )

    focus: StepRef | None = failing.step if failing is not None else None
    if focus is None and verdict == "flagged":
        first = next((f for f in flagged if f.steps and min(f.steps) in by_number), None)
        if first is not None:
            step = by_number[min(first.steps)]
            focus = StepRef.of(step, path_of(step, by_number))
    cause: Cause | None = None
    cause_note: str | None = None
    if focus is not None:
        cause, cause_note = find_cause(by_number[focus.number], steps, payloads)

    comparison: Comparison | None = None
    comparison_note: str | None = None
    if verdict != "clean":
        comparison, comparison_note = compare_with_success(store, session, steps)
    recurring = _recurring(store, session, steps) if verdict == "failed" else ()

    unchecked = list(analysis.unchecked)
    if payloads.missing:
        unchecked.append(
            f"{len(payloads.missing)} payloads are missing from the store; "
            "the causal chain may be incomplete"
        )
    return RcaReport(
        session=session,
        verdict=verdict,
        headline=_headline(session, verdict, failing, flagged),
        failing_step=failing,
        other_failures=tuple(roots[1:]),
        focus=focus,
        cause=cause,
        cause_note=cause_note,
        findings=findings,
        unchecked=tuple(unchecked),
        recurring=recurring,
        comparison=comparison,
        comparison_note=comparison_note,
        next_commands=_commands(session, focus, cause, comparison, recurring),
        generated_at=time.time_ns() if now is None else now,
    )
