"""``agentreel ls``: the recorded sessions, newest first, from the reel or a server.

With ``--server URL`` the sessions come from an ``agentreel serve``'s
``/api/sessions`` instead of the local database: the same filters, columns
and ``--json`` shape (the API answers with the same session JSON); the
reading is in ``_ls_server``.
"""

from __future__ import annotations

from typing import Any

import click
from rich import box
from rich.table import Table
from rich.text import Text

from agentreel._units import iso_utc
from agentreel.model import SessionSummary, Status
from agentreel.storage import SessionFilter

from ._context import CliContext, get_context
from ._format import (
    NS_PER_S,
    format_cost,
    format_relative,
    format_span,
    format_timestamp,
    format_tokens,
    parse_since,
)
from ._jsonout import print_json, session_json
from ._ls_server import fetch_sessions, summary_from_json
from ._style import STATUS_STYLE, short_id

__all__ = ["ls", "sessions_table"]

#: Sessions younger than this show their start relative to now ("3h ago").
RELATIVE_FOR_NS = 7 * 86400 * NS_PER_S
#: The widest the name and tags columns grow; longer values end in "…".
NAME_MAX, TAGS_MAX = 40, 30
#: Below this many characters the tags column is left out (``--json`` has them).
TAGS_MIN = 8
#: Characters of a name kept before the tags column gets any room.
NAME_KEEP = 24
_GAP = 2  # characters between columns


def _started(ns: int, cli: CliContext, now_ns: int) -> str:
    if now_ns - ns < RELATIVE_FOR_NS:  # a clock running ahead reads "just now"
        return format_relative(ns, now_ns)
    return format_timestamp(ns, cli.tz)[:10]


def _one_line(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


_FIXED = ("id", "status", "steps", "duration", "tokens", "cost", "started")
_RIGHT = {"steps", "duration", "tokens", "cost"}


def sessions_table(
    summaries: list[SessionSummary], cli: CliContext, now_ns: int, *, width: int
) -> Table:
    """The ``ls`` table of ``summaries``, in the order given, fitted to ``width``.

    Ids, numbers and times are never cut, or they would be useless: only the
    name and the tags give way, the tags first, and the tags column is left
    out when it would be too narrow to read.
    """
    fixed: list[dict[str, str | Text]] = []
    for summary in summaries:
        session = summary.session
        fixed.append(
            {
                "id": short_id(session.id),
                "status": Text(str(session.status), style=STATUS_STYLE[session.status]),
                "steps": str(summary.step_count),
                "duration": format_span(session.started_at, session.ended_at, now_ns),
                "tokens": format_tokens(summary.usage.total) if summary.usage else "-",
                "cost": format_cost(summary.cost) if summary.cost else "-",
                "started": _started(session.started_at, cli, now_ns),
            }
        )
    used = sum(max([len(c), *(len(row[c]) for row in fixed)]) for c in _FIXED)
    names = [s.session.name for s in summaries]
    tags = [", ".join(s.session.tags) for s in summaries]
    name_want = min(NAME_MAX, max([4, *map(len, names)]))
    tags_want = min(TAGS_MAX, max([4, *map(len, tags)]))
    # Room for name and tags once the fixed columns and every gap are placed.
    room = width - used - _GAP * (len(_FIXED) + 1)
    # The name keeps NAME_KEEP characters before the tags get any room.
    name_core = min(name_want, NAME_KEEP)
    with_tags = room - name_core >= TAGS_MIN
    if with_tags:
        tags_width = min(tags_want, room - name_core)
        name_width = min(name_want, room - tags_width)
    else:
        tags_width = 0
        name_width = min(name_want, max(room + _GAP, 4))

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for column in _FIXED:
        if column == "status":
            table.add_column("name", width=name_width, no_wrap=True)
        if column == "started" and with_tags:
            table.add_column("tags", width=tags_width, no_wrap=True)
        table.add_column(column, justify="right" if column in _RIGHT else "left", no_wrap=True)
    for cells, name, tag_text in zip(fixed, names, tags, strict=True):
        row = [cells["id"], _one_line(name), *(cells[c] for c in _FIXED[1:-1])]
        if with_tags:
            row.append(_one_line(tag_text))
        row.append(cells["started"])
        table.add_row(*row)
    return table


@click.command("ls")
@click.option("--name", help="Only sessions whose name contains this (any case).")
@click.option(
    "--tag", "tags", multiple=True, metavar="TAG", help="Only sessions with this tag (repeatable)."
)
@click.option(
    "--status",
    type=click.Choice([str(s) for s in Status]),
    help="Only sessions with this status.",
)
@click.option("--project", help="Only sessions of this project.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only sessions started after WHEN: 7d, 12h, 30m, 45s, 2w ago, or an ISO date.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Show at most this many sessions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--server",
    metavar="URL",
    envvar="AGENTREEL_SERVER",
    help="List the sessions of an `agentreel serve` at URL instead of the local reel "
    "[env: AGENTREEL_SERVER].",
)
@click.option(
    "--api-key",
    metavar="KEY",
    envvar="AGENTREEL_API_KEY",
    help="The API key, for a server running with --auth [env: AGENTREEL_API_KEY].",
)
def ls(
    name: str | None,
    tags: tuple[str, ...],
    status: str | None,
    project: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    server: str | None,
    api_key: str | None,
) -> None:
    """List recorded sessions, newest first."""
    cli = get_context()
    now_ns = cli.clock()
    since_ns = None
    if since is not None:
        try:
            since_ns = parse_since(since, now_ns, cli.tz)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from None
    if server:
        query: dict[str, Any] = {"name": name, "tag": list(tags), "status": status,
                                 "project": project, "since": iso_utc(since_ns)}  # fmt: skip
        rows, total = fetch_sessions(server, api_key, query, limit)
        truncated = total > len(rows)
        console = cli.console
        if as_json:
            print_json(console, {"sessions": rows, "truncated": truncated})
        elif not rows:
            filtered = any(v for v in query.values())
            console.print(
                "No sessions match these filters."
                if filtered
                else Text(f"No sessions on the server at {server} yet.")
            )
        else:
            summaries = [summary_from_json(r) for r in rows]
            console.print(sessions_table(summaries, cli, now_ns, width=console.width))
            if truncated:
                console.print(
                    Text(f"Showing the newest {limit}; use --limit to see more.", style="dim")
                )
        return
    store = cli.open_store()
    wanted = SessionFilter(
        name=name,
        tags=tags,
        status=Status(status) if status else None,
        project=project,
        since=since_ns,
        # One more than asked for tells whether the listing was cut short.
        limit=limit + 1,
    )
    found = store.list_sessions(wanted)
    truncated = len(found) > limit
    found = found[:limit]
    console = cli.console
    if as_json:
        print_json(console, {"sessions": [session_json(s) for s in found], "truncated": truncated})
        return
    if not found:
        if store.count_sessions() == 0:
            console.print(
                Text(
                    f"No sessions recorded in {store.location} yet. "
                    "Run `agentreel demo` to record a few example sessions."
                ),
                soft_wrap=True,
            )
        else:
            console.print("No sessions match these filters.")
        return
    console.print(sessions_table(found, cli, now_ns, width=console.width))
    if truncated:
        console.print(Text(f"Showing the newest {limit}; use --limit to see more.", style="dim"))
