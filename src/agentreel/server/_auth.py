"""API keys and CSRF: who may call the API, and proof a browser request is ours.

Both are plain ASGI middleware rather than per-route dependencies, so a route
added later cannot forget them; ``tests/server/test_auth.py`` walks every
registered route to hold that.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from ._state import AppState, error, in_thread

#: Paths that need a key when auth is on; everything else (UI pages, assets,
#: /healthz, /metrics) is public.
PROTECTED_PREFIXES = ("/api", "/v1/")
#: Under /api, readable without a key: the schema says nothing about the data.
PUBLIC_API_PATHS = frozenset({"/api/openapi.json"})
CSRF_COOKIE = "agentreel_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_HOW = (
    "send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY' "
    "(create one with `agentreel keys create --project NAME --name NAME`)"
)


def api_key(headers: Headers) -> str | None:
    """The key a request carries, from ``Authorization: Bearer`` or ``X-Api-Key``."""
    given = headers.get("x-api-key")
    if given:
        return given.strip()
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def is_protected(path: str) -> bool:
    return path.startswith(PROTECTED_PREFIXES) and path not in PUBLIC_API_PATHS


class AuthMiddleware:
    """With auth on, ``/api`` and ``/v1`` need a valid key; the key's project is
    put in ``scope["state"]["agentreel_project"]`` for the endpoints to use."""

    def __init__(self, app: ASGIApp, *, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.state.settings.auth:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not is_protected(path):
            await self.app(scope, receive, send)
            return
        secret = api_key(Headers(scope=scope))
        project = None
        if secret:
            project = await in_thread(self.state.store.check_api_key, secret)
        if project is None:
            if path.startswith("/v1/"):
                self.state.metrics.requests_rejected.labels("unauthorized").inc()
            message = (
                f"this server needs an API key: {_HOW}"
                if not secret
                else "the API key is not valid (mistyped or revoked); "
                "`agentreel keys ls` lists the keys"
            )
            response = error(401, "Unauthorized", message, **{"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["agentreel_project"] = project
        await self.app(scope, receive, send)


def _same_origin(headers: Headers) -> bool:
    origin = headers.get("origin")
    if origin is None or origin == "null":
        # No Origin (an old browser, a script): the token below still decides.
        # "null" comes from sandboxed frames and file pages: never ours.
        return origin is None
    host = headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


class CsrfMiddleware:
    """State-changing ``/api`` requests from a browser must prove they come from our pages.

    A request with an API key header passes: a foreign page cannot set custom
    headers on a cross-site request without a CORS preflight, which this
    server never grants. Others need the same value in the ``agentreel_csrf``
    cookie and the ``X-CSRF-Token`` header (double submit), and an
    ``Origin``, when sent, naming this host.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in _SAFE_METHODS
            or not scope["path"].startswith("/api")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        problem = self._problem(headers)
        if problem is None:
            await self.app(scope, receive, send)
            return
        await error(403, "CsrfRejected", problem)(scope, receive, send)

    @staticmethod
    def _problem(headers: Headers) -> str | None:
        if api_key(headers) is not None:
            return None
        if not _same_origin(headers):
            return "cross-origin request refused: the Origin header does not name this server"
        cookie = cookie_parser(headers.get("cookie", "")).get(CSRF_COOKIE, "")
        token = headers.get(CSRF_HEADER, "")
        if not cookie or not token:
            return (
                f"missing CSRF token: send the value of the {CSRF_COOKIE} cookie in an "
                "X-CSRF-Token header (or use an API key)"
            )
        if not hmac.compare_digest(cookie.encode(), token.encode()):
            return "the X-CSRF-Token header does not match the agentreel_csrf cookie"
        return None
