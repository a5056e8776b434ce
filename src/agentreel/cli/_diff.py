"""``agentreel diff A B``: two recorded sessions aligned step by step.

Exit codes follow diff(1) rather than the other commands: 0 when the sessions
are the same, 1 when they differ, 2 when the diff could not be made (a bad id,
an unreadable database or reel file, a usage error). An error is still one
line, ``agentreel: error: ...``; only its code differs, so that a script can
tell "differ" from "failed".

The command is this module: finding the two sessions (in the database or in
reel files), making the diff and turning failures into exit code 2. What it
prints is ``_diffview``'s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from agentreel.diff import diff_sessions
from agentreel.errors import AgentreelError, NotFound
from agentreel.reelfile import import_reel
from agentreel.storage import MemoryStore, SessionFilter, Store

from ._context import CliContext, get_context
from ._diffview import diff_document, render_diff
from ._jsonout import print_json
from ._style import short_id
from ._trouble import EXPECTED, TROUBLE_EXIT, fail, fail_on

# diff_document and render_diff live in _diffview now; they stay exported here
# so that importing them from this module, as before the split, still works.
__all__ = ["DIFFER_EXIT", "TROUBLE_EXIT", "diff_cmd", "diff_document", "render_diff"]

DIFFER_EXIT = 1


@dataclass(frozen=True, slots=True)
class _Side:
    store: Store
    session_id: str
    #: The reel file the session was read from; None for the database.
    reel: str | None


class _Sources:
    """Opens the database and reel files that the two sides name, each once."""

    def __init__(self, cli: CliContext) -> None:
        self.cli = cli
        self._db: Store | None = None
        self._reels: dict[str, Store] = {}

    def side(self, arg: str) -> _Side:
        if "#" in arg:
            path, _, prefix = arg.rpartition("#")
            store = self._reel(path)
            return _Side(store, _in_reel(store, path, prefix), path)
        # Session ids are hex digits: anything with a dot or a slash is a file.
        if "." in arg or "/" in arg or os.sep in arg:
            store = self._reel(arg)
            return _Side(store, _in_reel(store, arg, None), arg)
        if self._db is None:
            self._db = self.cli.open_store()
        return _Side(self._db, self._db.resolve_session_id(arg), None)

    def _reel(self, path: str) -> Store:
        if path not in self._reels:
            store = MemoryStore()
            import_reel(store, path)
            self._reels[path] = store
        return self._reels[path]


def _in_reel(store: Store, path: str, prefix: str | None) -> str:
    ids = sorted(s.session.id for s in store.list_sessions(SessionFilter(limit=None)))
    listed = ", ".join(short_id(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
    if not ids:
        raise AgentreelError(f"{path} holds no sessions; export one with `agentreel export`")
    if prefix is None:
        if len(ids) == 1:
            return ids[0]
        raise AgentreelError(f"{path} holds {len(ids)} sessions ({listed}); name one as {path}#ID")
    try:
        return store.resolve_session_id(prefix)
    except NotFound:
        raise AgentreelError(
            f"no session in {path} matches {prefix!r}; it holds {listed}"
        ) from None


@click.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of rich text.")
@click.option("--all", "show_all", is_flag=True, help="Show every step, not only the changes.")
@click.option(
    "--context",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    metavar="N",
    help="Same steps shown around each difference, and lines around each text change.",
)
@click.option("--usage", "compare_usage", is_flag=True, help="Also compare token usage and cost.")
def diff_cmd(
    a: str, b: str, as_json: bool, show_all: bool, context: int, compare_usage: bool
) -> None:
    """Align two sessions step by step and show where they diverge.

    A and B are session ids or unique prefixes in the database, reel files
    holding one session, or FILE#ID for a session of a reel file. Exits 0
    when the sessions are the same, 1 when they differ, 2 on errors.
    """
    cli = get_context()
    try:
        sources = _Sources(cli)
        side_a, side_b = sources.side(a), sources.side(b)
        result = diff_sessions(
            side_a.store,
            side_a.session_id,
            side_b.session_id,
            store_b=None if side_b.store is side_a.store else side_b.store,
            compare_usage=compare_usage,
        )
        origins = (_origin(side_a), _origin(side_b))
        if as_json:
            print_json(cli.console, diff_document(result, origins))
        else:
            reels = (side_a.reel, side_b.reel)
            render_diff(cli.console, result, reels=reels, context=context, show_all=show_all)
    except EXPECTED as exc:
        fail_on(cli, exc)
    except KeyboardInterrupt:
        # click would say "Aborted!" and exit 1, which here means "differ".
        fail(cli, "interrupted before the diff was made")
    if not result.identical:
        click.get_current_context().exit(DIFFER_EXIT)


def _origin(side: _Side) -> str:
    return side.reel if side.reel is not None else side.store.location
