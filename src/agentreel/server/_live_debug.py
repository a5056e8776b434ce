"""``/api/live/{id}/...``: the web UI steering a live agent process.

The server reaches agent processes two ways. On the agent's machine, the way
``agentreel attach`` does, through their control sockets (``control/<pid>.sock``
beside the SQLite store, or ``$AGENTREEL_CONTROL_DIR``). Anywhere, through
the link an agent opens to the server it sends its steps to
(``configure(endpoint=...)``, see ``_live_linked``): when no local socket
answers for a session, the processes linked to the server are asked.

One long-lived connection per agent process, shared by every page and
request of this server process, rather than one per browser action: the
channel removes a controller's breakpoints and resumes the pauses it caused
when it disconnects, so a connection per action would take a breakpoint set
from the page away as soon as it was set. A connection only looks (it is not
a controller, so leaving changes nothing) until a request acts; it closes
after :data:`IDLE_SECONDS` without a request for that process (the live page
asks every second while it is open, so breakpoints last while the page is
open and a little longer), or when the process ends.

Nothing sent is run: actions come from the channel's fixed list, breakpoint
specs are parsed by the debugger's condition parser in the agent, and an
edited input is data.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from agentreel.hooks import ControlClient, ControlError, control_dir
from agentreel.hooks import live_processes as find_processes
from agentreel.storage import Store

from . import _live_linked as linked
from ._sessions import find_session
from ._state import JSON, app_state, error, in_thread, key_project

__all__ = ["IDLE_SECONDS", "LiveLinks", "live_links", "router"]

router = APIRouter(prefix="/api/live")

#: Seconds without a request for a process after which its connection closes
#: (its breakpoints go, its pauses resume). Above a minute: browsers may run a
#: hidden tab's timers only once a minute.
IDLE_SECONDS = 90.0
#: The name the server's controller gives itself; the channel adds the pid.
CONTROLLER_NAME = "agentreel serve web UI"
_STATE_ATTR = "agentreel_live"


#: An error answer: HTTP status, error type, message; one class for local and linked agents.
_Answer = linked.LiveAnswer


@dataclass(slots=True)
class _Link:
    """The connection to one agent process; requests on it take turns."""

    client: ControlClient
    used: float = field(default_factory=time.monotonic)
    label: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ask(self, op: str, **args: Any) -> Any:
        with self.lock:
            self.used = time.monotonic()
            self._drain()
            return self.client.request(op, **args)

    def act(self, op: str, **args: Any) -> Any:
        """A request that changes something: the connection becomes a controller first."""
        with self.lock:
            self.used = time.monotonic()
            if self.label is None:
                self.label = str(self.client.request("attach", name=CONTROLLER_NAME)["label"])
            return self.client.request(op, **args)

    def _drain(self) -> None:
        # Nobody reads this connection's events (pauses come from the hello
        # of each state request); drop them so they do not pile up.
        while (event := self.client.next_event(0)) is not None and event.get("type") != "closed":
            pass


class LiveLinks:
    """This server's connections to the agent processes in one control directory."""

    def __init__(
        self, directory: Path | None, *, idle: float = IDLE_SECONDS, why: str = ""
    ) -> None:
        self.directory = directory
        self.idle = idle
        self._why = why
        self._lock = threading.Lock()
        self._links: dict[Path, _Link] = {}
        self._where: dict[str, Path] = {}
        self._reaper: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def for_store(cls, store: Store, *, idle: float = IDLE_SECONDS) -> LiveLinks:
        """The control directory beside a SQLite store (``$AGENTREEL_CONTROL_DIR`` wins)."""
        path = getattr(store, "path", None)
        if isinstance(path, Path):
            return cls(control_dir(path), idle=idle)
        return cls(
            None,
            idle=idle,
            why="the agent processes' control sockets are found beside a SQLite store, and "
            "this server does not run on one; run `agentreel ui --db PATH` on the agent's "
            "machine, on the reel.db the agent records to",
        )

    # -- connections ------------------------------------------------------------------------

    def _link(self, path: Path) -> _Link:
        with self._lock:
            link = self._links.get(path)
            if link is not None and not link.client.closed:
                return link
        client = ControlClient(path, timeout=5.0)
        with self._lock:
            other = self._links.get(path)
            if other is not None and not other.client.closed:  # another request was quicker
                client.close()
                return other
            link = self._links[path] = _Link(client)
            if self._reaper is None:
                self._stop.clear()
                self._reaper = threading.Thread(
                    target=self._reap, daemon=True, name="agentreel-live-links"
                )
                self._reaper.start()
        return link

    def _drop(self, path: Path) -> None:
        with self._lock:
            link = self._links.pop(path, None)
            self._where = {k: v for k, v in self._where.items() if v != path}
        if link is not None:
            link.client.close()

    def _reap(self) -> None:
        while not self._stop.wait(min(self.idle / 4, 5.0)):
            now = time.monotonic()
            with self._lock:
                stale = [
                    p for p, k in self._links.items() if k.client.closed or now - k.used > self.idle
                ]
            for path in stale:
                self._drop(path)
            with self._lock:
                if not self._links:
                    self._reaper = None
                    return

    def close(self) -> None:
        """Close every connection (their breakpoints go, their pauses resume)."""
        self._stop.set()
        with self._lock:
            paths = list(self._links)
            self._reaper = None
        for path in paths:
            self._drop(path)

    # -- finding the process of a session ---------------------------------------------------

    def find(self, session_id: str) -> tuple[_Link, dict[str, Any]]:
        """The connection to the process recording ``session_id``, and its hello."""
        if self.directory is None:
            raise _Answer(404, "NotLive", f"live debugging is not available: {self._why}")
        with self._lock:
            known = self._where.get(session_id)
            candidates = [known] if known is not None else []
            candidates += [p for p in self._links if p != known]
        for path in candidates:
            found = self._ask_hello(path, session_id)
            if found is not None:
                return found
        for process in find_processes(self.directory, timeout=2.0):
            if process.path in candidates:
                continue
            if any(s.get("id") == session_id for s in process.sessions):
                found = self._ask_hello(process.path, session_id)
                if found is not None:
                    return found
        raise _Answer(
            404,
            "NotLive",
            f"no live agent process records session {session_id} (looked in {self.directory}): "
            "it has ended, or its process runs without the control channel "
            "(agentreel.configure(control=True), AGENTREEL_CONTROL=1 or a breakpoint "
            "switches it on; docs/live.md)",
        )

    def _ask_hello(self, path: Path, session_id: str) -> tuple[_Link, dict[str, Any]] | None:
        try:
            link = self._link(path)
            hello: dict[str, Any] = link.ask("hello")
        except ControlError:
            self._drop(path)
            return None
        session = next((s for s in hello.get("sessions", ()) if s.get("id") == session_id), None)
        if session is None:
            return None
        if session.get("status") != "running":
            raise _Answer(404, "NotLive", f"session {session_id} has ended in process {path.stem}")
        with self._lock:
            self._where[session_id] = path
        return link, hello

    # -- what the endpoints do ---------------------------------------------------------------

    def state(self, session_id: str) -> dict[str, Any]:
        link, hello = self.find(session_id)
        pauses = [p for p in hello.get("pauses", ()) if p.get("session_id") == session_id]
        return {
            "session_id": session_id,
            "live": True,
            "pid": hello.get("pid"),
            "program": hello.get("program"),
            "pause_timeout": hello.get("pause_timeout"),
            "controller": link.label,
            "paused": bool(pauses),
            "paused_at": pauses[0] if pauses else None,
            "pauses": pauses,
            "breakpoints": hello.get("breakpoints", []),
        }

    def act(self, session_id: str, op: str, **args: Any) -> Any:
        """Send ``op`` to the process of ``session_id``, as a controller."""
        return self._act(self.find(session_id)[0], op, args)

    def _act(self, link: _Link, op: str, args: dict[str, Any]) -> Any:
        try:
            return link.act(op, **args)
        except ControlError as exc:
            if link.client.closed:
                self._drop(link.client.path)
                raise _Answer(404, "NotLive", f"the agent process ended: {exc}") from None
            if exc.code == "no_such_pause":
                raise _Answer(409, "PauseGone", linked.gone(args.get("pause"))) from None
            if exc.code in ("refused", "bad_request"):
                kind = "UnknownBreakpoint" if op == "clear" else "BadRequest"
                raise _Answer(404 if op == "clear" else 400, kind, str(exc)) from None
            raise _Answer(503, "AgentUnavailable", str(exc)) from None

    def command(
        self, session_id: str, action: str, pause: int | None, new_input: Any
    ) -> dict[str, Any]:
        link, hello = self.find(session_id)
        pause, target = linked.pick_pause(hello.get("pauses", ()), session_id, pause)
        args: dict[str, Any] = {"pause": pause, "action": action}
        if action == "edit":
            args["input"] = new_input
        self._act(link, "resolve", args)
        return {"pause": pause, "action": action, "step": target.get("step")}


def live_links(request: Request) -> LiveLinks:
    """The app's :class:`LiveLinks`, made on first use (tests may set their own first)."""
    links: LiveLinks | None = getattr(request.app.state, _STATE_ATTR, None)
    if links is None:
        links = LiveLinks.for_store(app_state(request).store)
        setattr(request.app.state, _STATE_ATTR, links)
    return links


# -- the endpoints ------------------------------------------------------------------------------


class BreakpointBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: str = Field(min_length=1, max_length=4000, description="e.g. tool:write_*")
    once: bool = False


class CommandBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["continue", "step", "skip", "edit", "abort"]
    pause: int | None = Field(default=None, description="the pause id (default: the only one)")
    input: Any = Field(default=None, description="the step's new input, for edit")


_NOT_LINKED = (
    "no live agent process records session {id}: it has ended, or its process is not "
    "linked to this server (an agent that sends to this server with "
    "agentreel.configure(endpoint=...) links when its control channel is on: control=True, "
    "AGENTREEL_CONTROL=1 or a breakpoint; docs/live.md)"
)


async def _run(
    request: Request, session_id: str, what: Any, remote: Any, status: int = 200
) -> JSON:
    """Answer through the local socket of the session's process, else through its link."""
    store = app_state(request).store
    project = key_project(request)
    summary = await in_thread(find_session, store, session_id, project)
    sid = summary.session.id
    links = live_links(request)
    try:
        return JSON(await in_thread(what, links, sid), status_code=status)
    except _Answer as exc:
        if exc.kind != "NotLive":
            return error(exc.status, exc.kind, str(exc))
        local = exc
    try:
        row = await linked.linked_process(store, sid, project)
        if row is None:
            message = str(local) if links.directory is not None else _NOT_LINKED.format(id=sid)
            return error(404, "NotLive", message)
        return JSON(await remote(store, row, project, sid), status_code=status)
    except linked.LiveAnswer as exc:
        return error(exc.status, exc.kind, str(exc))


@router.get("/{session_id}/state", summary="The live process of a session: pauses, breakpoints")
async def live_state(request: Request, session_id: str) -> JSON:
    """200 while a live agent process records the session, else 404 ``NotLive``."""
    return await _run(request, session_id, LiveLinks.state, linked.linked_state)


@router.post("/{session_id}/breakpoints", summary="Set a breakpoint in the session's process")
async def add_breakpoint(request: Request, session_id: str, body: BreakpointBody) -> JSON:
    """201 with the breakpoint; 400 if the spec does not parse."""
    return await _run(
        request,
        session_id,
        lambda links, sid: links.act(sid, "break", spec=body.spec, once=body.once),
        lambda store, row, project, sid: linked.linked_act(
            store, row, project, "break", {"spec": body.spec, "once": body.once}
        ),
        201,
    )


async def _removed(cleared: Any) -> dict[str, Any]:
    return {"removed": (await cleared)[0]}


@router.delete("/{session_id}/breakpoints/{number}", summary="Remove a breakpoint")
async def clear_breakpoint(request: Request, session_id: str, number: int) -> JSON:
    """200 with the removed breakpoint; 404 if the process has no breakpoint ``number``."""
    return await _run(
        request,
        session_id,
        lambda links, sid: {"removed": links.act(sid, "clear", breakpoint=number)[0]},
        lambda store, row, project, sid: _removed(
            linked.linked_act(store, row, project, "clear", {"breakpoint": number})
        ),
    )


@router.post("/{session_id}/command", summary="Resume a paused step: continue, step, ...")
async def command(request: Request, session_id: str, body: CommandBody) -> JSON:
    """200 once the pause is resolved; 409 if it is gone; 400 for an edit without input."""
    if body.action == "edit" and body.input is None:
        return error(400, "BadRequest", 'edit needs "input": the step\'s new input (JSON)')
    return await _run(
        request,
        session_id,
        lambda links, sid: links.command(sid, body.action, body.pause, body.input),
        lambda store, row, project, sid: linked.linked_command(
            store, row, project, sid, body.action, body.pause, body.input
        ),
    )
