"""Sending recorded steps to an ``agentreel serve`` over OTLP/HTTP, through a disk spool.

``RemoteStore(endpoint, api_key=...)`` is a store that sends instead of
keeping: pass it to ``agentreel.configure(store=...)``. What goes on the wire
(every span and attribute) is documented in docs/export.md. Needs the
``export`` extra (``opentelemetry-proto``).
"""

from ._mapping import OPERATIONS, SESSION_SPAN, session_span_id
from ._stats import REASONS
from ._store import RemoteReadError, RemoteStore, default_spool_dir
from ._wire import INSTALL_HINT

__all__ = [
    "INSTALL_HINT",
    "OPERATIONS",
    "REASONS",
    "SESSION_SPAN",
    "RemoteReadError",
    "RemoteStore",
    "default_spool_dir",
    "session_span_id",
]
