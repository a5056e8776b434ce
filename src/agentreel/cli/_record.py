"""``agentreel record -- CMD...``: run a program with recording on, unchanged.

The program's exit code is the command's. Its stdout stays its own: what
agentreel says goes to stderr, except ``--json``, which sends the program's
stdout to stderr and prints ``{"session_id", "sessions", "exit_code"}`` alone
on stdout.
"""

from __future__ import annotations

import os

import click
from rich.text import Text

from agentreel.bootstrap import ChildPlan
from agentreel.errors import AgentreelError

from ._context import get_context
from ._jsonout import print_json
from ._replay_child import NO_REPORT, run_child, session_name
from ._style import short_id

__all__ = ["record_cmd"]


@click.command("record")
@click.option("--name", metavar="NAME", help="The session's name.  [default: the script's name]")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A tag for the session; repeat.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@click.argument("command", nargs=-1, required=True, metavar="-- COMMAND...")
def record_cmd(
    name: str | None, tags: tuple[str, ...], as_json: bool, command: tuple[str, ...]
) -> int:
    """Run COMMAND (a Python program) with every agentreel step and every
    openai / anthropic call recorded into the database.

    Exits with the program's exit code.
    """
    cli = get_context()
    plan = ChildPlan(
        result_file="",
        db=os.path.abspath(cli.db_location),
        name=name or session_name(command),
        tags=tags,
    )
    outcome = run_child(command, plan, stdout_to_stderr=as_json)
    report = outcome.report
    if report is None:
        raise AgentreelError(NO_REPORT)
    if "error" in report:
        raise AgentreelError(str(report["error"]))
    session_id = report.get("session_id")
    if as_json:
        print_json(
            cli.console,
            {
                "session_id": session_id,
                "sessions": report.get("sessions", []),
                "exit_code": outcome.exit_code,
            },
        )
    elif session_id is None:
        cli.err_console.print(Text("agentreel: the program recorded no steps"), highlight=False)
    else:
        sid = str(session_id)
        cli.err_console.print(
            Text(f"agentreel: recorded session {sid}\n  see it: agentreel show {short_id(sid)}"),
            highlight=False,
        )
    return outcome.exit_code
