"""Reports as Markdown: what ``agentreel rca`` and ``agentreel postmortem`` print by default."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from agentreel.detectors import Finding

from ._mdescape import CELL, INK, md_block, md_table
from ._model import Bucket, ModelContext, PostmortemReport, RcaReport
from ._prose import (
    arguments_text,
    capital,
    cause_sentence,
    comparison_sentences,
    error_text,
    group_sentence,
    other_failure,
    period_sentence,
    recorded_note,
    session_sentence,
    sessions_hit,
    step_label,
    steps_phrase,
    steps_text,
    success_sentence,
)
from ._text import format_cost, format_tokens, short_id

__all__ = ["postmortem_markdown", "rca_markdown"]

#: Other sessions a recurring failure hit, named in a root-cause report.
OTHER_SESSIONS_SHOWN = 5
_VERDICT = {"failed": "Failed.", "flagged": "Flagged.", "clean": "Clean."}


def _findings_table(findings: Sequence[Finding], *, sessions: bool = False) -> Iterator[str]:
    header = ["Severity", "Detector", "Kind", "Steps", "Finding"]
    rows = []
    for f in findings:
        row = [
            CELL.text(f.severity),
            CELL.text(f.detector),
            CELL.text(f.kind),
            steps_text(f.steps),
            CELL.text(f.message) + recorded_note(f),
        ]
        rows.append([CELL.code(short_id(f.session_id)), *row] if sessions else row)
    yield from md_table(["Session", *header] if sessions else header, rows)


def _context(context: ModelContext) -> Iterator[str]:
    offered = ", ".join(INK.code(t) for t in context.tools_offered) or "none"
    yield f"What the model was shown ({context.messages} messages; tools offered: {offered}):"
    yield ""
    if context.system_head is not None:
        yield "- System prompt (head):"
        yield ""
        yield md_block(context.system_head, "  ")
    if context.last_user is not None:
        yield "- Last user message (head):"
        yield ""
        yield md_block(context.last_user, "  ")
    if context.tool_results:
        earlier = (
            f", after {context.tool_results_omitted} earlier ones"
            if context.tool_results_omitted
            else ""
        )
        yield f"- Tool results it had read{earlier}:"
        for result in context.tool_results:
            tool = INK.code(result.tool) if result.tool else "a tool"
            flag = " (error)" if result.is_error else ""
            yield f"  - {tool}{flag}: {INK.code(result.text)}"
    else:
        yield "- No tool results."


def _rca_failure(report: RcaReport) -> Iterator[str]:
    failing = report.failing_step
    if failing is None:
        if report.verdict == "failed":
            yield "## Failing step"
            yield ""
            error = INK.code(error_text(report.session.error))
            yield f"No step failed: the session itself ended in error, {error}."
            yield ""
        elif report.focus is not None:
            yield "## Flagged step"
            yield ""
            yield f"The most severe finding is at {step_label(report.focus, INK)}."
            yield ""
        return
    yield "## Failing step"
    yield ""
    yield f"{capital(step_label(failing.step, INK))} failed with:"
    yield ""
    yield md_block(error_text(failing.step.error))
    yield ""
    if failing.input is not None:
        yield f"Its input: {INK.code(arguments_text(failing.input))}"
        yield ""
    if failing.propagated_by:
        relays = ", ".join(step_label(s, INK) for s in failing.propagated_by)
        yield f"Passed on by {relays}."
        yield ""
    if report.other_failures:
        yield "Other failures in this session:"
        yield ""
        for other in report.other_failures:
            yield f"- {other_failure(other, INK)}"
        yield ""


def _rca_cause(report: RcaReport) -> Iterator[str]:
    if report.focus is None:
        return
    yield "## Causal chain"
    yield ""
    if report.cause is None:
        why = INK.text(report.cause_note or "")
        yield f"No model call is linked to step {report.focus.number}: {why}."
        yield ""
        return
    yield cause_sentence(report.cause, report.focus, INK)
    yield ""
    if report.cause.context is not None:
        yield from _context(report.cause.context)
    else:
        yield f"Its context cannot be shown: {INK.text(report.cause.context_note or '')}."
    yield ""


def _rca_recurring(report: RcaReport) -> Iterator[str]:
    if not report.recurring:
        return
    yield "## Recurring failures"
    yield ""
    for hit in report.recurring:
        others = [sid for sid in hit.group.sessions if sid != report.session.id]
        yield f"- {group_sentence(hit.group, INK)}."
        yield f"  Here at {steps_phrase(hit.steps)}."
        if others:
            shown = ", ".join(INK.code(short_id(s)) for s in others[:OTHER_SESSIONS_SHOWN])
            more = (
                f" and {len(others) - OTHER_SESSIONS_SHOWN} more"
                if len(others) > OTHER_SESSIONS_SHOWN
                else ""
            )
            yield f"  Also in {shown}{more}."
    yield ""


def _rca_comparison(report: RcaReport) -> Iterator[str]:
    if report.verdict == "clean":
        return
    yield "## Compared with a successful session"
    yield ""
    comparison = report.comparison
    if comparison is None:
        yield f"Nothing to compare with: {INK.text(report.comparison_note or '')}."
        yield ""
        return
    for paragraph in comparison_sentences(comparison, INK):
        yield paragraph
        yield ""


def rca_markdown(report: RcaReport) -> str:
    """The root-cause report as a Markdown document (every piece of trace text escaped)."""
    lines = [
        f"# Root-cause report: {INK.text(report.session.name)}",
        "",
        session_sentence(report.session, INK),
        "",
        f"{INK.strong(_VERDICT[report.verdict])} {INK.text(report.headline)}",
        "",
    ]
    lines += _rca_failure(report)
    lines += _rca_cause(report)
    lines += ["## Detector findings", ""]
    if report.findings:
        lines += [*_findings_table(report.findings), ""]
    else:
        lines += ["No detector found anything.", ""]
    lines += _rca_recurring(report)
    lines += _rca_comparison(report)
    lines += ["## Next commands", ""]
    lines += [f"- {INK.code(c.command)}: {INK.text(c.why)}" for c in report.next_commands]
    lines.append("")
    if report.unchecked:
        lines += ["## Not checked", ""]
        lines += [f"- {INK.text(note)}" for note in report.unchecked]
        lines.append("")
    return "\n".join(lines)


def _usage_rows(buckets: Sequence[Bucket], *, calls: bool) -> list[list[str]]:
    rows = []
    for b in buckets:
        row = [CELL.text(b.key), str(b.sessions)]
        if calls:
            row.append(str(b.calls))
        rows.append([*row, format_tokens(b.usage.total), format_cost(b.cost)])
    return rows


def _postmortem_usage(report: PostmortemReport) -> Iterator[str]:
    yield "## Cost and tokens by day"
    yield ""
    if report.by_day:
        yield from md_table(
            ["Day (UTC)", "Sessions", "Tokens", "Cost"], _usage_rows(report.by_day, calls=False)
        )
    else:
        yield "No sessions."
    yield ""
    for title, column, buckets in (
        ("model", "Model", report.by_model),
        ("agent", "Agent", report.by_agent),
    ):
        yield f"## Cost and tokens by {title}"
        yield ""
        if buckets:
            header = [column, "Sessions", "Model calls", "Tokens", "Cost"]
            yield from md_table(header, _usage_rows(buckets, calls=True))
        else:
            yield "No model usage recorded."
        yield ""
    if report.not_scanned:
        yield (
            f"Model and agent totals cover the steps of the newest {report.scanned} sessions; "
            f"{report.not_scanned} older ones were not read."
        )
        yield ""


def _postmortem_findings(report: PostmortemReport) -> Iterator[str]:
    for title, findings, nothing in (
        ("Drift incidents", report.drift, "No context drift found"),
        ("Cost anomalies", report.cost_anomalies, "No cost anomaly found"),
    ):
        yield f"## {title}"
        yield ""
        if findings:
            yield from _findings_table(findings, sessions=True)
        else:
            yield f"{nothing} in the {report.analyzed} sessions analysed."
        yield ""
    if report.not_analyzed:
        yield (
            f"Detectors ran on the newest {report.analyzed} sessions of the period; "
            f"{report.not_analyzed} older ones were not analysed."
        )
        yield ""


def postmortem_markdown(report: PostmortemReport) -> str:
    """The postmortem as a Markdown document (every piece of trace text escaped)."""
    scope = INK.text(report.project) if report.project else "all projects"
    lines = [
        f"# Postmortem: {scope}",
        "",
        period_sentence(report, INK),
        "",
        success_sentence(report),
        "",
    ]
    lines += _postmortem_usage(report)
    lines += ["## Recurring failures", ""]
    if report.recurring:
        for index, failure in enumerate(report.recurring, 1):
            lines.append(f"{index}. {group_sentence(failure.group, INK)}.")
            lines.append(f"   Sessions: {sessions_hit(failure, INK)}.")
        hidden = report.recurring_total - len(report.recurring)
        if hidden:
            lines += ["", f"{hidden} more recurring failures not listed."]
    else:
        lines.append("No failure recurred in this period.")
    lines.append("")
    lines += _postmortem_findings(report)
    lines += ["## Guard vetoes", ""]
    if report.vetoes:
        rows = [
            [
                CELL.code(short_id(v.session_id)),
                CELL.text(v.session_name),
                str(v.step),
                v.kind,
                CELL.text(v.name),
                CELL.text(v.reason or "-"),
            ]
            for v in report.vetoes
        ]
        lines += md_table(["Session", "Name", "Step", "Kind", "Guard", "Reason"], rows)
    else:
        seen = f" ({report.guard_steps} guard or hook steps ran)" if report.guard_steps else ""
        lines.append(f"None recorded: no guardrail or hook step recorded a veto{seen}.")
    lines.append("")
    if report.unchecked:
        lines += ["## Not checked", ""]
        lines += [f"- {INK.text(note)}" for note in report.unchecked]
        lines.append("")
    return "\n".join(lines)
