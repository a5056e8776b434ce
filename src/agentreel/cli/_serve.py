"""``agentreel serve``: the team server on uvicorn (needs the ``server`` extra)."""

from __future__ import annotations

import importlib.util
import os

import click
from rich.text import Text

from agentreel.storage import open_store

from ._context import get_context

#: What the app needs beyond uvicorn (the ``server`` extra), checked by a
#: supervisor that does not load it.
_APP_PACKAGES = ("fastapi", "prometheus_client", "opentelemetry.proto")

__all__ = ["serve"]

#: The defaults, repeated from agentreel.server so that `--help` works
#: without the extra installed; tests/server checks they agree.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7723
DEFAULT_MAX_BODY = 16 * 1024 * 1024


@click.command("serve")
@click.option(
    "--db",
    metavar="PATH|URL",
    help="A SQLite file or a postgresql:// URL.  [default: the global --db, "
    "$AGENTREEL_DB or ./.agentreel/reel.db: the file the SDK writes]",
)
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_BODY,
    show_default=True,
    metavar="BYTES",
    help="Largest OTLP request body, counted after decompression (larger: 413).",
)
@click.option(
    "--max-ingests",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="OTLP requests stored at once per worker; more are answered 503 + Retry-After.",
)
@click.option(
    "--auth/--no-auth",
    default=False,
    show_default=True,
    help="Require an API key (`agentreel keys create`) on /v1/traces and /api.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help=(
        "Worker processes; they share the database "
        "(on SQLite 2 suits a 2-core machine; for more, use PostgreSQL)."
    ),
)
def serve(
    db: str | None,
    host: str,
    port: int,
    max_body: int,
    max_ingests: int,
    auth: bool,
    workers: int,
) -> None:
    """Serve OTLP/HTTP ingest (/v1/traces), the JSON API (/api), the web UI
    and Prometheus metrics (/metrics).

    Without --auth it listens on loopback only: a non-loopback --host needs --auth.
    """
    cli = get_context()
    try:
        import uvicorn

        from agentreel.server import ServerSettings, check_bind
        from agentreel.server._factory import ENV_CONFIG, FACTORY, config_env

        if workers == 1:
            from agentreel.server import create_app
        else:
            # The workers load the app; the supervisor only checks that they
            # can, so a missing package is still this one sentence.
            for package in _APP_PACKAGES:
                if importlib.util.find_spec(package) is None:
                    raise ImportError(name=package)
    except ImportError as exc:
        missing = exc.name or "a dependency"
        raise click.ClickException(
            f"agentreel serve needs {missing}; install it with: pip install 'agentreel[server]'"
        ) from None
    settings = ServerSettings(
        host=host, port=port, max_body=max_body, max_ingests=max_ingests, auth=auth
    )
    check_bind(settings)
    location = db or cli.db_location
    if workers == 1:
        app = create_app(location, settings=settings)
        store = app.state.agentreel.store
    else:
        # The supervisor only starts and watches the workers: it opens the
        # store to check it, and never loads the app (about 25 MB of RSS).
        store = open_store(location)
    if auth and not store.list_api_keys():
        cli.err_console.print(
            Text(
                "agentreel: warning: --auth is on and there are no API keys yet; create one with "
                "`agentreel keys create --project NAME --name NAME`"
            ),
            soft_wrap=True,
        )
    shown_host = f"[{host}]" if ":" in host else host
    cli.err_console.print(
        Text(
            f"agentreel serve: http://{shown_host}:{port} on {store.location} "
            f"(auth {'on' if auth else 'off'}; Ctrl-C stops)"
        ),
        soft_wrap=True,
    )
    options = {
        "host": host,
        "port": port,
        "log_level": "warning",
        "server_header": False,
        # Live streams never end on their own; give them a moment, then close.
        "timeout_graceful_shutdown": 3,
    }
    if workers == 1:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    store.close()
    os.environ[ENV_CONFIG] = config_env(location, settings)
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)  # type: ignore[arg-type]
