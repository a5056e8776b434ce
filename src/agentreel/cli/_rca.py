"""``agentreel rca ID``: a root-cause report for one session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import orjson
from rich.text import Text

from ._context import CliContext, get_context
from ._jsonout import print_json
from ._style import short_id

__all__ = ["emit_report", "format_option", "rca", "report_options"]

_STDOUT = "-"


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The output options every report command takes: --html, --json and -o FILE."""
    to_file = "Write the report to FILE instead of standard output."
    command = click.option("-o", "--output", metavar="FILE", help=to_file)(command)
    command = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of Markdown."
    )(command)
    return click.option(
        "--html", "as_html", is_flag=True, help="Write one self-contained HTML page."
    )(command)


def format_option(as_html: bool, as_json: bool) -> str:
    """``"markdown"``, ``"html"`` or ``"json"``; both flags at once is a usage error."""
    if as_html and as_json:
        raise click.UsageError("--html and --json cannot be used together; choose one")
    return "html" if as_html else "json" if as_json else "markdown"


def emit_report(
    cli: CliContext, *, text: str | None, document: Any, output: str | None, what: str
) -> None:
    """Print a report (``text``, or ``document`` as JSON) or write it to ``output``.

    Written to a file, the report is announced in one line that says ``what``
    it is, so the file is easy to find in a terminal's scrollback.
    """
    if output is None or output == _STDOUT:
        if text is None:
            print_json(cli.console, document)
        else:
            cli.console.out(text, end="", highlight=False)
        return
    data = (
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
        if text is None
        else text.encode("utf-8")
    )
    Path(output).write_bytes(data)
    cli.console.print(Text(f"Wrote {what} to {output}"), soft_wrap=True)


@click.command("rca")
@click.argument("session_id", metavar="ID")
@report_options
def rca(session_id: str, as_html: bool, as_json: bool, output: str | None) -> None:
    """Explain why a session failed or was flagged: the failing step, the model
    call behind it and what it saw, detector findings, recurring failures, the
    first divergence from a similar successful session, and what to run next.

    ID is a session id or a unique prefix of one. Markdown by default.
    """
    # Imported here: the reports pull in the detectors and the diff engine,
    # which no other command needs to start.
    from agentreel.reports import build_rca, rca_html, rca_json, rca_markdown

    kind = format_option(as_html, as_json)
    cli = get_context()
    store = cli.open_store()
    report = build_rca(store, session_id, now=cli.clock())
    what = f"the root-cause report of {report.session.name} ({short_id(report.session.id)})"
    if kind == "json":
        emit_report(cli, text=None, document=rca_json(report), output=output, what=what)
    else:
        text = rca_html(report) if kind == "html" else rca_markdown(report)
        emit_report(cli, text=text, document=None, output=output, what=what)
