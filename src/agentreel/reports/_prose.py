"""The sentences reports are made of, written once for every markup.

Each function takes an :class:`Ink`: how the output format writes trace text
(escaped), code (escaped, monospaced) and emphasis. Markdown and HTML thus
say the same words, and no sentence can put trace text on the page unescaped
without going through the ink.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agentreel.detectors import FailureGroup, Finding
from agentreel.model import ErrorInfo

from ._model import (
    Cause,
    Comparison,
    Divergence,
    FailingStep,
    PostmortemReport,
    RecurringFailure,
    SessionRef,
    StepRef,
)
from ._text import (
    clip,
    compact_json,
    format_cost,
    format_tokens,
    one_line,
    short_id,
    utc_minute,
)

__all__ = [
    "ARGUMENTS_SHOWN",
    "SESSIONS_LISTED",
    "Ink",
    "arguments_text",
    "capital",
    "cause_sentence",
    "comparison_sentences",
    "divergence_sentence",
    "error_text",
    "group_sentence",
    "other_failure",
    "period_sentence",
    "recorded_note",
    "session_sentence",
    "sessions_hit",
    "step_label",
    "steps_phrase",
    "steps_text",
    "success_sentence",
]

#: Characters of tool arguments shown inline.
ARGUMENTS_SHOWN = 300
#: Sessions a recurring failure hit, named in a postmortem (JSON has them all).
SESSIONS_LISTED = 10


class Ink(Protocol):
    def text(self, text: str) -> str:
        """Trace text, escaped, on one line."""

    def code(self, text: str) -> str:
        """Trace text or a command, escaped, monospaced, on one line."""

    def strong(self, text: str) -> str:
        """Our own words, emphasised (never trace text)."""


def error_text(error: ErrorInfo | None) -> str:
    return one_line(error.summary()) if error is not None else "no recorded error"


def step_label(step: StepRef, ink: Ink) -> str:
    """``step 6 (tool run_tests in investigator › fixer)``."""
    where = f" in {ink.text(' › '.join(step.path))}" if step.path else ""
    return f"step {step.number} ({step.kind} {ink.code(step.name)}{where})"


def steps_text(steps: Sequence[int]) -> str:
    return ", ".join(str(n) for n in steps) if steps else "-"


def recorded_note(finding: Finding) -> str:
    """What a report adds to a finding a DetectorGuard recorded while the session ran."""
    if finding.recorded_at is None:
        return ""
    if finding.offline:
        return f" (also recorded while the session ran, at step {finding.recorded_at})"
    return (
        f" (recorded while the session ran, at step {finding.recorded_at}; "
        "this analysis did not find it again)"
    )


def steps_phrase(steps: Sequence[int]) -> str:
    """``"step 3"``, ``"steps 3, 5"``; ``"no step"`` for none."""
    if not steps:
        return "no step"
    return f"step {steps[0]}" if len(steps) == 1 else f"steps {steps_text(steps)}"


def session_sentence(session: SessionRef, ink: Ink) -> str:
    parts = [
        f"Session {ink.code(short_id(session.id))}",
        f"project {ink.text(session.project)}",
        session.status,
        f"{session.steps} steps, {session.errors} failed",
        f"{format_tokens(session.usage.total)} tokens",
        format_cost(session.cost),
        f"started {utc_minute(session.started_at)}",
    ]
    return " · ".join(parts)


def arguments_text(value: Any) -> str:
    return clip(value if isinstance(value, str) else compact_json(value), ARGUMENTS_SHOWN)


def cause_sentence(cause: Cause, focus: StepRef | None, ink: Ink) -> str:
    llm = step_label(cause.llm_step, ink)
    model = f" on {ink.code(cause.llm_step.model)}" if cause.llm_step.model else ""
    if cause.match == "self":
        return f"Step {cause.llm_step.number} is itself the model call{model}."
    call = ink.code(cause.tool_call_name or "?")
    arguments = ink.code(arguments_text(cause.tool_call_arguments))
    target = f"step {focus.number}" if focus is not None else "the step"
    if cause.match == "name":
        return (
            f"The nearest earlier model call that asked for {call} is at {llm}{model}, "
            f"with {arguments}; {target} ran with other arguments, so they were changed "
            "between the model's answer and the tool."
        )
    if cause.match == "call-id":
        return (
            f"The model call at {llm}{model} asked for {call} with {arguments}, which became "
            f"{target} (the tool step records the call's id)."
        )
    return (
        f"The model call at {llm}{model} asked for {call} with exactly {arguments}, "
        f"which became {target}."
    )


def divergence_sentence(divergence: Divergence, ink: Ink, *, lead: str) -> str:
    """``lead`` (our words) and where the successful session (A) and this one (B) part."""
    a, b = divergence.other_step, divergence.step
    if a is not None and b is not None:
        changed = ", ".join(ink.code(c) for c in divergence.changes) or "nothing compared"
        return (
            f"{lead}: its step {a.number} and this session's {step_label(b, ink)} "
            f"differ in {changed}."
        )
    if a is not None:
        return f"{lead}: its {step_label(a, ink)} has no counterpart in this session."
    added = step_label(b, ink) if b is not None else "step"
    return f"{lead}: this session's {added} has no counterpart in the successful one."


def comparison_sentences(comparison: Comparison, ink: Ink) -> list[str]:
    """The paragraphs that compare the session with the most similar successful one."""
    counts = comparison.counts
    found = [
        f"The most similar session that ended ok is {ink.text(comparison.other.name)} "
        f"({ink.code(short_id(comparison.other.id))}), similarity {comparison.similarity:.2f}: "
        f"{counts.get('same', 0)} steps the same, {counts.get('changed', 0)} changed, "
        f"{counts.get('added', 0)} added, {counts.get('removed', 0)} removed."
    ]
    if comparison.first is None:
        return [*found, "The two sessions are the same step for step."]
    found.append(divergence_sentence(comparison.first, ink, lead="First divergence"))
    structural = comparison.first_structural
    if structural is not None and structural != comparison.first:
        lead = "First step taken in one session and not the other"
        found.append(divergence_sentence(structural, ink, lead=lead))
    return found


def other_failure(failing: FailingStep, ink: Ink) -> str:
    """``step 18 (tool run_tests in verifier): `Error: ...`, passed on by step 16 (...)``."""
    text = f"{step_label(failing.step, ink)}: {ink.code(error_text(failing.step.error))}"
    if failing.propagated_by:
        text += ", passed on by " + ", ".join(step_label(s, ink) for s in failing.propagated_by)
    return text


def capital(text: str) -> str:
    """``text`` with its first letter upper case and the rest untouched."""
    return text[:1].upper() + text[1:]


def group_sentence(group: FailureGroup, ink: Ink) -> str:
    tool = f" in tool {ink.code(group.tool)}" if group.tool else ""
    # The path says more than the tool only when the step sits under others.
    where = f" at {ink.code(group.step_path)}" if "/" in group.step_path or not tool else ""
    noun = "session" if len(group.sessions) == 1 else "sessions"
    return (
        f"{ink.code(group.error_type + ': ' + group.message)}{tool}{where}: "
        f"{group.count} times in {len(group.sessions)} {noun}, "
        f"first {utc_minute(group.first_seen)}, last {utc_minute(group.last_seen)}"
    )


def sessions_hit(failure: RecurringFailure, ink: Ink) -> str:
    """``name (id), name (id) and 3 more``: the sessions a recurring failure hit."""
    shown = ", ".join(
        f"{ink.text(name)} ({ink.code(short_id(sid))})"
        for sid, name in failure.sessions[:SESSIONS_LISTED]
    )
    more = len(failure.sessions) - SESSIONS_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def period_sentence(report: PostmortemReport, ink: Ink) -> str:
    start = utc_minute(report.since) if report.since is not None else "the first session"
    scope = f"project {ink.text(report.project)}" if report.project else "all projects"
    return f"From {start} to {utc_minute(report.until)}, {scope}."


def success_sentence(report: PostmortemReport) -> str:
    rate = report.success_rate
    shown = "-" if rate is None else f"{rate:.0%}"
    running = f", {report.running} still running" if report.running else ""
    return (
        f"{report.sessions} {'session' if report.sessions == 1 else 'sessions'}: "
        f"{report.ok} ok, {report.failed} failed{running}; "
        f"success rate {shown} ({report.ok}/{report.ok + report.failed} ended ok). "
        f"{format_tokens(report.usage.total)} tokens, {format_cost(report.cost)}."
    )
