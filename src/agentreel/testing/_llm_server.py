"""A local imitation of the OpenAI and Anthropic HTTP APIs, for tests.

``FakeLLMServer`` is a stdlib HTTP server on a background thread that the
official ``openai`` and ``anthropic`` clients can be pointed at. It answers
from a script of replies (or an echo of the request when none is queued), in
each vendor's exact wire format, streaming included, and logs every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

from agentreel.errors import ConfigurationError

from . import _llm_anthropic, _llm_chat, _llm_responses
from ._llm_http import Handler, HTTPServer, send_events, send_json
from ._llm_replies import Answer, HTTPError, Reply, RequestLog
from ._llm_wire import Event, Turn, anthropic_error, echo, ident, openai_error, resolve_usage

__all__ = ["FakeLLMServer"]

Script = Sequence[Reply] | Callable[[RequestLog], Reply | None]


@dataclass(frozen=True, slots=True)
class _Endpoint:
    name: str
    vendor: str
    render: Callable[[Answer, Turn], dict[str, Any]]
    stream: Callable[[Answer, Turn], Iterator[Event]]


_ROUTES = {
    "/v1/chat/completions": _Endpoint(
        "chat.completions", "openai", _llm_chat.completion, _llm_chat.chunks
    ),
    "/v1/responses": _Endpoint(
        "responses", "openai", _llm_responses.response, _llm_responses.events
    ),
    "/v1/messages": _Endpoint(
        "messages", "anthropic", _llm_anthropic.message, _llm_anthropic.events
    ),
}


class FakeLLMServer:
    """Imitates ``/v1/chat/completions``, ``/v1/responses`` and ``/v1/messages`` on 127.0.0.1.

    Each request to a known endpoint takes the next queued reply: those of a
    ``script`` sequence, then those given to :meth:`reply`. With the queue
    empty, a callable ``script`` picks the reply from the request (``None``
    for the default), and the default is an echo of the last user message.
    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, script: Script = (), *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._chooser: Callable[[RequestLog], Reply | None] | None = None
        self._queue: deque[Reply] = deque()
        if callable(script):
            self._chooser = script
        else:
            self.reply(*script)
        self._address = (host, port)
        self._stopping = threading.Event()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: Every request received, in order.
        self.requests: list[RequestLog] = []

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> FakeLLMServer:
        """Bind and serve on a background thread; returns the server."""
        if self._httpd is not None:
            raise ConfigurationError("this FakeLLMServer is already running; stop() it first")
        self._stopping.clear()
        self._httpd = HTTPServer(self._address, self._serve)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits at most this long
            name=f"agentreel-fake-llm:{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and wait for the server's threads."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()  # wakes answers waiting out a delay
        httpd.shutdown()
        httpd.cut_connections()
        httpd.server_close()
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        if self._httpd is None:
            raise ConfigurationError(
                "the FakeLLMServer is not running; use it as a context manager or call start()"
            )
        return self._httpd.url

    @property
    def openai_base_url(self) -> str:
        """Pass as ``base_url=`` to ``openai.OpenAI`` / ``openai.AsyncOpenAI``."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Pass as ``base_url=`` to ``anthropic.Anthropic`` / ``anthropic.AsyncAnthropic``."""
        return self.url

    # -- script --------------------------------------------------------------

    def reply(self, *replies: Reply) -> None:
        """Queue replies; each request to a known endpoint takes the next one."""
        for item in replies:
            if not isinstance(item, Answer | HTTPError):
                raise ConfigurationError(
                    f"cannot queue {item!r}: a reply is an Answer or an HTTPError"
                )
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many queued replies have not been served yet."""
        return len(self._queue)

    def _next_reply(self, request: RequestLog) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        chosen = self._chooser(request) if self._chooser is not None else None
        if chosen is not None and not isinstance(chosen, Answer | HTTPError):
            raise ConfigurationError(
                f"the script returned {chosen!r}; return an Answer, an HTTPError or None"
            )
        return chosen if chosen is not None else echo(request)

    # -- serving -------------------------------------------------------------

    def _serve(self, h: Handler) -> None:
        received = time.time()
        raw = h.read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path, _, query = h.path.partition("?")
        endpoint = _ROUTES.get(path) if h.command == "POST" else None
        headers = MappingProxyType({name.lower(): value for name, value in h.headers.items()})
        with self._lock:
            request = RequestLog(
                number=len(self.requests) + 1,
                method=h.command,
                path=path,
                query=query,
                headers=headers,
                body=body,
                time=received,
                endpoint=endpoint.name if endpoint else None,
            )
            self.requests.append(request)
        if self._stopping.is_set():
            h.close_connection = True
        try:
            self._answer(h, request, endpoint)
        except ConnectionError:
            h.close_connection = True  # the client gave up (timeout, closed stream)

    def _answer(self, h: Handler, request: RequestLog, endpoint: _Endpoint | None) -> None:
        vendor = endpoint.vendor if endpoint else _guess_vendor(request.headers)
        if endpoint is None:
            known = ", ".join(f"POST {p}" for p in _ROUTES)
            message = f"Invalid URL ({request.method} {request.path}); the fake server has {known}"
            _send_error(h, request, vendor, HTTPError(status=404, message=message))
            return
        if not isinstance(request.body, dict):
            problem = HTTPError(status=400, message="The request body is not a JSON object.")
            _send_error(h, request, vendor, problem)
            return
        try:
            reply = self._next_reply(request)
        except Exception as exc:  # the script is test code: show its failure to the test
            _send_broken(h, request, vendor, f"the script raised {exc!r}")
            return
        if reply.delay and self._stopping.wait(reply.delay):
            h.close_connection = True
            return
        if isinstance(reply, HTTPError):
            _send_error(h, request, vendor, reply)
            return
        model = request.body.get("model")
        turn = Turn(
            number=request.number,
            body=request.body,
            model=reply.model or (model if isinstance(model, str) else "fake-model"),
            usage=resolve_usage(reply, request.body),
        )
        # Rendered in full before the first byte goes out, so a reply that cannot
        # be rendered becomes a clean 500 instead of a stream cut in the middle.
        try:
            if request.stream:
                events = list(endpoint.stream(reply, turn))
            else:
                payload = endpoint.render(reply, turn)
        except ConfigurationError as exc:
            _send_broken(h, request, vendor, str(exc))
            return
        except Exception as exc:  # a bug of ours: show it to the test rather than hang up
            _send_broken(h, request, vendor, f"rendering the reply raised {exc!r}")
            return
        headers = _id_header(request, vendor)
        if request.stream:
            send_events(h, events, headers, pace=reply.chunk_delay, stopping=self._stopping)
        else:
            send_json(h, 200, payload, headers)


def _send_error(
    h: Handler, request: RequestLog, vendor: str, error: HTTPError, *, final: bool = False
) -> None:
    headers = _id_header(request, vendor)
    if error.retry_after is not None:
        headers["Retry-After"] = f"{error.retry_after:g}"
    if final:
        headers["x-should-retry"] = "false"  # both clients obey it over their status rules
    if vendor == "anthropic":
        body = anthropic_error(error, headers["request-id"])
    else:
        body = openai_error(error)
    send_json(h, error.status, body, headers)


def _send_broken(h: Handler, request: RequestLog, vendor: str, why: str) -> None:
    # A broken script or reply is not worth retrying; the 500 names the cause.
    error = HTTPError(status=500, message=f"FakeLLMServer cannot answer: {why}")
    _send_error(h, request, vendor, error, final=True)


def _guess_vendor(headers: Mapping[str, str]) -> str:
    return "anthropic" if "anthropic-version" in headers or "x-api-key" in headers else "openai"


def _id_header(request: RequestLog, vendor: str) -> dict[str, str]:
    if vendor == "anthropic":
        return {"request-id": ident("req_011C", request.number, size=20)}
    return {"x-request-id": ident("req_", request.number, size=32)}
