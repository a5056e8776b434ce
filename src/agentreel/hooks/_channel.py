"""The control channel: what a controller may ask of this process, over a local socket.

Messages are JSON objects, one per line. The process speaks first, with a
``hello`` carrying the protocol version; then the controller sends requests
``{"id": 1, "op": "pauses"}`` and gets one response each, ``{"type":
"response", "id": 1, "ok": true, "result": ...}`` or ``"ok": false`` with
``"error": {"code", "message"}``, while events (``paused``, ``resumed``,
``session``, and ``step`` for watchers) arrive as they happen.

:class:`Controller` turns a request into a response and knows nothing of
sockets, so that the same messages travel over a local socket (``_socket``)
and through an ``agentreel serve`` the agent polls (``_link``). Nothing a
controller sends is run: it picks an action from a fixed set (:data:`OPS`),
breakpoints are parsed by the debugger's condition parser, and an edit's new
input is data.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from agentreel._version import installed_version
from agentreel.errors import AgentreelError, HookError
from agentreel.recording import count_loss, current_recorder, current_session
from agentreel.storage import load_payload, open_store

from ._breakpoints import STEPPED, live_breakpoints
from ._client import PROTOCOL
from ._events import SessionEvent, StepEvent
from ._manager import HookManager
from ._pause import ACTIONS, Paused

__all__ = ["OPS", "ControlHub", "Controller", "error_response"]

_SESSIONS_PLUGIN = "agentreel.control"
_STEPS_PLUGIN = "agentreel.control.steps"
_KEEP_SESSIONS = 100


class _SessionWatch:
    def __init__(self, hub: ControlHub) -> None:
        self._hub = hub

    def on_session_start(self, event: SessionEvent) -> None:
        self._hub.saw_session(event)

    def on_session_end(self, event: SessionEvent) -> None:
        self._hub.saw_session(event)


class _StepWatch:
    def __init__(self, hub: ControlHub) -> None:
        self._hub = hub

    def on_step_start(self, event: StepEvent) -> None:
        self._hub.saw_step(event)

    def on_step_end(self, event: StepEvent) -> None:
        self._hub.saw_step(event)


class ControlHub:
    """The channel's state in this process: the controllers, and what they are told."""

    def __init__(self, manager: HookManager) -> None:
        self.manager = manager
        self._lock = threading.Lock()
        self._connections: set[Controller] = set()
        self._controllers: set[Controller] = set()
        self._watchers: set[Controller] = set()
        self.sessions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        #: Who asked for the next step (its pause is theirs).
        self.stepper: str | None = None
        self._stop_listening = manager.board.listen(self._on_pause)
        _replace_plugin(manager, _SessionWatch(self), _SESSIONS_PLUGIN)
        here = current_session()
        if here is not None:
            self.sessions[here.id] = {"id": here.id, "name": here.name, "status": "running"}

    def close(self) -> None:
        self._stop_listening()
        for name in (_SESSIONS_PLUGIN, _STEPS_PLUGIN):
            _drop_plugin(self.manager, name)

    # -- what happens in the process ----------------------------------------------------

    def saw_session(self, event: SessionEvent) -> None:
        data = {
            "id": event.session_id,
            "name": event.name,
            "project": event.project,
            "status": event.status,
            "started_at": event.started_at,
            "ended_at": event.ended_at,
        }
        with self._lock:
            self.sessions[event.session_id] = data
            self.sessions.move_to_end(event.session_id)
            while len(self.sessions) > _KEEP_SESSIONS:
                self.sessions.popitem(last=False)
        self.broadcast({"type": "event", "event": "session", "session": data})

    def saw_step(self, event: StepEvent) -> None:
        data = {
            "session_id": event.session_id,
            "step": event.number,
            "parent": event.parent_number,
            "kind": event.kind,
            "name": event.name,
            "status": event.status,
        }
        self.broadcast({"type": "event", "event": "step", **data}, watchers=True)

    def _on_pause(self, what: str, paused: Paused) -> None:
        message = {"type": "event", "event": what, "pause": self.describe(paused)}
        if what == "resumed":
            resolution = paused.resolution
            if resolution is not None:
                message.update(action=resolution.action, by=resolution.by)
            live_breakpoints.owner_of(paused.call.session_id, paused.call.number, forget=True)
        self.broadcast(message)

    def broadcast(self, message: dict[str, Any], *, watchers: bool = False) -> None:
        with self._lock:
            targets = list(self._watchers if watchers else self._connections)
        for controller in targets:
            controller.send(message)

    # -- questions ------------------------------------------------------------------------

    def owner_of(self, paused: Paused) -> str | None:
        """The controller (or ``"code"``) whose breakpoint or step paused it; None: a hook's."""
        if paused.reason == STEPPED:
            return self.stepper
        return live_breakpoints.owner_of(paused.call.session_id, paused.call.number)

    def describe(self, paused: Paused) -> dict[str, Any]:
        return {**paused.describe(), "owner": self.owner_of(paused)}

    def hello(self) -> dict[str, Any]:
        board = self.manager.board
        with self._lock:
            sessions = list(self.sessions.values())
        return {
            "type": "hello",
            "protocol": PROTOCOL,
            "agentreel": installed_version(),
            "pid": os.getpid(),
            "program": " ".join(sys.argv)[:200],
            "pause_timeout": board.timeout,
            "sessions": sessions,
            "pauses": [self.describe(p) for p in board.paused()],
            "breakpoints": [b.describe() for b in live_breakpoints.all()],
        }

    # -- controllers ------------------------------------------------------------------------

    def connect(self, controller: Controller) -> None:
        with self._lock:
            self._connections.add(controller)

    def control(self, controller: Controller) -> None:
        with self._lock:
            labels = {c.label for c in self._controllers if c is not controller}
            base, n = controller.label, 2
            while controller.label in labels:
                controller.label, n = f"{base} #{n}", n + 1
            self._controllers.add(controller)

    def watch(self, controller: Controller, on: bool) -> None:
        with self._lock:
            (self._watchers.add if on else self._watchers.discard)(controller)
            watching = bool(self._watchers)
        if watching:
            _replace_plugin(self.manager, _StepWatch(self), _STEPS_PLUGIN, keep=True)
        else:
            _drop_plugin(self.manager, _STEPS_PLUGIN)

    def disconnect(self, controller: Controller) -> None:
        """A controller went away: its breakpoints go, and what it paused resumes.

        When the last controller leaves, every paused step resumes, each the
        way its own timeout would have resumed it (a breakpoint continues, an
        unanswered approval is skipped).
        """
        with self._lock:
            self._connections.discard(controller)
            was = controller in self._controllers
            self._controllers.discard(controller)
            last = not self._controllers
        if controller in self._watchers:
            self.watch(controller, False)
        if not was:
            return
        live_breakpoints.clear(owner=controller.label)
        if self.stepper is not None and (last or self.stepper == controller.label):
            self.stepper = None
            self.manager.step_mode = False
            self.manager.refresh()
        board = self.manager.board
        for paused in board.paused():
            if last or self.owner_of(paused) == controller.label:
                try:
                    board.resolve(paused.id, paused.on_timeout, by=f"{controller.label} left")
                except HookError:
                    pass  # resolved meanwhile


def _replace_plugin(manager: HookManager, plugin: object, name: str, *, keep: bool = False) -> None:
    if any(p.name == name for p in manager.plugins):
        if keep:
            return
        manager.unregister(name)
    manager.register(plugin, name=name)


def _drop_plugin(manager: HookManager, name: str) -> None:
    try:
        manager.unregister(name)
    except HookError:
        pass


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def error_response(rid: Any, code: str, message: str) -> dict[str, Any]:
    return {"type": "response", "id": rid, "ok": False, "error": {"code": code, "message": message}}


class Controller:
    """One controller's conversation with this process, whatever carries it.

    ``send`` delivers events to the controller (it must not block);
    :meth:`handle` answers one request; :meth:`close` ends the conversation.
    """

    def __init__(
        self, hub: ControlHub, send: Callable[[dict[str, Any]], None], *, peer: str
    ) -> None:
        self.hub = hub
        self._send = send
        self.label = f"controller ({peer})"
        self._peer = peer
        hub.connect(self)

    def send(self, message: dict[str, Any]) -> None:
        try:
            self._send(message)
        except Exception as exc:  # a controller's trouble never reaches the agent
            count_loss("hook_errors", detail=f"telling {self.label} failed: {exc!r}")

    def close(self) -> None:
        self.hub.disconnect(self)

    def handle(self, request: Any) -> dict[str, Any]:
        """The response to one request (never raises)."""
        if not isinstance(request, dict):
            return error_response(
                None, "bad_request", 'a request is an object like {"id": 1, "op": "pauses"}'
            )
        rid = request.get("id")
        op = request.get("op")
        handler = _OPS.get(op) if isinstance(op, str) else None
        if handler is None:
            return error_response(
                rid, "unknown_op", f"unknown op {op!r}; the ops are {', '.join(_OPS)}"
            )
        try:
            result = handler(self, request)
        except _Refused as exc:
            return error_response(rid, exc.code, str(exc))
        except AgentreelError as exc:  # a bad breakpoint spec, an unknown breakpoint
            return error_response(rid, "refused", str(exc))
        except Exception as exc:
            count_loss("hook_errors", detail=f"control op {op!r} failed: {exc!r}")
            return error_response(rid, "internal", f"{op} failed: {type(exc).__name__}: {exc}")
        return {"type": "response", "id": rid, "ok": True, "result": result}

    # -- the ops ------------------------------------------------------------------------

    def _paused(self, request: dict[str, Any]) -> Paused:
        number = request.get("pause")
        for paused in self.hub.manager.board.paused():
            if paused.id == number:
                return paused
        raise _Refused("no_such_pause", f"no step is paused with id {number!r}")

    def _attach(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("name")
        if isinstance(name, str) and name.strip():
            self.label = f"{name.strip()[:60]} ({self._peer})"
        self.hub.control(self)
        return {"label": self.label}

    def _break(self, request: dict[str, Any]) -> dict[str, Any]:
        spec = request.get("spec")
        if not isinstance(spec, str):
            raise _Refused("bad_request", 'break needs "spec": a breakpoint spec string')
        self.hub.control(self)
        once = bool(request.get("once", False))
        return live_breakpoints.add_spec(spec, owner=self.label, once=once).describe()

    def _clear(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        self.hub.control(self)
        number = request.get("breakpoint")
        if request.get("all") is True:
            return [b.describe() for b in live_breakpoints.clear()]
        if not isinstance(number, int):
            raise _Refused("bad_request", 'clear needs "breakpoint": N, or "all": true')
        return [live_breakpoints.remove(number).describe()]

    def _resolve(self, request: dict[str, Any]) -> dict[str, Any]:
        action = request.get("action")
        if action not in ACTIONS:
            raise _Refused("bad_request", f"action must be one of {', '.join(ACTIONS)}")
        if action == "edit" and request.get("input") is None:
            raise _Refused("bad_request", 'edit needs "input": the step\'s new input (JSON)')
        paused = self._paused(request)
        self.hub.control(self)
        if action == "step":
            self.hub.stepper = self.label
        try:
            self.hub.manager.board.resolve(
                paused.id, str(action), input=request.get("input"), by=self.label
            )
        except HookError as exc:
            raise _Refused("no_such_pause", str(exc)) from None
        return {"pause": paused.id, "action": action}

    def _interrupt(self, request: dict[str, Any]) -> dict[str, Any]:
        self.hub.control(self)
        self.hub.stepper = self.label
        self.hub.manager.step_mode = True
        self.hub.manager.refresh()
        return {"pausing": "before the next step"}

    def _watch(self, request: dict[str, Any]) -> dict[str, Any]:
        on = request.get("steps", True) is not False
        self.hub.watch(self, on)
        return {"steps": on}

    def _context(self, request: dict[str, Any]) -> dict[str, Any]:
        paused = self._paused(request)
        call = paused.call
        if call.kind == "llm":  # the request about to be sent is the context itself
            return {"step": call.number, "call": call.number, "input": call.input, "reply": None}
        return _stored_context(call.session_id, call.number)


def _stored_context(session_id: str, number: int) -> dict[str, Any]:
    """The model context at a step, from what the store holds (earlier calls are finished)."""
    from agentreel.debugger import model_context

    rec = current_recorder()
    if rec is None:
        raise _Refused("unavailable", "recording is off in this process; no context is kept")
    rec.flush(5.0)
    db = rec.config.db
    own = db is not None and db != ":memory:"
    store = open_store(db, create=False) if own and db is not None else rec.store
    try:
        steps = sorted(store.get_steps(session_id), key=lambda s: s.number)
        index = next((i for i, s in enumerate(steps) if s.number == number), None)
        if index is None:
            raise _Refused("unavailable", f"step {number} is not in the store yet")
        ctx = model_context(steps, index, lambda step, which: _load(store, step, which))
    finally:
        if own:
            store.close()
    if ctx is None:
        return {"step": number, "call": None, "input": None, "reply": None}
    return {"step": number, "call": ctx.call.number, "input": ctx.input, "reply": ctx.reply}


def _load(store: Any, step: Any, which: str) -> Any:
    ref = step.input_ref if which == "input" else step.output_ref
    return None if ref is None else load_payload(store, ref)


_OPS: dict[str, Callable[[Controller, dict[str, Any]], Any]] = {
    "hello": lambda c, r: c.hub.hello(),
    "attach": Controller._attach,
    "sessions": lambda c, r: list(c.hub.sessions.values()),
    "pauses": lambda c, r: [c.hub.describe(p) for p in c.hub.manager.board.paused()],
    "breakpoints": lambda c, r: [b.describe() for b in live_breakpoints.all()],
    "break": Controller._break,
    "clear": Controller._clear,
    "input": lambda c, r: {"pause": c._paused(r).id, "input": c._paused(r).call.input},
    "context": Controller._context,
    "resolve": Controller._resolve,
    "interrupt": Controller._interrupt,
    "watch": Controller._watch,
}

#: Every op a controller may send, in the order the docs list them.
OPS: tuple[str, ...] = tuple(_OPS)
