"""``agentreel postmortem``: what happened across the sessions of a period."""

from __future__ import annotations

import click

from ._context import get_context
from ._format import parse_since
from ._rca import emit_report, format_option, report_options

__all__ = ["postmortem"]


@click.command("postmortem")
@click.option(
    "--since",
    metavar="WHEN",
    default="7d",
    show_default=True,
    help="Sessions started after WHEN: 7d, 12h, 30m, 45s, 2w ago, or an ISO date.",
)
@click.option("--project", metavar="P", help="Only sessions of this project.")
@report_options
def postmortem(
    since: str, project: str | None, as_html: bool, as_json: bool, output: str | None
) -> None:
    """Sum up a period: sessions and success rate, cost and tokens by day, model
    and agent, recurring failures, context drift, cost anomalies and guard vetoes.

    Markdown by default.
    """
    # Imported here, as for ``rca``: only these two commands need the reports.
    from agentreel.reports import (
        build_postmortem,
        postmortem_html,
        postmortem_json,
        postmortem_markdown,
    )

    kind = format_option(as_html, as_json)
    cli = get_context()
    now = cli.clock()
    try:
        since_ns = parse_since(since, now, cli.tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    store = cli.open_store()
    report = build_postmortem(store, since=since_ns, project=project, now=now)
    what = f"the postmortem of {report.sessions} sessions"
    if kind == "json":
        emit_report(cli, text=None, document=postmortem_json(report), output=output, what=what)
    else:
        text = postmortem_html(report) if kind == "html" else postmortem_markdown(report)
        emit_report(cli, text=text, document=None, output=output, what=what)
