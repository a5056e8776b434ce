"""``agentreel plan ID``: what a session planned against what it did."""

from __future__ import annotations

import click

from ._context import get_context
from ._jsonout import print_json

__all__ = ["plan_cmd"]


@click.command("plan")
@click.argument("session_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of Markdown.")
def plan_cmd(session_id: str, as_json: bool) -> None:
    """Compare a session's plan with its execution: planned steps skipped,
    steps added, steps run out of order (or before their dependencies), and
    planned steps that failed.

    ID is a session id or a unique prefix of one. Markdown by default.
    """
    # Imported here: the reports package is not needed by other commands to start.
    from agentreel.reports import build_plan_report, plan_json, plan_markdown

    cli = get_context()
    report = build_plan_report(cli.open_store(), session_id)
    if as_json:
        print_json(cli.console, plan_json(report))
    else:
        cli.console.out(plan_markdown(report), end="", highlight=False)
