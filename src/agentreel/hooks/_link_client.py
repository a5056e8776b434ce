"""A controller of an agent process linked to an ``agentreel serve``, over HTTP.

:class:`ServerControlClient` has the interface of
:class:`~agentreel.hooks.ControlClient` (``hello``, ``request``, ``resolve``,
``next_event``, ``close``), so ``agentreel attach --server URL`` drives a
process on another machine with the code that drives a local one. Requests
go to ``/api/control/processes/{id}/requests``; a thread long-polls the
process's events, which also keeps this controller attached; closing
detaches it (the agent resumes what it paused). Only the standard library's
HTTP client is used: no extra package.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
import urllib.parse
from typing import Any

from agentreel._http import JsonHttp, ServerError

from ._client import ControlError, wait_for_event

__all__ = ["ServerControlClient", "linked_processes"]

#: Seconds an events read may be held by the server (it may shorten it).
_EVENTS_WAIT = 10.0
_CLOSED: dict[str, Any] = {"type": "closed"}


class _Http(JsonHttp):
    """The shared JSON client, its failures turned into ControlError with a code."""

    def __init__(self, server: str, api_key: str | None) -> None:
        try:
            super().__init__(server, api_key, csrf=True)
        except ValueError as exc:
            raise ControlError(str(exc), "bad_request") from None

    def call(
        self, method: str, path: str, body: Any = None, *, timeout: float = 15.0
    ) -> dict[str, Any]:
        try:
            return super().call(method, path, body, timeout=timeout)
        except ServerError as exc:
            if exc.status == 401:
                raise ControlError(str(exc), "unauthorized") from None
            code = _CODES.get(exc.status or 0)
            if code is None:  # unreachable, or an answer we cannot use
                raise ControlError(str(exc)) from None
            raise ControlError(exc.detail, code) from None


#: Refusals a controller acts on, by HTTP status; their message is the server's own.
_CODES = {404: "unknown_process", 504: "timeout"}


def linked_processes(
    server: str, api_key: str | None = None, *, timeout: float = 15.0
) -> list[dict[str, Any]]:
    """The agent processes linked to ``server`` that the key's project may see."""
    found = _Http(server, api_key).call("GET", "/api/control/processes", timeout=timeout)
    processes = found.get("processes")
    return [p for p in processes if isinstance(p, dict)] if isinstance(processes, list) else []


class ServerControlClient:
    """A controller of process ``process_id`` linked to ``server``; see the module doc."""

    def __init__(
        self,
        server: str,
        process_id: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        name: str | None = None,
        controller: str | None = None,
    ) -> None:
        self._http = _Http(server, api_key)
        self.process_id = process_id
        self.timeout = timeout
        self.controller = controller or f"ctl-{secrets.token_hex(10)}"
        self.name = name or "api controller"
        self.path = f"{self._http.server}/api/control/processes/{urllib.parse.quote(process_id)}"
        self._base = self.path.removeprefix(self._http.server)
        found = self._http.call("GET", self._base, timeout=timeout)
        hello = found.get("hello")
        self.hello: dict[str, Any] = hello if isinstance(hello, dict) else {}
        self._after = int(found.get("last_event") or 0)
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True, name="agentreel-ctl")
        if name is not None:  # a controller, not a look at who is there
            self.request("attach", name=name)
        self._reader.start()

    def _read_loop(self) -> None:
        failures = 0
        while not self.closed:
            query = urllib.parse.urlencode(
                {"after": self._after, "controller": self.controller, "wait": _EVENTS_WAIT}
            )
            try:
                found = self._http.call(
                    "GET", f"{self._base}/events?{query}", timeout=_EVENTS_WAIT + 15
                )
            except ControlError as exc:
                if exc.code == "unknown_process":
                    break  # the process left
                failures += 1
                if failures >= 3:
                    self._events.put({"type": "event", "event": "link_error", "message": str(exc)})
                    failures = 0
                time.sleep(1.0)
                continue
            failures = 0
            for event in found.get("events") or ():
                if isinstance(event, dict):
                    self._events.put(event)
            self._after = int(found.get("last") or self._after)
            if found.get("live") is False:
                break
        self.closed = True
        self._events.put(_CLOSED)

    def request(self, op: str, **args: Any) -> Any:
        """Send ``{"op": op, **args}`` through the server; the result, or ControlError."""
        if self.closed:
            raise ControlError("the agent process closed the control channel")
        body = {
            "controller": self.controller,
            "name": self.name,
            "op": op,
            "args": args,
            "timeout": self.timeout,
        }
        found = self._http.call("POST", f"{self._base}/requests", body, timeout=self.timeout + 15)
        reply = found.get("response") or {}
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise ControlError(str(error.get("message", "request failed")), str(error.get("code")))
        return reply.get("result")

    def resolve(self, pause: int, action: str, input: Any = None) -> Any:
        """Resume paused step ``pause`` with ``action`` (``input``: the new input of an edit)."""
        args: dict[str, Any] = {"pause": pause, "action": action}
        if input is not None:
            args["input"] = input
        return self.request("resolve", **args)

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event; ``{"type": "closed"}`` once the process is gone; None on timeout."""
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is _CLOSED:
            self._events.put(_CLOSED)
        return event

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        """The next ``name`` event (others are dropped); ControlError if none comes in time."""
        return wait_for_event(self.next_event, name, timeout)

    def close(self) -> None:
        """Detach: the agent removes this controller's breakpoints and resumes its pauses."""
        if self.closed and not self._reader.is_alive():
            return
        self.closed = True
        try:
            self._http.call("DELETE", f"{self._base}/controllers/{self.controller}", timeout=5.0)
        except ControlError:
            pass  # the server forgets a controller that stops asking anyway

    def __enter__(self) -> ServerControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
