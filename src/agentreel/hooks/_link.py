"""The control channel carried through an ``agentreel serve``, for agents on other machines.

An agent configured with ``endpoint=`` may run where nothing can connect to
it, so it opens the link itself: a background thread long-polls the server
(``POST /v1/control/poll``, held up to :data:`POLL_WAIT` seconds) and gets the
requests controllers queued for this process; another thread posts the
responses and the events (``paused``, ``resumed``, ``session``, ...) back
(``POST /v1/control/push``), each time with the process's hello, so that the
server can show its pauses and breakpoints without asking.

Requests go to the same :class:`~agentreel.hooks._channel.Controller` the
local socket uses, one per remote controller: the ops are the channel's
fixed list and nothing sent is run. A controller the server says is gone
(it left, or stopped asking) is disconnected here, which resumes the pauses
it caused, as when a local socket closes; so is every remote controller when
the server has not answered for that long. Network failures are counted
(``control_link_errors`` in ``agentreel.stats()``), logged once, and never
raised into the agent; stopping takes at most about :data:`STOP_SECONDS`.

It speaks ``http.client`` directly rather than through :mod:`agentreel._http`:
stopping must cut a long poll short by shutting its socket down, which
``urllib`` does not let a caller reach.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import secrets
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from agentreel.recording import count_loss

from ._channel import ControlHub, Controller

__all__ = ["POLL_WAIT", "STOP_SECONDS", "ServerLink"]

logger = logging.getLogger("agentreel")

#: Seconds the server may hold one poll open when nothing is queued.
POLL_WAIT = 20.0
#: Seconds a stopping link spends at most on sending what is left and saying goodbye.
STOP_SECONDS = 1.5
#: Events kept while the server is unreachable; older ones are dropped (counted).
MAX_QUEUED = 1000
_BATCH = 200
#: Until the server says otherwise: seconds without an answer after which
#: the remote controllers count as gone (and their pauses resume).
_CONTROLLER_TIMEOUT = 30.0
_MAX_BACKOFF = 10.0
_LOSS = "control_link_errors"


class _LinkDown(Exception):
    """The server could not be reached, or refused the link."""


class ServerLink:
    """One process's link to a server: the poll thread, the push thread, its controllers."""

    def __init__(
        self,
        base_url: str,
        hub: ControlHub,
        *,
        headers: dict[str, str] | None = None,
        wait: float = POLL_WAIT,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.server = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = {
            **(headers or {}),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.wait = wait
        self.process_id = secrets.token_hex(8)
        self.pid = os.getpid()
        self._identity = {
            "process": self.process_id,
            "host": socket.gethostname()[:200],
            "pid": self.pid,
            "program": " ".join(sys.argv)[:200],
        }
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._events: deque[dict[str, Any]] = deque()
        self._responses: list[dict[str, Any]] = []
        self._remote: dict[str, Controller] = {}
        self._poll_conn: http.client.HTTPConnection | None = None
        self._stopping = threading.Event()
        self._busy = 0
        self._snap_lock = threading.Lock()
        self._version = 0
        self._controller_timeout = _CONTROLLER_TIMEOUT
        self._last_ok = time.monotonic()
        #: Set once the server has answered a poll (tests and docs wait for it).
        self.connected = threading.Event()
        self.failures = 0
        self.hub = hub
        self._listener = Controller(hub, self._broadcast, peer="server link")
        self._poller = threading.Thread(target=self._poll_loop, daemon=True, name="agentreel-link")
        self._pusher = threading.Thread(target=self._push_loop, daemon=True, name="agentreel-push")
        self._poller.start()
        self._pusher.start()

    # -- events from the process ------------------------------------------------------------

    def _broadcast(self, message: dict[str, Any]) -> None:
        # Everyone's events (paused, resumed, session) reach the server once, through
        # this listener; the remote controllers' own copies are dropped.
        self._queue_event(None, message)

    def _sender_for(self, controller: str) -> Callable[[dict[str, Any]], None]:
        def send(message: dict[str, Any]) -> None:
            if message.get("event") == "step":  # only watchers get these: theirs alone
                self._queue_event(controller, message)

        return send

    def _queue_event(self, controller: str | None, message: dict[str, Any]) -> None:
        with self._wake:
            if len(self._events) >= MAX_QUEUED:
                self._events.popleft()
                count_loss(_LOSS, detail="the server link fell behind; an event was dropped")
            self._events.append({"controller": controller, "event": message})
            self._wake.notify_all()

    def use(self, hub: ControlHub) -> None:
        """Follow a new hub (``hooks.reset()`` made a new manager)."""
        self._drop_all("the hooks were reset")
        self._listener.close()
        self.hub = hub
        self._listener = Controller(hub, self._broadcast, peer="server link")

    def _snapshot(self) -> dict[str, Any]:
        """The hello and its number, taken together: a poll and a push may reach the
        server out of order, and the server keeps the hello with the highest number."""
        with self._snap_lock:
            self._version += 1
            return {"version": self._version, "hello": self.hub.hello()}

    # -- controllers --------------------------------------------------------------------------

    def _controller(self, cid: str, peer: str) -> Controller:
        with self._lock:
            found = self._remote.get(cid)
        if found is None:
            found = Controller(self.hub, self._sender_for(cid), peer=peer[:80])
            with self._lock:
                self._remote[cid] = found
        return found

    def _drop(self, cid: str) -> None:
        with self._lock:
            controller = self._remote.pop(cid, None)
        if controller is not None:
            controller.close()  # its breakpoints go, the pauses it caused resume

    def _drop_all(self, why: str) -> None:
        with self._lock:
            gone = list(self._remote)
        for cid in gone:
            self._drop(cid)
        if gone and why:
            logger.warning("agentreel: remote controllers disconnected: %s", why)

    # -- the poll thread ----------------------------------------------------------------------

    def _poll_loop(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            with self._lock:
                held = sorted(self._remote)
            body = {**self._identity, **self._snapshot(), "controllers": held}
            # The first poll is answered at once: the link is known to work (and the
            # process listed) without waiting out a long poll.
            body["wait"] = self.wait if self.connected.is_set() else 0.0
            try:
                reply = self._post("/v1/control/poll", body, timeout=self.wait + 15.0, poll=True)
            except _LinkDown as exc:
                if self._stopping.is_set():
                    return
                self._failed(f"polling {self.server} failed: {exc}")
                if time.monotonic() - self._last_ok > self._controller_timeout:
                    self._drop_all(f"the server {self.server} has not answered")
                self._stopping.wait(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.5
            self._last_ok = time.monotonic()
            self.connected.set()
            try:
                self._serve(reply)
            except Exception as exc:  # a malformed reply: never the agent's problem
                self._failed(f"the server's poll reply was not understood: {exc!r}")
                self._stopping.wait(1.0)

    def _serve(self, reply: dict[str, Any]) -> None:
        timeout = reply.get("controller_timeout")
        if isinstance(timeout, (int, float)) and timeout > 0:
            self._controller_timeout = float(timeout)
        alive = reply.get("controllers")
        if isinstance(alive, list):
            with self._lock:
                held = list(self._remote)
            for cid in held:
                if cid not in alive:
                    self._drop(cid)
        requests = reply.get("requests") or ()
        if not requests:
            return
        # Counted until the answers are queued: the request that let the run
        # finish (a resolve) is still answered when the process stops right after.
        with self._wake:
            self._busy += 1
        answers = []
        try:
            for item in requests:
                cid = str(item.get("controller", ""))
                controller = self._controller(cid, str(item.get("peer") or "via server"))
                response = controller.handle(item.get("request"))
                answers.append({"seq": item.get("seq"), "response": response})
        finally:
            with self._wake:
                self._responses.extend(answers)
                self._busy -= 1
                self._wake.notify_all()

    # -- the push thread ----------------------------------------------------------------------

    def _push_loop(self) -> None:
        backoff = 0.5
        while True:
            with self._wake:
                self._wake.wait_for(
                    lambda: (
                        self._events
                        or self._responses
                        or (self._stopping.is_set() and not self._busy)
                    )
                )
                if not self._events and not self._responses:
                    return  # stopping, and nothing left to send
                responses, self._responses = self._responses, []
                events = [self._events.popleft() for _ in range(min(_BATCH, len(self._events)))]
            body = {**self._identity, **self._snapshot()}
            body.update(responses=responses, events=events)
            try:
                self._post("/v1/control/push", body, timeout=10.0)
            except _LinkDown as exc:
                self._failed(f"sending to {self.server} failed: {exc}")
                with self._wake:
                    self._responses[:0] = responses
                    self._events.extendleft(reversed(events))
                    while len(self._events) > MAX_QUEUED:
                        self._events.popleft()
                if self._stopping.wait(backoff * random.uniform(0.5, 1.0)):
                    return
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            backoff = 0.5

    # -- HTTP ---------------------------------------------------------------------------------

    def _post(
        self, path: str, body: dict[str, Any], *, timeout: float, poll: bool = False
    ) -> dict[str, Any]:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = kind(self._host, self._port, timeout=timeout)
        if poll:
            with self._lock:
                self._poll_conn = conn
            if self._stopping.is_set():
                raise _LinkDown("stopping")
        started = time.monotonic()
        try:
            data = orjson.dumps(body, default=str)
            conn.request("POST", self._prefix + path, body=data, headers=self._headers)
            answer = conn.getresponse()
            raw = answer.read()
            logger.debug(
                "agentreel link: %s answered %s in %.3f s (%d bytes sent)",
                path,
                answer.status,
                time.monotonic() - started,
                len(data),
            )
            if answer.status != 200:
                raise _LinkDown(f"{path} answered {answer.status}: {_message(raw)}")
            value = orjson.loads(raw)
        except (OSError, http.client.HTTPException, orjson.JSONDecodeError) as exc:
            raise _LinkDown(str(exc) or type(exc).__name__) from None
        finally:
            if poll:
                with self._lock:
                    self._poll_conn = None
            conn.close()
        if not isinstance(value, dict):
            raise _LinkDown(f"{path} did not answer with a JSON object")
        return value

    def _failed(self, detail: str) -> None:
        if self._stopping.is_set():
            # Leaving: the server may already have forgotten this process (its
            # goodbye, or a busy server dropping a poll that outlived it), and
            # it forgets what is left on its own; not a failure of the run.
            logger.debug("agentreel link: while stopping, %s", detail)
            return
        self.failures += 1
        count_loss(_LOSS, detail=detail)

    # -- stopping -----------------------------------------------------------------------------

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Resume what remote controllers paused, send what is left, leave; bounded in time."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        with self._lock:
            poll = self._poll_conn
        if poll is not None:  # wakes the poll thread out of its long wait
            sock = poll.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        with self._wake:
            self._wake.wait_for(lambda: not self._busy, timeout=timeout / 3)
        self._drop_all("")
        with self._wake:
            self._wake.notify_all()
        self._pusher.join(max(0.0, deadline - time.monotonic()) * 0.7)
        self._listener.close()
        left = max(0.1, deadline - time.monotonic())
        try:
            self._post("/v1/control/leave", dict(self._identity), timeout=left)
        except _LinkDown:
            pass  # the server forgets a process that stops polling anyway
        self._poller.join(max(0.0, deadline - time.monotonic()))


def _message(raw: bytes) -> str:
    try:
        return str(orjson.loads(raw)["error"]["message"])[:300]
    except Exception:
        return raw[:200].decode(errors="replace")
