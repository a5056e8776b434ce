"""A small real OTLP/HTTP receiver for the export tests.

It listens on 127.0.0.1, decodes each request with opentelemetry-proto (the
same classes a real collector uses), keeps what it got, and answers what the
test scripts: 200 by default, or a queued status with headers (503 with
Retry-After, a partial success, ...). It can be stopped and started again on
the same port, which is how the tests take "the server" away mid-run.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as service


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start: int
    end: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]


@dataclass
class Request:
    at: float
    headers: dict[str, str]
    spans: list[ReceivedSpan]
    status: int


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


def decode(body: bytes) -> list[ReceivedSpan]:
    request = service.ExportTraceServiceRequest.FromString(body)
    out = []
    for rs in request.resource_spans:
        resource = _attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(
                    ReceivedSpan(
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex(),
                        name=s.name,
                        start=s.start_time_unix_nano,
                        end=s.end_time_unix_nano,
                        attributes=_attrs(s.attributes),
                        status_code=s.status.code,
                        status_message=s.status.message,
                        events=[(e.name, _attrs(e.attributes)) for e in s.events],
                        resource=resource,
                    )
                )
    return out


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.replies: deque[Reply] = deque()
        #: Seconds to sit on each request before answering (a slow server).
        self.delay = 0.0
        self.lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                spans = decode(data)
                time.sleep(receiver.delay)
                with receiver.lock:
                    reply = receiver.replies.popleft() if receiver.replies else Reply()
                    receiver.requests.append(
                        Request(time.monotonic(), dict(self.headers), spans, reply.status)
                    )
                body = reply.body or service.ExportTraceServiceResponse().SerializeToString()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/x-protobuf")
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the hung-server test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- what arrived ----------------------------------------------------------------

    def accepted(self) -> list[ReceivedSpan]:
        """Spans of requests answered 2xx (what a server would have stored)."""
        with self.lock:
            return [s for r in self.requests if 200 <= r.status < 300 for s in r.spans]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise AssertionError(f"the receiver did not get what was expected in {timeout}s")
            time.sleep(0.01)


def partial_success(rejected: int, message: str) -> bytes:
    response = service.ExportTraceServiceResponse()
    response.partial_success.rejected_spans = rejected
    response.partial_success.error_message = message
    data: bytes = response.SerializeToString()
    return data
