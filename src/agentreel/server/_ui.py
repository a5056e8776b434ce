"""The web UI's pages and assets.

The UI is static: one HTML shell, a stylesheet and plain JavaScript modules
under ``ui/``, shipped in the package (no CDN, no build step). Every page URL
answers the same shell; the scripts read the path and fetch the JSON API.
The security headers (the Content-Security-Policy without ``unsafe-inline``
and the CSRF cookie) are added to every HTML answer by the server's
middleware, which is why the shell has no inline script or style at all.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

__all__ = ["PAGES", "UI_DIR", "mount_ui"]

#: Where the HTML, CSS and JavaScript live inside the installed package.
UI_DIR = Path(__file__).parent / "ui"

#: The UI's stable URLs (docs/ui.md). Each answers the shell page.
PAGES = (
    "/",
    "/s/{session_id}",
    "/s/{session_id}/step/{number:int}",
    "/live/{session_id}",
    "/diff",
    "/costs",
)

# Browsers refuse a module script served with a non-JavaScript type, and some
# systems' mime tables map .js to something else.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("image/svg+xml", ".svg")


class _Assets(StaticFiles):
    """The UI's files, revalidated on every load so an upgrade shows at once."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_ui(app: Starlette) -> None:
    """Add the web UI's pages and its assets (under ``/ui/``) to ``app``."""
    shell = (UI_DIR / "index.html").read_bytes()

    async def page(request: Request) -> Response:
        return Response(
            shell,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    for path in PAGES:
        app.router.add_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    app.router.mount("/ui", _Assets(directory=UI_DIR), name="ui")
