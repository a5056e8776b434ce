"""The shared JSON-over-HTTP client: every failure is one ServerError sentence."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from agentreel._http import JsonHttp, ServerError, server_base

ANSWERS = {
    "/ok": (200, b'{"hello": "world"}'),
    "/text": (200, b"<html>not json</html>"),
    "/list": (200, b"[1, 2]"),
    "/missing": (404, b'{"error": {"type": "NotFound", "message": "no such process"}}'),
    "/bare401": (401, b"nope"),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ANSWERS[self.path]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_json_object_comes_back(server: str) -> None:
    assert JsonHttp(server).call("GET", "/ok") == {"hello": "world"}


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/text", None, "did not answer with JSON"),
        ("/list", None, "did not answer with a JSON object"),
        ("/missing", 404, "answered 404: no such process"),
        ("/bare401", 401, "refused the request: Unauthorized; pass --api-key KEY"),
    ],
)
def test_failures_are_one_sentence(server: str, path: str, status: int | None, says: str) -> None:
    with pytest.raises(ServerError) as caught:
        JsonHttp(server).call("GET", path)
    assert caught.value.status == status
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"the server at {server.rstrip('/')}")


def test_the_servers_own_message_is_kept_apart(server: str) -> None:
    with pytest.raises(ServerError) as caught:
        JsonHttp(server).call("GET", "/missing")
    assert caught.value.detail == "no such process"


def test_only_http_urls() -> None:
    assert server_base("https://example.test/") == "https://example.test"
    with pytest.raises(ValueError, match="not an http:// or https:// URL"):
        JsonHttp("localhost:7723")


def test_a_key_or_a_csrf_pair_is_sent() -> None:
    assert JsonHttp("http://h", "k").headers["Authorization"] == "Bearer k"
    pair = JsonHttp("http://h", csrf=True).headers
    assert pair["Cookie"] == f"agentreel_csrf={pair['X-CSRF-Token']}"
    assert "Cookie" not in JsonHttp("http://h").headers
