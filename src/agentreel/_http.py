"""JSON over HTTP to an ``agentreel serve``, with its failures said in one line.

``agentreel ls --server`` and ``agentreel attach --server`` (and the web UI's
controllers in tests) talk to the same server and must fail the same way:
an unreachable server, a refused key or a non-JSON answer each become one
sentence that says what to do. The standard library's HTTP client is enough,
so a client needs no extra package.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from typing import Any

import orjson

from agentreel.errors import AgentreelError

__all__ = ["JsonHttp", "ServerError", "server_base"]

#: What to do about a refused request (HTTP 401).
_KEY_HINT = "pass --api-key KEY or set AGENTREEL_API_KEY (`agentreel keys create` makes one)"


class ServerError(AgentreelError):
    """The server could not be reached (``status`` None) or answered with an error."""

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        #: The server's own message (``error.message`` of its JSON), for callers that map it.
        self.detail = detail or message


def server_base(server: str) -> str:
    """``server`` without a trailing slash; ValueError if it is not an http(s) URL."""
    base = server.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"{server!r} is not an http:// or https:// URL")
    return base


class JsonHttp:
    """Requests to one server that answer a JSON object, or raise :class:`ServerError`."""

    def __init__(self, server: str, api_key: str | None = None, *, csrf: bool = False) -> None:
        self.server = server_base(server)
        self.headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        elif csrf:
            # Without a key the server asks state-changing calls for the
            # double-submit CSRF pair that its pages send; a program may send it.
            token = secrets.token_urlsafe(16)
            self.headers["Cookie"] = f"agentreel_csrf={token}"
            self.headers["X-CSRF-Token"] = token

    def call(
        self, method: str, path: str, body: Any = None, *, timeout: float = 15.0
    ) -> dict[str, Any]:
        """``method path`` (``path`` starts with ``/``, query included) and its JSON answer."""
        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(
            self.server + path, data=data, headers=self.headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise self._problem(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(
                f"cannot reach the agentreel server at {self.server} ({reason}); "
                "check the URL and that `agentreel serve` is running"
            ) from None
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ServerError(f"the server at {self.server} did not answer with JSON") from None
        if not isinstance(value, dict):
            raise ServerError(f"the server at {self.server} did not answer with a JSON object")
        return value

    def _problem(self, exc: urllib.error.HTTPError) -> ServerError:
        try:
            detail = str(orjson.loads(exc.read())["error"]["message"])
        except Exception:  # not our server's error shape: say what HTTP said
            detail = str(exc.reason)
        if exc.code == 401:
            message = f"the server at {self.server} refused the request: {detail}; {_KEY_HINT}"
        else:
            message = f"the server at {self.server} answered {exc.code}: {detail}"
        return ServerError(message, exc.code, detail)
