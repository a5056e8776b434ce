"""Response headers every answer gets, and the request metrics.

Pages show hostile content (prompts hold HTML and scripts), so HTML answers
carry a Content-Security-Policy that allows only our own files: no inline
script or style, no other origin. The UI is built for exactly that
(``default-src 'self'``).
"""

from __future__ import annotations

import secrets
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._auth import CSRF_COOKIE
from ._metrics import ServerMetrics

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeadersMiddleware:
    """Adds the security headers; on HTML pages also the CSP and the CSRF cookie.

    The cookie is readable by our scripts (they copy it into X-CSRF-Token)
    and sent only to this site (SameSite=Strict).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_cookie = CSRF_COOKIE in cookie_parser(Headers(scope=scope).get("cookie", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                    if not has_cookie:
                        token = secrets.token_urlsafe(32)
                        headers.append(
                            "Set-Cookie", f"{CSRF_COOKIE}={token}; Path=/; SameSite=Strict"
                        )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _route(scope: Scope) -> str:
    # FastAPI writes the matched API route into the shared scope; its path
    # template ("/api/sessions/{session_id}") keeps the label bounded. UI
    # pages, assets and unknown paths have none and share one label.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "other"


class MetricsMiddleware:
    """Counts every answer by route template, method and status, and times it."""

    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        streaming = False

        async def observe(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                streaming = content_type.startswith("text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route = _route(scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            if not streaming:
                self.metrics.request_seconds.labels(route).observe(time.perf_counter() - started)
