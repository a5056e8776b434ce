"""``agentreel replay ID -- CMD...``: run a program again with the recording served.

Exit codes: 0 when the replay matched the recording, 1 when it diverged, 2
when it could not be made (a bad id or option, an unreadable database, a
program that did not report). Errors are one line, ``agentreel: error: ...``.
The program's own exit code is in the report (``exit_code`` with --json).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from agentreel.bootstrap import ChildPlan
from agentreel.errors import AgentreelError, ConfigurationError, UnknownStep
from agentreel.replay import ReplayMode, load_recording

from ._context import CliContext, get_context
from ._jsonout import print_json
from ._replay_child import NO_REPORT, run_child, session_name
from ._trouble import EXPECTED, TROUBLE_EXIT, fail_on

__all__ = ["DIVERGED_EXIT", "TROUBLE_EXIT", "replay_cmd"]

DIVERGED_EXIT = 1


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigurationError(f"{path} is not JSON ({exc}); {what}") from None


def _prepare(
    cli: CliContext,
    session_id: str,
    fork_at: int | None,
    sources: tuple[str | None, str | None, bool],
) -> tuple[str, dict[str, Any] | None]:
    """Check the recording here, before the program runs; return its full id and the edit."""
    output_json, input_json, edit = sources
    if sum((output_json is not None, input_json is not None, edit)) > 1:
        raise click.UsageError("give only one of --output-json, --input-json and --edit")
    if fork_at is None and (output_json or input_json or edit):
        raise click.UsageError("--output-json, --input-json and --edit need --fork-at N")
    store = cli.open_store()
    recording = load_recording(store, session_id)
    full_id = recording.session.id
    if fork_at is not None and fork_at not in recording.steps:
        raise UnknownStep(full_id, fork_at, len(recording.steps))
    if output_json is not None:
        return full_id, {"output": _read_json(output_json, "--output-json takes a JSON file")}
    if input_json is not None:
        value = _read_json(input_json, "--input-json takes a JSON file")
        if not isinstance(value, dict):
            raise ConfigurationError(
                f"{input_json} must hold a JSON object: argument names (or request body "
                "fields) to values"
            )
        return full_id, {"input": value}
    if edit and fork_at is not None:
        step = recording.steps[fork_at]
        original = json.dumps(step.output, indent=2, ensure_ascii=False) + "\n"
        saved = click.edit(original, extension=".json")
        if saved is None:
            raise ConfigurationError(
                f"the editor was closed without saving; nothing to fork step {fork_at} with"
            )
        try:
            return full_id, {"output": json.loads(saved)}
        except ValueError as exc:
            raise ConfigurationError(f"the edited output is not JSON ({exc}); try again") from None
    return full_id, None


@click.command("replay")
@click.argument("session_id", metavar="ID")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in ReplayMode]),
    default=ReplayMode.STRICT.value,
    show_default=True,
    help="What a call the recording does not have does.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option(
    "--fork-at", type=click.IntRange(min=1), metavar="N", help="Run step N and after live."
)
@click.option(
    "--output-json", metavar="FILE", help="With --fork-at: serve this as step N's output."
)
@click.option(
    "--input-json", metavar="FILE", help="With --fork-at: run step N with these arguments."
)
@click.option("--edit", is_flag=True, help="With --fork-at: edit step N's output in $EDITOR.")
@click.option(
    "--after-fork",
    type=click.Choice(["live", "matching"]),
    default="live",
    show_default=True,
    help="With --fork-at: run everything after step N live, or keep serving the recording "
    "wherever a request still matches it.",
)
@click.argument("command", nargs=-1, required=True, metavar="-- COMMAND...")
def replay_cmd(
    session_id: str,
    mode: str,
    as_json: bool,
    fork_at: int | None,
    output_json: str | None,
    input_json: str | None,
    edit: bool,
    after_fork: str,
    command: tuple[str, ...],
) -> int:
    """Run COMMAND again with session ID's model, tool and retrieval answers
    served from the recording, and report where the run departs from it.

    Exits 0 when the replay matched the recording, 1 when it diverged, 2 on
    errors.
    """
    cli = get_context()
    try:
        full_id, edit_value = _prepare(cli, session_id, fork_at, (output_json, input_json, edit))
        cli.close()  # the child records into the same database
        plan = ChildPlan(
            result_file="",
            db=os.path.abspath(cli.db_location),
            name=session_name(command),
            replay=full_id,
            mode=mode,
            fork_at=fork_at,
            after_fork=after_fork,
        )
        outcome = run_child(command, plan, stdout_to_stderr=as_json, edit=edit_value)
        report = outcome.report
        if report is None:
            raise AgentreelError(NO_REPORT)
        if "error" in report:
            raise AgentreelError(str(report["error"]))
        result = report.get("replay")
        if not isinstance(result, dict):
            raise AgentreelError(NO_REPORT)
    except EXPECTED as exc:
        fail_on(cli, exc)
    if as_json:
        print_json(cli.console, {**result, "exit_code": outcome.exit_code})
    else:
        cli.console.out(str(report.get("text", "")), highlight=False)
        if outcome.exit_code:
            cli.err_console.print(
                Text(f"agentreel: the program exited with code {outcome.exit_code}"),
                highlight=False,
            )
    return 0 if result.get("ok") else DIVERGED_EXIT
