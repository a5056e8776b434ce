"""The local socket that carries the control channel: framing lines, and nothing else.

Each process listens on ``<pid>.sock`` in an owner-only directory beside the
store; each connection gets a :class:`~agentreel.hooks._channel.Controller`
and two threads (a reader, and a writer so that telling a slow controller
about a pause never blocks the agent). A line that is not JSON gets an error
response and the connection stays; a line over the size limit, or a flood of
bad ones, closes it. When a connection ends its controller's pauses resume.

A process that sends its steps to a server (``configure(endpoint=...)``)
also links its channel to that server (``_link``), so that controllers on
other machines reach it there; the socket and the link share one hub.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentreel.recording import count_loss, current_recorder

from ._channel import ControlHub, Controller, error_response
from ._client import MAX_LINE, ControlError, control_dir
from ._link import ServerLink
from ._registry import get_manager

__all__ = ["server_link", "start_control", "stop_control"]

_OUTBOX = 1000
_MAX_BAD_LINES = 100
#: Seconds a stopping server gives queued answers and events to leave.
_FLUSH = 1.0
_SOCKET_PATH_MAX = 107  # sun_path on Linux, less its terminating NUL


def _encode(message: dict[str, Any]) -> bytes:
    # default=str: attributes may hold values that are not JSON; say them, never fail.
    return (json.dumps(message, default=str, separators=(",", ":")) + "\n").encode()


def _peer(conn: socket.socket) -> tuple[int, int]:
    """The connecting process's pid and uid (-1 where the platform cannot say)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return -1, -1
    pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, 12))
    return pid, uid


class _SocketServer:
    """Accepts controllers on ``path``: one reader and one writer thread per connection."""

    def __init__(self, path: Path, hub: ControlHub) -> None:
        self.path = path
        self.hub = hub
        self.pid = os.getpid()
        if len(os.fsencode(path)) > _SOCKET_PATH_MAX:
            raise ControlError(
                f"the control socket path {path} is too long for a unix socket; "
                f"set AGENTREEL_CONTROL_DIR to a shorter directory"
            )
        directory = path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if directory.stat().st_uid != os.getuid():
            raise ControlError(f"{directory} belongs to another user; not listening there")
        directory.chmod(0o700)
        path.unlink(missing_ok=True)  # left by an earlier process that had our pid
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.bind(os.fspath(path))
            path.chmod(0o600)
            self._sock.listen(16)
        except OSError:
            self._sock.close()
            raise
        self._conns: dict[socket.socket, queue.Queue[bytes | None]] = {}
        # Requests being answered: at exit, the answer to the request that let
        # the run finish (a resolve) is still sent before the sockets close.
        self._busy = 0
        self._idle = threading.Condition()
        self._numbers = itertools.count(1)
        self.alive = True
        threading.Thread(target=self._accept, daemon=True, name="agentreel-control").start()

    def _accept(self) -> None:
        while self.alive:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(conn,), daemon=True, name="agentreel-controller"
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            pid, uid = _peer(conn)
            if uid not in (-1, os.getuid()):
                return  # the directory and socket are owner-only; this is belt and braces
            out: queue.Queue[bytes | None] = queue.Queue(maxsize=_OUTBOX)
            self._conns[conn] = out

            def send(message: dict[str, Any]) -> None:
                try:
                    out.put_nowait(_encode(message))
                except queue.Full:
                    count_loss("hook_errors", detail="a controller is not reading; event dropped")

            writer = threading.Thread(target=_write, args=(conn, out), daemon=True)
            writer.start()
            peer = f"pid {pid}" if pid > 0 else f"connection {next(self._numbers)}"
            controller = Controller(self.hub, send, peer=peer)

            def answer(request: Any) -> None:
                with self._idle:
                    self._busy += 1
                try:
                    send(controller.handle(request))
                finally:
                    with self._idle:
                        self._busy -= 1
                        self._idle.notify_all()

            try:
                send(self.hub.hello())
                _read(conn, answer, send)
            finally:
                controller.close()
                self._conns.pop(conn, None)
                try:
                    out.put_nowait(None)
                except queue.Full:
                    pass
                writer.join(1.0)

    def stop(self) -> None:
        self.alive = False
        deadline = time.monotonic() + _FLUSH
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=_FLUSH)
        for out in list(self._conns.values()):
            while out.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.005)
        for sock in (self._sock, *list(self._conns)):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            except OSError:
                pass
        self._sock.close()
        if os.getpid() == self.pid:
            self.path.unlink(missing_ok=True)


def _write(conn: socket.socket, out: queue.Queue[bytes | None]) -> None:
    while (data := out.get()) is not None:
        try:
            conn.sendall(data)
        except OSError:
            return
        finally:
            out.task_done()  # counted once sent, so that stop() can wait for it


def _read(conn: socket.socket, answer: Callable[[Any], None], send: Callable[[Any], None]) -> None:
    bad = 0
    with conn.makefile("rb") as lines:
        while True:
            try:
                line = lines.readline(MAX_LINE + 1)
            except OSError:
                return
            if not line:
                return
            if len(line) > MAX_LINE:
                send(error_response(None, "too_long", f"a line may hold at most {MAX_LINE} bytes"))
                return
            if not line.strip():
                continue
            try:
                request = json.loads(line)
            except ValueError as exc:
                bad += 1
                send(error_response(None, "bad_json", f"not a JSON line: {exc}"))
                if bad >= _MAX_BAD_LINES:
                    return
                continue
            answer(request)


_lock = threading.Lock()
_server: _SocketServer | None = None
_link: ServerLink | None = None
_hub: ControlHub | None = None
_hub_pid = 0


def _default_directory() -> Path:
    rec = current_recorder()
    db = rec.config.db if rec is not None else None
    return control_dir(db if db is not None and db != ":memory:" else None)


def _current_hub() -> ControlHub:
    """The process's one hub, following the manager ``hooks.reset()`` may have replaced."""
    global _hub, _hub_pid
    manager = get_manager()
    if _hub is not None and _hub_pid == os.getpid() and _hub.manager is manager:
        return _hub
    if _hub is not None and _hub_pid == os.getpid():
        _hub.close()
    _hub, _hub_pid = ControlHub(manager), os.getpid()
    if _server is not None:
        _server.hub = _hub
    if _link is not None:
        _link.use(_hub)
    return _hub


def _server_target() -> tuple[str, dict[str, str]] | None:
    """The server and headers of a recorder that sends to one (``endpoint=``), else None."""
    rec = current_recorder()
    target = getattr(rec.store, "control_target", None) if rec is not None else None
    if not callable(target):
        return None
    try:
        found = target()
    except Exception as exc:
        count_loss("control_link_errors", detail=f"the server link cannot start: {exc!r}")
        return None
    if not isinstance(found, tuple) or len(found) != 2:
        return None
    return str(found[0]), dict(found[1])


def _start_link(hub: ControlHub) -> None:
    global _link
    if _link is not None and _link.pid == os.getpid():
        return
    target = _server_target()
    if target is None:
        return
    try:
        _link = ServerLink(target[0], hub, headers=target[1])
    except Exception as exc:  # the agent runs on with its local socket only
        count_loss("control_link_errors", detail=f"the server link cannot start: {exc!r}")


def start_control(directory: str | os.PathLike[str] | None = None) -> Path:
    """Let controllers (``agentreel attach``) reach this process; returns the socket's path.

    The socket is ``<pid>.sock`` in ``directory`` (default: ``control/``
    beside the configured store, or ``$AGENTREEL_CONTROL_DIR``), in a
    directory only its owner may enter, and is itself owner-only. When the
    recorder sends to a server (``configure(endpoint=...)``) the channel is
    also linked to that server (docs/live.md). Starting twice is harmless.
    Raises :class:`ControlError` if it cannot listen on the socket.
    """
    global _server
    with _lock:
        hub = _current_hub()
        _start_link(hub)
        if _server is not None and _server.pid == os.getpid():
            return _server.path
        where = Path(directory) if directory is not None else _default_directory()
        try:
            _server = _SocketServer(where / f"{os.getpid()}.sock", hub)
        except OSError as exc:
            raise ControlError(f"cannot listen for controllers in {where}: {exc}") from None
        return _server.path


def server_link() -> ServerLink | None:
    """This process's link to a server, if it has one."""
    link = _link
    return link if link is not None and link.pid == os.getpid() else None


def stop_control() -> None:
    """Stop listening and leave the server; controllers are disconnected (their pauses resume)."""
    global _server, _link, _hub
    with _lock:
        server, _server = _server, None
        link, _link = _link, None
        hub, _hub = _hub, None
    if link is not None and link.pid == os.getpid():
        link.stop()
    if server is not None:
        server.stop()
    if hub is not None and _hub_pid == os.getpid():
        hub.close()


atexit.register(stop_control)
if hasattr(os, "register_at_fork"):
    # A forked child has the parent's server object but none of its threads.
    os.register_at_fork(
        after_in_child=lambda: globals().update(_server=None, _link=None, _hub=None)
    )
