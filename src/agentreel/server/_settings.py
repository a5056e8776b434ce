"""What an ``agentreel serve`` process is told: bind, limits, auth, polling."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from agentreel.errors import ConfigurationError

#: The port ``agentreel serve`` listens on unless told otherwise.
DEFAULT_PORT = 7723
DEFAULT_HOST = "127.0.0.1"
#: Largest OTLP request body accepted, counted after decompression.
DEFAULT_MAX_BODY = 16 * 1024 * 1024

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    """How one server app behaves. Every field has a safe default.

    ``auth`` on means ``/v1/traces`` and ``/api`` need an API key.
    ``max_ingests`` bounds how many OTLP requests are read and stored at once;
    one more is answered 503 with ``Retry-After: retry_after`` seconds, which
    OTLP exporters honour. ``poll_interval`` is how often a live stream reads
    the store for new steps, ``heartbeat`` how often an idle stream sends a
    comment so proxies keep it open. ``metrics_ttl`` is how long the totals
    that ``/metrics`` reads from the store are reused before being read again.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_body: int = DEFAULT_MAX_BODY
    auth: bool = False
    max_ingests: int = 8
    retry_after: int = 2
    poll_interval: float = 0.5
    heartbeat: float = 15.0
    metrics_ttl: float = 15.0

    def __post_init__(self) -> None:
        if self.max_body < 1024:
            raise ConfigurationError(f"max_body must be at least 1024 bytes, not {self.max_body}")
        if self.max_ingests < 1:
            raise ConfigurationError(f"max_ingests must be at least 1, not {self.max_ingests}")
        if self.poll_interval <= 0 or self.heartbeat <= 0:
            raise ConfigurationError("poll_interval and heartbeat must be positive")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(settings: ServerSettings) -> None:
    """Refuse a bind that would expose the data to the network without keys."""
    if settings.auth or is_loopback(settings.host):
        return
    raise ConfigurationError(
        f"refusing to listen on {settings.host} without authentication: anyone who can "
        "reach it could read every session; create a key with "
        "`agentreel keys create --project NAME --name NAME` and start with --auth "
        "(or bind 127.0.0.1)"
    )
