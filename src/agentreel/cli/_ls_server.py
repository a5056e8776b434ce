"""``agentreel ls --server``: the sessions of an ``agentreel serve``, read over HTTP.

The server's ``/api/sessions`` answers with the session JSON of ``ls --json``,
so the rows are printed as they come, or turned back into summaries for the
table. The standard library's HTTP client is enough: no extra package.
Failures to reach or read the server are ``AgentreelError`` (from the
shared JSON client, ``agentreel._http``): one ``agentreel: error:`` line and
exit code 1, as for a local database.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Sequence
from typing import Any

import click

from agentreel._http import JsonHttp
from agentreel.errors import AgentreelError
from agentreel.model import ErrorInfo, ForkRef, Session, SessionSummary, Status, TokenUsage

from ._format import NS_PER_S

__all__ = ["fetch_sessions", "summary_from_json"]

#: The most sessions the server answers per request (its ``limit`` maximum).
SERVER_PAGE = 500
#: Seconds to wait for the server before giving up.
SERVER_TIMEOUT_S = 30.0


def fetch_sessions(
    server: str, api_key: str | None, query: dict[str, Any], limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Up to ``limit`` sessions from ``server``'s ``/api/sessions``, and how many match."""
    try:
        http = JsonHttp(server, api_key)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--server") from None
    params = {k: v for k, v in query.items() if v not in (None, [], "")}
    rows: list[dict[str, Any]] = []
    total = 0
    while len(rows) < limit:
        page = min(SERVER_PAGE, limit - len(rows))
        wanted = {**params, "limit": page, "offset": len(rows)}
        answer = http.call("GET", "/api/sessions?" + urllib.parse.urlencode(wanted, doseq=True),
                           timeout=SERVER_TIMEOUT_S)  # fmt: skip
        found = answer.get("sessions")
        if not isinstance(found, list):
            raise AgentreelError(f"the server at {server} answered without a session list")
        rows.extend(found)
        total = int(answer.get("total", len(rows)))
        if len(found) < page:
            break
    return rows, max(total, len(rows))


def _ns(text: Any) -> int | None:
    if not isinstance(text, str):
        return None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def summary_from_json(row: dict[str, Any]) -> SessionSummary:
    """A session of the API's (and ``ls --json``'s) shape back as a summary, for the table."""
    tokens = row.get("tokens") or {}
    error = row.get("error")
    fork = row.get("forked_from")
    started = _ns(row.get("started_at")) or 0
    session = Session(
        id=str(row["id"]),
        name=str(row.get("name", "")),
        project=str(row.get("project", "default")),
        tags=tuple(_strings(row.get("tags"))),
        metadata=dict(row.get("metadata") or {}),
        status=Status(row.get("status", "ok")),
        started_at=started,
        ended_at=_ns(row.get("ended_at")),
        error=None
        if not isinstance(error, dict)
        else ErrorInfo(
            type=str(error.get("type", "")),
            message=str(error.get("message", "")),
            traceback=str(error.get("traceback", "")),
        ),
        forked_from=None
        if not isinstance(fork, dict)
        else ForkRef(session_id=str(fork["session_id"]), step=int(fork["step"])),
    )
    return SessionSummary(
        session=session,
        step_count=int(row.get("steps", 0)),
        error_count=int(row.get("errors", 0)),
        usage=TokenUsage(
            input=int(tokens.get("input", 0)),
            output=int(tokens.get("output", 0)),
            cached=int(tokens.get("cached", 0)),
            reasoning=int(tokens.get("reasoning", 0)),
        ),
        cost=float(row.get("cost") or 0.0),
    )


def _strings(value: Any) -> Sequence[str]:
    return [str(v) for v in value] if isinstance(value, list) else []
