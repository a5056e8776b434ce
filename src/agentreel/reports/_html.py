"""Reports as self-contained HTML pages, with charts where a picture reads faster."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from agentreel.detectors import Finding

from ._model import Bucket, ModelContext, PostmortemReport, RcaReport
from ._page import HtmlInk, escape, page, pre, table
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
from ._svg import Bar, bar_chart, column_chart
from ._text import compact_json, format_cost, format_tokens, short_id

__all__ = ["postmortem_html", "rca_html"]

INK = HtmlInk()
OTHER_SESSIONS_SHOWN = 5
#: Rows a chart of models or agents shows; the table below it has them all.
CHART_ROWS = 12
_VERDICT = {"failed": "Failed.", "flagged": "Flagged.", "clean": "Clean."}


def _p(text: str) -> str:
    return f"<p>{text}</p>"


def _section(title: str, parts: Sequence[str]) -> str:
    return f"<section>\n<h2>{title}</h2>\n" + "\n".join(parts) + "\n</section>"


def _severity(severity: str) -> str:
    return f'<span class="sev-{escape(severity)}">{escape(severity)}</span>'


def _findings(findings: Sequence[Finding], *, sessions: bool = False) -> str:
    rows = []
    for f in findings:
        evidence = (
            f"<details><summary>evidence</summary>{pre(compact_json(dict(f.evidence)))}</details>"
            if f.evidence
            else ""
        )
        row = [
            _severity(f.severity),
            INK.text(f.detector),
            INK.text(f.kind),
            escape(steps_text(f.steps)),
            INK.text(f.message) + escape(recorded_note(f)) + evidence,
        ]
        rows.append([INK.code(short_id(f.session_id)), *row] if sessions else row)
    header = ["Severity", "Detector", "Kind", "Steps", "Finding"]
    return table(["Session", *header] if sessions else header, rows)


def _context(context: ModelContext) -> Iterator[str]:
    offered = ", ".join(INK.code(t) for t in context.tools_offered) or "none"
    yield _p(f"What the model was shown ({context.messages} messages; tools offered: {offered}):")
    if context.system_head is not None:
        yield "<h3>System prompt (head)</h3>" + pre(context.system_head)
    if context.last_user is not None:
        yield "<h3>Last user message (head)</h3>" + pre(context.last_user)
    if context.tool_results:
        earlier = (
            f", after {context.tool_results_omitted} earlier ones"
            if context.tool_results_omitted
            else ""
        )
        items = "".join(
            f"<li>{INK.code(r.tool) if r.tool else 'a tool'}{' (error)' if r.is_error else ''}"
            f"{pre(r.text)}</li>"
            for r in context.tool_results
        )
        yield f"<h3>Tool results it had read{earlier}</h3><ul>{items}</ul>"
    else:
        yield _p("No tool results.")


def _rca_failure(report: RcaReport) -> Iterator[str]:
    failing = report.failing_step
    if failing is None:
        if report.verdict == "failed":
            error = INK.code(error_text(report.session.error))
            yield _section(
                "Failing step", [_p(f"No step failed: the session itself ended in error, {error}.")]
            )
        elif report.focus is not None:
            first = step_label(report.focus, INK)
            yield _section("Flagged step", [_p(f"The most severe finding is at {first}.")])
        return
    parts = [
        _p(f"{capital(step_label(failing.step, INK))} failed with:"),
        pre(error_text(failing.step.error)),
    ]
    if failing.input is not None:
        parts.append(_p(f"Its input: {INK.code(arguments_text(failing.input))}"))
    if failing.propagated_by:
        relays = ", ".join(step_label(s, INK) for s in failing.propagated_by)
        parts.append(_p(f"Passed on by {relays}."))
    if report.other_failures:
        items = "".join(f"<li>{other_failure(s, INK)}</li>" for s in report.other_failures)
        parts.append(_p("Other failures in this session:") + f"<ul>{items}</ul>")
    yield _section("Failing step", parts)


def _rca_cause(report: RcaReport) -> Iterator[str]:
    if report.focus is None:
        return
    cause = report.cause
    if cause is None:
        why = INK.text(report.cause_note or "")
        text = f"No model call is linked to step {report.focus.number}: {why}."
        yield _section("Causal chain", [_p(text)])
        return
    parts = [_p(cause_sentence(cause, report.focus, INK))]
    if cause.context is not None:
        parts += _context(cause.context)
    else:
        parts.append(_p(f"Its context cannot be shown: {INK.text(cause.context_note or '')}."))
    yield _section("Causal chain", parts)


def _rca_recurring(report: RcaReport) -> Iterator[str]:
    if not report.recurring:
        return
    items = []
    for hit in report.recurring:
        others = [sid for sid in hit.group.sessions if sid != report.session.id]
        text = f"{group_sentence(hit.group, INK)}. Here at {steps_phrase(hit.steps)}."
        if others:
            shown = ", ".join(INK.code(short_id(s)) for s in others[:OTHER_SESSIONS_SHOWN])
            extra = len(others) - OTHER_SESSIONS_SHOWN
            text += f" Also in {shown}{f' and {extra} more' if extra > 0 else ''}."
        items.append(f"<li>{text}</li>")
    yield _section("Recurring failures", [f"<ul>{''.join(items)}</ul>"])


def _rca_comparison(report: RcaReport) -> Iterator[str]:
    if report.verdict == "clean":
        return
    comparison = report.comparison
    if comparison is None:
        note = INK.text(report.comparison_note or "")
        yield _section(
            "Compared with a successful session", [_p(f"Nothing to compare with: {note}.")]
        )
        return
    paragraphs = [_p(text) for text in comparison_sentences(comparison, INK)]
    yield _section("Compared with a successful session", paragraphs)


def rca_html(report: RcaReport) -> str:
    """The root-cause report as one self-contained HTML page."""
    body = [
        f"<h1>Root-cause report: {INK.text(report.session.name)}</h1>",
        f'<p class="meta">{session_sentence(report.session, INK)}</p>',
        f'<p class="verdict {report.verdict}">{INK.strong(_VERDICT[report.verdict])} '
        f"{INK.text(report.headline)}</p>",
        *_rca_failure(report),
        *_rca_cause(report),
        _section(
            "Detector findings",
            [_findings(report.findings) if report.findings else _p("No detector found anything.")],
        ),
        *_rca_recurring(report),
        *_rca_comparison(report),
    ]
    commands = "".join(
        f"<li>{INK.code(c.command)}: {escape(c.why)}</li>" for c in report.next_commands
    )
    body.append(_section("Next commands", [f'<ul class="commands">{commands}</ul>']))
    if report.unchecked:
        notes = "".join(f"<li>{INK.text(n)}</li>" for n in report.unchecked)
        body.append(_section("Not checked", [f"<ul>{notes}</ul>"]))
    return page(f"Root-cause report: {report.session.name}", body)


def _usage_table(buckets: Sequence[Bucket], column: str, *, calls: bool) -> str:
    header = [column, "Sessions", *(["Model calls"] if calls else []), "Tokens", "Cost"]
    rows = [
        [
            INK.text(b.key),
            str(b.sessions),
            *([str(b.calls)] if calls else []),
            format_tokens(b.usage.total),
            format_cost(b.cost),
        ]
        for b in buckets
    ]
    return table(header, rows, numeric=range(1, len(header)))


def _cost_bars(buckets: Sequence[Bucket]) -> list[Bar]:
    return [Bar(label=b.key, value=b.cost, shown=format_cost(b.cost)) for b in buckets]


def _postmortem_usage(report: PostmortemReport) -> Iterator[str]:
    if report.by_day:
        yield _section(
            "Cost and tokens by day",
            [
                column_chart("Cost by day (UTC)", _cost_bars(report.by_day)),
                _usage_table(report.by_day, "Day (UTC)", calls=False),
            ],
        )
    else:
        yield _section("Cost and tokens by day", [_p("No sessions.")])
    for title, column, buckets in (
        ("model", "Model", report.by_model),
        ("agent", "Agent", report.by_agent),
    ):
        if not buckets:
            yield _section(f"Cost and tokens by {title}", [_p("No model usage recorded.")])
            continue
        chart = bar_chart(f"Cost by {title}", _cost_bars(buckets[:CHART_ROWS]))
        yield _section(
            f"Cost and tokens by {title}", [chart, _usage_table(buckets, column, calls=True)]
        )
    if report.not_scanned:
        yield _p(
            f"Model and agent totals cover the steps of the newest {report.scanned} sessions; "
            f"{report.not_scanned} older ones were not read."
        )


def _postmortem_recurring(report: PostmortemReport) -> str:
    if not report.recurring:
        return _section("Recurring failures", [_p("No failure recurred in this period.")])
    items = []
    for failure in report.recurring:
        hit = sessions_hit(failure, INK)
        items.append(f"<li>{group_sentence(failure.group, INK)}.<br>Sessions: {hit}.</li>")
    parts = [f"<ol>{''.join(items)}</ol>"]
    hidden = report.recurring_total - len(report.recurring)
    if hidden:
        parts.append(_p(f"{hidden} more recurring failures not listed."))
    return _section("Recurring failures", parts)


def _vetoes(report: PostmortemReport) -> str:
    if not report.vetoes:
        seen = f" ({report.guard_steps} guard or hook steps ran)" if report.guard_steps else ""
        return _section(
            "Guard vetoes", [_p(f"None recorded: no guardrail or hook step recorded a veto{seen}.")]
        )
    rows = [
        [
            INK.code(short_id(v.session_id)),
            INK.text(v.session_name),
            str(v.step),
            escape(v.kind),
            INK.code(v.name),
            INK.text(v.reason or "-"),
        ]
        for v in report.vetoes
    ]
    return _section(
        "Guard vetoes", [table(["Session", "Name", "Step", "Kind", "Guard", "Reason"], rows)]
    )


def postmortem_html(report: PostmortemReport) -> str:
    """The postmortem as one self-contained HTML page, with SVG charts of cost."""
    scope = report.project if report.project else "all projects"
    body = [
        f"<h1>Postmortem: {INK.text(scope)}</h1>",
        f'<p class="meta">{period_sentence(report, INK)}</p>',
        _p(success_sentence(report)),
        *_postmortem_usage(report),
        _postmortem_recurring(report),
    ]
    for title, findings, nothing in (
        ("Drift incidents", report.drift, "No context drift found"),
        ("Cost anomalies", report.cost_anomalies, "No cost anomaly found"),
    ):
        shown = (
            _findings(findings, sessions=True)
            if findings
            else _p(f"{nothing} in the {report.analyzed} sessions analysed.")
        )
        body.append(_section(title, [shown]))
    if report.not_analyzed:
        body.append(
            _p(
                f"Detectors ran on the newest {report.analyzed} sessions of the period; "
                f"{report.not_analyzed} older ones were not analysed."
            )
        )
    body.append(_vetoes(report))
    if report.unchecked:
        notes = "".join(f"<li>{INK.text(n)}</li>" for n in report.unchecked)
        body.append(_section("Not checked", [f"<ul>{notes}</ul>"]))
    return page(f"Postmortem: {scope}", body)
