"""Finding live agent processes and talking to their control channel.

Each process with the control channel on listens on ``<pid>.sock`` in the
control directory, beside the store (``.agentreel/control/``, or
``$AGENTREEL_CONTROL_DIR``). The socket files are the registry of live
processes: a file whose process is gone is stale and removed when seen.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentreel.errors import AgentreelError
from agentreel.storage import default_db_path

__all__ = [
    "CONTROL_DIR_ENV",
    "PROTOCOL",
    "ControlClient",
    "ControlError",
    "LiveProcess",
    "control_dir",
    "live_processes",
]

#: The version of the JSON-lines protocol; the hello message carries it.
PROTOCOL = 1
CONTROL_DIR_ENV = "AGENTREEL_CONTROL_DIR"
#: Longest line either side accepts (a paused model call's input can be large).
MAX_LINE = 16 * 1024 * 1024


class ControlError(AgentreelError):
    """A live process could not be reached, or refused a request; ``code`` says why."""

    def __init__(self, message: str, code: str = "unavailable") -> None:
        self.code = code
        super().__init__(message)


def control_dir(db: str | os.PathLike[str] | None = None) -> Path:
    """Where live processes put their sockets: ``$AGENTREEL_CONTROL_DIR``, else
    ``control/`` beside the store ``db`` (default: the default store)."""
    env = os.environ.get(CONTROL_DIR_ENV)
    if env:
        return Path(env)
    return Path(db if db is not None else default_db_path()).parent / "control"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to talk to
        return True
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveProcess:
    """A process whose control channel answered: its pid, socket and greeting."""

    pid: int
    path: Path
    hello: dict[str, Any] = field(default_factory=dict)

    @property
    def sessions(self) -> list[dict[str, Any]]:
        found = self.hello.get("sessions")
        return list(found) if isinstance(found, list) else []


def live_processes(directory: Path, *, timeout: float = 2.0) -> list[LiveProcess]:
    """Every process listening in ``directory``, by pid; stale sockets are removed."""
    found = []
    for path in sorted(directory.glob("*.sock")) if directory.is_dir() else ():
        if not path.stem.isdigit():
            continue
        pid = int(path.stem)
        if not _alive(pid):
            path.unlink(missing_ok=True)
            continue
        try:
            with ControlClient(path, timeout=timeout) as client:
                found.append(LiveProcess(pid=pid, path=path, hello=client.hello))
        except ControlError:
            continue  # alive but not answering (starting, stopping, or a reused pid)
    return found


_CLOSED: dict[str, Any] = {"type": "closed"}


class ControlClient:
    """A connection to one process's control channel.

    ``request(op, **args)`` sends one request and returns its result (or
    raises :class:`ControlError`); events (``paused``, ``resumed``,
    ``step``, ``session``) queue up for :meth:`next_event`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 5.0, name: str | None = None
    ) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(os.fspath(path))
            self._file = self._sock.makefile("rb")
            hello = self._read()
        except (OSError, ValueError) as exc:
            self._sock.close()
            raise ControlError(f"cannot reach the agent process at {path}: {exc}") from None
        if hello is None or hello.get("type") != "hello":
            self.close()
            raise ControlError(f"{path} did not greet like an agentreel control channel")
        if hello.get("protocol") != PROTOCOL:
            self.close()
            raise ControlError(
                f"the process at {path} speaks control protocol {hello.get('protocol')}, "
                f"this agentreel speaks {PROTOCOL}; use the same agentreel version on both sides"
            )
        self.hello: dict[str, Any] = hello
        self._sock.settimeout(None)
        self._ids = itertools.count(1)
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True, name="agentreel-ctl")
        self._reader.start()
        if name is not None:  # a controller, not a look at who is there
            self.request("attach", name=name)

    def _read(self) -> dict[str, Any] | None:
        line = self._file.readline(MAX_LINE + 1)
        if not line:
            return None
        message = json.loads(line)
        return message if isinstance(message, dict) else {"type": "garbage"}

    def _read_loop(self) -> None:
        while True:
            try:
                message = self._read()
            except (OSError, ValueError):
                message = None
            if message is None:
                break
            waiter = None
            if message.get("type") == "response":
                with self._lock:
                    waiter = self._waiting.pop(message.get("id"), None)  # type: ignore[arg-type]
            if waiter is not None:
                waiter.put(message)
            else:  # an event, or an error about a line that was no request (garbage)
                self._events.put(message)
        self.closed = True
        with self._lock:
            waiters, self._waiting = list(self._waiting.values()), {}
        for waiter in waiters:
            waiter.put(_CLOSED)
        self._events.put(_CLOSED)

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (tests use this to send garbage)."""
        self._sock.sendall(data)

    def request(self, op: str, **args: Any) -> Any:
        """Send ``{"op": op, **args}``; the result, or :class:`ControlError`."""
        rid = next(self._ids)
        waiter: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=1)
        with self._lock:
            if self.closed:
                raise ControlError("the agent process closed the control channel")
            self._waiting[rid] = waiter
        line = json.dumps({"id": rid, "op": op, **args}, separators=(",", ":")) + "\n"
        try:
            self._sock.sendall(line.encode())
            reply = waiter.get(timeout=self.timeout)
        except (OSError, queue.Empty) as exc:
            with self._lock:
                self._waiting.pop(rid, None)
            why = exc or "timeout"
            raise ControlError(f"{op}: no answer from the agent process ({why})") from None
        if reply is _CLOSED:
            raise ControlError("the agent process closed the control channel")
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

    def wait_event(self, name: str, timeout: float) -> dict[str, Any]:
        """The next ``name`` event (others are dropped); ControlError if none comes in time."""
        return wait_for_event(self.next_event, name, timeout)

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next event; ``{"type": "closed"}`` once the process is gone; None on timeout."""
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is _CLOSED:
            self._events.put(_CLOSED)  # stays closed for every later call
        return event

    def close(self) -> None:
        """Disconnect; pauses this controller caused resume."""
        self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._file.close()
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_event(
    next_event: Callable[[float], dict[str, Any] | None], name: str, timeout: float
) -> dict[str, Any]:
    """The next ``name`` event from ``next_event`` (others are dropped), for either client."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = next_event(left)
        if event is None:
            break
        if event.get("type") == "closed":
            raise ControlError(f"the agent process ended before a {name} event")
        if event.get("event") == name:
            return event
    raise ControlError(f"no {name} event within {timeout:g} s", "timeout")
