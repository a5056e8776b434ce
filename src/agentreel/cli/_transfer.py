"""``agentreel export`` and ``agentreel import``: sessions in and out of reel files."""

from __future__ import annotations

import sys
from typing import BinaryIO

import click
from rich.text import Text

from agentreel.reelfile import export_reel, import_reel

from ._context import get_context
from ._format import format_bytes
from ._style import short_id

__all__ = ["export_cmd", "import_cmd"]

#: How many imported ids the summary names before saying "and N more".
_NAMED = 5
_STDIO = "-"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(short_id(i) for i in ids[:_NAMED])
    return shown + (f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else "")


@click.command("export")
@click.argument("session_ids", metavar="ID...", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    metavar="FILE",
    help="The reel file to write ('-' for standard output).",
)
@click.option("--gzip", "gzip_", is_flag=True, help="Compress (the default when FILE ends in .gz).")
def export_cmd(session_ids: tuple[str, ...], output: str, gzip_: bool) -> None:
    """Export sessions to a reel file, with every payload they use.

    Each ID is a session id or a unique prefix of one.
    """
    cli = get_context()
    store = cli.open_store()
    # Resolve every prefix first: one bad id fails before any file is written.
    full_ids = list(dict.fromkeys(store.resolve_session_id(i) for i in session_ids))
    compress = True if gzip_ else None
    dest: str | BinaryIO = sys.stdout.buffer if output == _STDIO else output
    try:
        summary = export_reel(store, full_ids, dest, compress=compress)
    except OSError as exc:
        if exc.errno is None or output == _STDIO:
            raise
        # The writer works on a temporary file beside FILE; name FILE itself.
        raise OSError(exc.errno, exc.strerror, output) from exc
    # With the reel on standard output, the summary must not mix into it.
    console = cli.err_console if output == _STDIO else cli.console
    where = "standard output" if output == _STDIO else output
    console.print(
        Text(
            f"Exported {_plural(summary.sessions, 'session')} "
            f"({_plural(summary.steps, 'step')}, {_plural(summary.blobs, 'blob')}, "
            f"{format_bytes(summary.bytes)}) to {where}"
        ),
        soft_wrap=True,
    )


@click.command("import")
@click.argument("source", metavar="FILE")
def import_cmd(source: str) -> None:
    """Import the sessions of a reel file (plain or gzip; '-' reads standard input).

    Creates the database if it does not exist. Sessions already in it are
    replaced by the file's copy.
    """
    cli = get_context()
    store = cli.open_store(create=True)
    src: str | BinaryIO = sys.stdin.buffer if source == _STDIO else source
    summary = import_reel(store, src)
    count = len(summary.session_ids)
    where = "standard input" if source == _STDIO else source
    line = (
        f"Imported {_plural(count, 'session')} ({_plural(summary.steps, 'step')}, "
        f"{_plural(summary.blobs, 'blob')}) from {where} into {store.location}"
    )
    if count:
        line += f": {_ids(summary.session_ids)}"
    cli.console.print(Text(line), soft_wrap=True)
    if summary.replaced:
        cli.console.print(
            Text(
                f"Replaced {_plural(len(summary.replaced), 'session')} already there: "
                f"{_ids(summary.replaced)}"
            ),
            soft_wrap=True,
        )
