"""``agentreel ui``: the web UI on the local store, on this machine only.

The same server as ``agentreel serve`` (API, live streams, UI), always bound
to 127.0.0.1 and without keys: it is for looking at your own recordings.
"""

from __future__ import annotations

import socket
import threading
import time
import webbrowser

import click
from rich.text import Text

from ._context import get_context

__all__ = ["ui"]

#: The port ``agentreel serve`` uses by default; the UI is the same server.
DEFAULT_PORT = 7723
_HOST = "127.0.0.1"


def _bind(port: int) -> socket.socket:
    # Bound here, before uvicorn starts, so that the URL printed (and opened)
    # names the real port, also for --port 0, and a busy port is one clear line.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((_HOST, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(
            f"cannot listen on {_HOST}:{port} ({exc.strerror or exc}); "
            "is `agentreel serve` or another `agentreel ui` running? Try --port 0"
        ) from None
    return sock


def _open_when_up(server: object, url: str) -> None:
    deadline = time.monotonic() + 10
    while not getattr(server, "started", False) and time.monotonic() < deadline:
        time.sleep(0.05)
    if getattr(server, "started", False):
        webbrowser.open(url)


@click.command("ui")
@click.option(
    "--db",
    metavar="PATH",
    help="The reel database.  [default: the global --db, $AGENTREEL_DB or ./.agentreel/reel.db]",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-open", is_flag=True, help="Print the URL; do not open a browser.")
def ui(db: str | None, port: int, no_open: bool) -> None:
    """Open the web UI on the local recordings: sessions, step-through
    replay, live view, diff and costs, at http://127.0.0.1:PORT/.

    Ctrl-C stops it.
    """
    cli = get_context()
    try:
        import uvicorn

        from agentreel.server import ServerSettings, create_app
    except ImportError as exc:
        missing = exc.name or "a dependency"
        raise click.ClickException(
            f"agentreel ui needs {missing}; install it with: pip install 'agentreel[server]'"
        ) from None
    sock = _bind(port)
    bound = sock.getsockname()[1]
    location = db or cli.db_location
    app = create_app(location, settings=ServerSettings(host=_HOST, port=bound))
    url = f"http://{_HOST}:{bound}/"
    store = app.state.agentreel.store
    cli.console.print(
        Text(f"agentreel ui: {url} on {store.location} (Ctrl-C stops)"), soft_wrap=True
    )
    config = uvicorn.Config(
        app, log_level="warning", server_header=False, timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    if not no_open:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
