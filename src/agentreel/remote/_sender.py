"""The sender thread: ships spooled request bodies to the server, oldest first.

"When to send" lives here and "what to send" in the spool, so a batch reaches
the server by one path whether it was written a millisecond ago or by a
process that died yesterday. A file leaves the spool only when the server
acknowledged it (2xx) or refused it for good (a 4xx other than 401, 403, 408
and 429). Everything else (no connection, timeouts, 5xx, 429, a refused API
key) is retried with exponential backoff and jitter, waiting at least as long
as a Retry-After header asks.
"""

from __future__ import annotations

import gzip
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from ._spool import Spool, SpoolFile
from ._stats import RemoteStats
from ._wire import partial_success

#: Statuses worth asking again: the server is busy, down, or (401/403)
#: misconfigured in a way its operator may fix while we keep the data.
_RETRY = frozenset({401, 403, 408, 429})
_LOCK_POLL = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """Where and how to send."""

    url: str
    headers: dict[str, str]
    timeout: float
    max_request_bytes: int
    initial_backoff: float
    max_backoff: float
    max_retry_after: float
    idle_poll: float


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None  # None: no HTTP answer at all
    body: bytes = b""
    retry_after: float | None = None
    error: str = ""


class Sender:
    """One background thread per store, shipping its spool directory."""

    def __init__(self, spool: Spool, delivery: Delivery, stats: RemoteStats) -> None:
        self._spool = spool
        self._d = delivery
        self._stats = stats
        self._wake = threading.Event()
        self._deadline: float | None = None  # set by close(): monotonic time to give up
        self._attempt = 0
        self._last_status: int | None = None
        self._not_before = 0.0
        self._jitter = random.Random()
        self._thread = threading.Thread(target=self._run, name="agentreel-export", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def close(self, timeout: float) -> None:
        """Send what can be sent within ``timeout`` seconds, then stop."""
        self._deadline = time.monotonic() + max(0.0, timeout)
        self._wake.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    if not self._step():
                        return
                except Exception as exc:  # a bug must not stop sending for good, nor go unseen
                    self._stats.loss("sender_errors", detail=f"{exc!r}; retrying")
                    self._sleep(self._d.max_backoff)
        finally:
            self._spool.unlock()

    def _step(self) -> bool:
        """One round; False when the thread should end."""
        deadline = self._deadline
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return False
        if not self._spool.try_lock():
            self._sleep(_LOCK_POLL)
            return True
        if now < self._not_before:
            if deadline is not None and self._not_before >= deadline:
                return False  # the server asked us to wait longer than close() allows
            self._sleep(self._not_before - now)
            return True
        try:
            files = self._spool.pending()
        except OSError as exc:  # the directory went away or became unreadable
            self._stats.loss("spool_errors", 0, f"cannot list the spool: {exc}", kind="list")
            self._sleep(self._d.max_backoff)
            return True
        if not files:
            if deadline is not None:
                return False
            self._sleep(self._d.idle_poll)
            return True
        self._send(self._group(files))
        return True

    def _sleep(self, seconds: float) -> None:
        if self._deadline is not None:
            seconds = min(seconds, max(0.0, self._deadline - time.monotonic()))
        if self._wake.wait(seconds):
            self._wake.clear()

    def _group(self, files: list[SpoolFile]) -> list[SpoolFile]:
        # Concatenated protobuf messages parse as one message whose repeated
        # fields are joined: several spooled requests make one valid request.
        if self._attempt and self._last_status == 413:
            return files[:1]
        group = [files[0]]
        size = files[0].size
        for f in files[1:]:
            if size + f.size > self._d.max_request_bytes:
                break
            group.append(f)
            size += f.size
        return group

    def _send(self, group: list[SpoolFile]) -> None:
        try:
            body = b"".join(f.path.read_bytes() for f in group)
        except OSError as exc:
            # A file vanished (another sender took it) or cannot be read: re-list.
            lost = [f for f in group if f.path.exists()]
            if lost and not isinstance(exc, FileNotFoundError):
                self._stats.loss("dropped_unreadable", sum(f.spans for f in lost), repr(exc))
                for f in lost:
                    self._spool.remove(f)
            return
        spans = sum(f.spans for f in group)
        timeout = self._d.timeout
        if self._deadline is not None:
            timeout = max(0.05, min(timeout, self._deadline - time.monotonic()))
        answer = self._http_post(gzip.compress(body, compresslevel=5), timeout)
        self._last_status = answer.status
        status = answer.status
        if status is not None and 200 <= status < 300:
            rejected, message = partial_success(answer.body)
            rejected = min(rejected, spans)
            if rejected:
                self._stats.loss(
                    "rejected_by_server", rejected, message or "partial success", kind="partial"
                )
            self._stats.add("spans_sent", spans - rejected)
            self._stats.add("batches_sent")
            self._done(group)
            return
        if status is not None and 400 <= status < 500 and status not in _RETRY:
            if status == 413 and len(group) > 1:
                self._retry_soon()  # next round sends the files one by one
                return
            self._stats.loss(
                "dropped_rejected",
                spans,
                f"the server answered {status}: {answer.body[:200]!r}",
                kind=f"http_{status}",
            )
            self._stats.add(f"dropped_http_{status}", spans)
            self._done(group)
            return
        # Left: no answer, 5xx, 401/403/408/429, and redirects (see _NoRedirects).
        reason = f"http_{status}" if status is not None else "unreachable"
        detail = (
            f"the server answered {status}; will retry"
            if status is not None
            else f"cannot reach {self._d.url} ({answer.error}); spooling and retrying"
        )
        if status in (401, 403):
            detail = f"the server refused the API key ({status}); keeping the spool, retrying"
        self._stats.loss("retried", detail=detail, kind=reason)
        self._backoff(answer.retry_after)

    def _done(self, group: list[SpoolFile]) -> None:
        for f in group:
            self._spool.remove(f)
        self._attempt = 0
        self._not_before = 0.0

    def _retry_soon(self) -> None:
        self._attempt += 1
        self._not_before = 0.0

    def _backoff(self, retry_after: float | None) -> None:
        d = self._d
        delay = min(d.max_backoff, d.initial_backoff * 2**self._attempt)
        delay = delay / 2 + self._jitter.uniform(0, delay / 2)  # "equal jitter"
        if retry_after is not None:
            delay = max(delay, min(retry_after, d.max_retry_after))
        self._attempt += 1
        self._not_before = time.monotonic() + delay

    # -- HTTP -------------------------------------------------------------------------------

    def _http_post(self, body: bytes, timeout: float) -> _Answer:
        request = urllib.request.Request(
            self._d.url, data=body, headers=self._d.headers, method="POST"
        )
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return _Answer(response.status, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                data = exc.read()
            return _Answer(exc.code, data, _retry_after(exc.headers.get("Retry-After")))
        except (OSError, ValueError) as exc:  # refused, reset, timed out, bad URL
            return _Answer(None, error=f"{type(exc).__name__}: {exc}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without a body: the server
    # would refuse it and the batch be dropped. A redirect is a misconfigured
    # endpoint; keep the spool and say so (logged once as http_30x).
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
