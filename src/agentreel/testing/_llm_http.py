"""The HTTP plumbing under FakeLLMServer: a threaded stdlib server that stops cleanly."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._llm_wire import Event, dumps


class Handler(BaseHTTPRequestHandler):
    """Hands every request, whatever its method, to the server's ``serve`` callable."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, as the real APIs
    server: HTTPServer
    # An idle keep-alive connection gives its thread back after this long.
    timeout = 30

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_POST(self) -> None:
        self.server.serve(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read FakeLLMServer.requests; stderr noise helps nobody

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class HTTPServer(ThreadingHTTPServer):
    """Knows its open connections, so that stopping can cut them instead of waiting."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], serve: Callable[[Handler], None]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.serve = serve
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections[connection] = threading.current_thread()
            else:
                self._connections.pop(connection, None)

    def cut_connections(self) -> None:
        """Shut every open connection down and wait for the threads that served them."""
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for connection, _ in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client closed it already
        for _, worker in open_connections:
            worker.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal in tests (timeouts, closed
        # streams); anything else is a bug in the fake server, worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def send_json(h: Handler, status: int, body: Any, headers: Mapping[str, str]) -> None:
    data = dumps(body).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(data)


def send_events(
    h: Handler,
    events: Iterable[Event],
    headers: Mapping[str, str],
    *,
    pace: float,
    stopping: threading.Event,
) -> None:
    """Stream ``events``, waiting ``pace`` seconds between content chunks."""
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream; charset=utf-8")
    h.send_header("Cache-Control", "no-cache")
    h.send_header("Transfer-Encoding", "chunked")
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    started = False
    for event in events:
        if event.delta:
            if started and pace and stopping.wait(pace):
                h.close_connection = True
                return
            started = True
        data = event.encode()
        # One HTTP chunk per event, written at once, so the client sees each on arrival.
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    h.wfile.write(b"0\r\n\r\n")
