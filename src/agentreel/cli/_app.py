"""The ``agentreel`` click group: global options, commands and error policy.

Error policy, the same however the group is invoked (the console script calls
``cli.main(standalone_mode=False)``, tests use click's ``CliRunner``):

* an ``AgentreelError``, a SQLite error or an unreadable file ends the command
  with ONE line ``agentreel: error: <message>`` on stderr and exit code 1;
* usage errors keep click's message and exit code 2;
* never a traceback for any of these.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click
from rich.text import Text

from ._attach import attach
from ._context import CliContext
from ._debug import debug
from ._demo import demo
from ._diff import diff_cmd
from ._keys import keys
from ._ls import ls
from ._plan import plan_cmd
from ._postmortem import postmortem
from ._rca import rca
from ._record import record_cmd
from ._replay import replay_cmd
from ._serve import serve
from ._show import show
from ._tail import tail
from ._transfer import export_cmd, import_cmd
from ._trouble import EXPECTED, sentence
from ._ui_cmd import ui

__all__ = ["AgentreelGroup", "cli"]

ERROR_EXIT = 1


class _Failed(click.ClickException):
    """An expected failure, already reported to the user."""

    exit_code = ERROR_EXIT

    def show(self, file: Any = None) -> None:
        # Reported where it happened, through the invocation's error console.
        pass


def _report(ctx: click.Context, message: str) -> NoReturn:
    # One line, whatever the underlying message holds, so scripts can grep it.
    line = "agentreel: error: " + " ".join(message.splitlines())
    obj = ctx.find_object(CliContext)
    if obj is None:
        click.echo(line, err=True)
    else:
        obj.err_console.print(Text(line), soft_wrap=True, highlight=False, markup=False)
    raise _Failed(message)


class AgentreelGroup(click.Group):
    """A group that turns expected failures into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as exc:
            obj = ctx.find_object(CliContext)
            message = sentence(exc, obj.db_location if obj is not None else "the reel database")
            if message is None:
                raise
            _report(ctx, message)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the group; return the exit code, or exit with it in standalone mode.

        click propagates exceptions when ``standalone_mode`` is false; the
        console script runs that way, so the usual click reporting (usage
        message, exit 2; "Aborted!", exit 1) is done here for both modes.
        """
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except click.Abort:
            click.echo("Aborted!", err=True)
            code = ERROR_EXIT
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=AgentreelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    metavar="PATH",
    envvar="AGENTREEL_DB",
    show_envvar=True,
    help="The reel database.  [default: ./.agentreel/reel.db]",
)
@click.version_option(package_name="agentreel", prog_name="agentreel")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Inspect recorded agent sessions: list them, show their steps, follow
    one live, and move them between machines as reel files."""
    obj = ctx.find_object(CliContext)
    if obj is None:
        obj = ctx.ensure_object(CliContext)
    # An explicit --db wins; the environment only fills in a context that does
    # not name a database yet (tests inject one and must not be redirected).
    source = ctx.get_parameter_source("db")
    if db is not None and (obj.db is None or source is click.core.ParameterSource.COMMANDLINE):
        obj.db = db
    ctx.call_on_close(obj.close)


for _command in (ls, show, tail, diff_cmd, export_cmd, import_cmd, demo):
    cli.add_command(_command)
cli.add_command(debug)
cli.add_command(rca)
cli.add_command(postmortem)
cli.add_command(record_cmd)
cli.add_command(replay_cmd)
cli.add_command(serve)
cli.add_command(keys)
cli.add_command(ui)
cli.add_command(attach)
cli.add_command(plan_cmd)
