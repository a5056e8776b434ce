"""RemoteStore: the write side of the Store protocol, sending to an ``agentreel serve``."""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from agentreel._version import installed_version
from agentreel.errors import ConfigurationError, StoreError
from agentreel.storage import SessionFilter, Store, WriteBatch, default_db_path

from ._mapping import SpanMapper
from ._sender import Delivery, Sender
from ._spool import Spool
from ._stats import RemoteStats
from ._wire import SpanData, encode_request, proto

_MiB = 1024 * 1024
#: Per-span overhead on top of its payload text, for cutting batches into requests.
_SPAN_OVERHEAD = 600


class RemoteReadError(StoreError):
    """A :class:`RemoteStore` was asked to read; it only sends."""

    def __init__(self, location: str) -> None:
        self.location = location
        super().__init__(
            f"the remote store {location} only sends; reads (and keys, and step numbering) "
            "happen on the server: use its JSON API, or `agentreel ls --server URL`"
        )


def default_spool_dir() -> Path:
    """``spool/`` beside the default reel database: ``./.agentreel/spool``."""
    return default_db_path().parent / "spool"


class RemoteStore:
    """Sends every written batch to an agentreel server over OTLP/HTTP (protobuf, gzip).

    ``write()`` turns the batch into spans and puts them in a disk spool; a
    background thread sends the spool to ``endpoint`` (``/v1/traces`` is added
    unless the URL already ends with it) in order, removing a file once the
    server acknowledged it. A server that is down or busy costs nothing but
    spool space; spooled batches are sent when it returns, or by the next
    ``RemoteStore`` on the same ``spool_dir`` after a restart.

    Nothing is raised into the program after construction: failures are
    counted in :meth:`stats` and logged once per kind. Reads raise
    :class:`RemoteReadError`; the data is read back from the server.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        close_timeout: float = 2.0,
        service_name: str = "agentreel",
        max_spool_bytes: int = 256 * _MiB,
        max_request_bytes: int = 4 * _MiB,
        max_payload_bytes: int = 256 * 1024,
        blob_cache_bytes: int = 64 * _MiB,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        idle_poll: float = 1.0,
    ) -> None:
        proto()  # fail now, with the install hint, rather than on the writer thread
        url = _traces_url(endpoint)
        if timeout <= 0 or close_timeout < 0 or initial_backoff <= 0:
            raise ConfigurationError(
                "timeout and initial_backoff must be positive, close_timeout >= 0"
            )
        if max_payload_bytes < 1024 or max_request_bytes < max_payload_bytes:
            raise ConfigurationError(
                "max_payload_bytes must be at least 1024 and at most max_request_bytes"
            )
        self.location = url
        self.close_timeout = close_timeout
        self._stats = RemoteStats()
        self._mapper = SpanMapper(
            stats=self._stats,
            max_payload_bytes=max_payload_bytes,
            blob_cache_bytes=blob_cache_bytes,
        )
        self._resource = {
            "service.name": service_name,
            "telemetry.sdk.name": "agentreel",
            "telemetry.sdk.language": "python",
            "telemetry.sdk.version": installed_version(),
        }
        self._max_request = max_request_bytes
        path = Path(spool_dir) if spool_dir is not None else default_spool_dir()
        try:
            self._spool = Spool(path, max_bytes=max_spool_bytes)
        except OSError as exc:
            raise ConfigurationError(f"cannot use the spool directory {path}: {exc}") from exc
        headers = {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
            "User-Agent": f"agentreel/{installed_version()}",
        }
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._api_key = api_key
        self._sender = Sender(
            self._spool,
            Delivery(
                url=url,
                headers=headers,
                timeout=timeout,
                max_request_bytes=max_request_bytes,
                initial_backoff=initial_backoff,
                max_backoff=max_backoff,
                max_retry_after=max_retry_after,
                idle_poll=idle_poll,
            ),
            self._stats,
        )
        self._close_lock = threading.Lock()
        self._closed = False

    @property
    def spool_dir(self) -> Path:
        return self._spool.path

    def __repr__(self) -> str:
        return f"RemoteStore({self.location!r}, spool_dir={str(self._spool.path)!r})"

    def control_target(self) -> tuple[str, dict[str, str]]:
        """The server's base URL and the headers of the live-debug link (``hooks._link``).

        The control channel reads this when it starts, so that a process that
        sends its steps to a server is reachable through that server too.
        """
        headers = {"User-Agent": f"agentreel/{installed_version()}"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return self.location.removesuffix("/v1/traces"), headers

    # -- the write side ---------------------------------------------------------------

    def write(self, batch: WriteBatch) -> None:
        """Spool ``batch`` as OTLP requests and wake the sender. Never raises."""
        try:
            spans = self._mapper.spans(batch)
        except Exception as exc:
            n = len(batch.steps) + len(batch.sessions)
            self._stats.loss("encode_errors", n, f"mapping a batch failed: {exc!r}")
            return
        for chunk in _chunks(spans, self._max_request):
            try:
                body = encode_request(
                    chunk, resource=self._resource, scope_version=installed_version()
                )
            except Exception as exc:
                self._stats.loss("encode_errors", len(chunk), f"encoding spans failed: {exc!r}")
                continue
            try:
                spooled = self._spool.put(body, len(chunk))
            except OSError as exc:
                self._stats.loss("spool_errors", len(chunk), f"writing the spool failed: {exc}")
                continue
            if not spooled:
                self._stats.loss(
                    "dropped_spool_full",
                    len(chunk),
                    f"the spool {self._spool.path} is at its limit of "
                    f"{self._spool.max_bytes} bytes (is the server down?)",
                )
                continue
            self._stats.add("spans_spooled", len(chunk))
            self._stats.add("batches_spooled")
        self._sender.wake()

    def close(self, timeout: float | None = None) -> None:
        """Send what the spool holds for up to ``timeout`` seconds (default ``close_timeout``),
        then stop; whatever is left stays spooled for the next run. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._sender.close(self.close_timeout if timeout is None else timeout)
        try:
            left = sum(f.spans for f in self._spool.pending())
        except OSError:
            left = 0
        self._stats.set("left_in_spool", left)

    def stats(self) -> dict[str, int]:
        """Counters of spans spooled, sent, retried, rejected and dropped, by reason."""
        return self._stats.snapshot()

    # -- the read side lives on the server ----------------------------------------------

    def _no_reads(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RemoteReadError(self.location)

    def resolve_session_id(self, prefix: str) -> NoReturn:
        self._no_reads()

    def get_session(self, session_id: str) -> NoReturn:
        self._no_reads()

    def summarize(self, session_id: str) -> NoReturn:
        self._no_reads()

    def list_sessions(self, filter: SessionFilter | None = None) -> NoReturn:
        self._no_reads()

    def count_sessions(self) -> NoReturn:
        self._no_reads()

    def get_steps(self, session_id: str, *, from_number: int = 1) -> NoReturn:
        self._no_reads()

    def get_step(self, session_id: str, number: int) -> NoReturn:
        self._no_reads()

    def get_blobs(self, digests: Collection[str]) -> NoReturn:
        self._no_reads()

    # Server-side bookkeeping (OTLP ingest, API keys) is the server's own.

    def assign_step_numbers(self, session_id: str, span_ids: Sequence[str]) -> NoReturn:
        self._no_reads()

    def create_api_key(self, project: str, name: str) -> NoReturn:
        self._no_reads()

    def check_api_key(self, secret: str) -> NoReturn:
        self._no_reads()

    def revoke_api_key(self, key_id: str) -> NoReturn:
        self._no_reads()

    def list_api_keys(self) -> NoReturn:
        self._no_reads()


if TYPE_CHECKING:  # mypy checks that RemoteStore fits the Store protocol

    def _fits(store: RemoteStore) -> Store:
        return store


def _traces_url(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"endpoint must be an http:// or https:// URL of an agentreel server, not {endpoint!r}"
        )
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def _chunks(spans: list[SpanData], max_bytes: int) -> Iterator[list[SpanData]]:
    """Spans cut into runs whose estimated encoded size stays under ``max_bytes``."""
    chunk: list[SpanData] = []
    size = 0
    for span in spans:
        cost = _SPAN_OVERHEAD + sum(len(v) for v in span.attributes.values() if isinstance(v, str))
        if chunk and size + cost > max_bytes:
            yield chunk
            chunk, size = [], 0
        chunk.append(span)
        size += cost
    if chunk:
        yield chunk
