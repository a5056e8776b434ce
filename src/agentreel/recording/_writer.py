"""The background writer: a bounded queue of live handles, drained in batches.

"When to write" lives here; "how to write" is the store's ``write()``. The
producer side (``submit``) is a deque append and a length check; the writer
thread wakes every ``flush_interval`` or when a batch's worth is waiting and
hands what it drained to the store in one transaction: as one ``WriteBatch``,
or, to a store that can take several at once (``WritesMany``), as batches of
``CHUNK`` records, each made from its handles just before the store writes it.
A handle submitted at start and again at end within one batch is written
once, in its final state.

A program that records steps faster than they can be written (a tight loop
of steps, thousands a second) would otherwise queue up to ``queue_size`` of
them and then lose the rest. Past two batches' worth, or half the queue if
that is less (``high_water``), a submitting thread waits, at most
``queue_wait`` seconds, for the writer to empty the queue. Besides keeping
those steps, this is cheaper: handles written soon after they were made are
still in the CPU's caches, and fewer of them live long enough to be traversed
by the garbage collector's older generations (measured on
bench/record_overhead.py: 12 % less CPU a step).
A writer that does not empty the queue in time (a database locked by another
process, say) is not waited for again until it has written a batch.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from agentreel._redact import TOKEN_RUN, Redactor
from agentreel._redact import has_token_run as _has_run
from agentreel.model import Session, Status, StepRow
from agentreel.payloads import PayloadEncoder, jsonable
from agentreel.storage import Store, WriteBatch, WritesMany

from ._live import SessionHandle, StepHandle
from ._stats import Stats, logger

#: Queue items per batch for a store that writes several in one transaction.
CHUNK = 128
_EMPTY = b"{}"
_RUNNING = Status.RUNNING
_OK = Status.OK
_new_row = tuple.__new__
CostFn = Callable[[str | None, int, int, int, int], float | None]


class _FlushMarker:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class _Made:
    """How many items one drain took off the queue, and what its batches hold."""

    __slots__ = ("sessions", "steps", "taken")

    def __init__(self) -> None:
        self.taken = self.steps = self.sessions = 0


class Writer:
    """Owns the queue and the thread that empties it into a store."""

    def __init__(
        self,
        store: Store,
        *,
        stats: Stats,
        redactor: Redactor,
        cost: CostFn,
        queue_size: int = 10_000,
        batch_size: int = 512,
        flush_interval: float = 0.2,
        max_payload_chars: int = 1_000_000,
        queue_wait: float = 0.1,
    ) -> None:
        self.store = store
        self._stats = stats
        self._redactor = redactor
        self._cost = cost
        #: Attribute keys known not to name a credential.
        self._safe_keys: set[Any] = set()
        self._queue: deque[Any] = deque()
        self._queue_size = queue_size
        self._batch_size = batch_size
        #: Queue length past which submit() waits for the writer (if queue_wait > 0):
        #: two batches, or half a smaller queue (a full one drops records).
        self.high_water = min(batch_size * 2, max(queue_size // 2, 1)) if queue_wait else queue_size
        self._queue_wait = queue_wait
        #: Set by the writer each time it has emptied the queue once more.
        self._drained = threading.Event()
        #: A wait for the writer timed out, and it has not written since.
        self._stalled = False
        self._interval = flush_interval
        self._max_chars = max_payload_chars
        self._encoder = PayloadEncoder()
        # A store that writes several batches in one transaction gets small
        # ones, each made just before it is written (see WritesMany).
        self._write_many = store.write_many if isinstance(store, WritesMany) else None
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="agentreel-writer", daemon=True)
        self._thread.start()

    # -- producer side (any thread) -------------------------------------------

    def submit(self, item: StepHandle | SessionHandle) -> None:
        queue = self._queue
        size = len(queue)
        if size >= self._queue_size:
            self._stats.loss("dropped_queue_full", detail="the writer cannot keep up")
            return
        queue.append(item)
        if size == self._batch_size:
            self._wake.set()
        elif size >= self.high_water:
            self._wait_for_writer()

    def _wait_for_writer(self) -> None:
        if self._stalled or self._stopping or not self._thread.is_alive():
            return
        drained = self._drained
        drained.clear()
        self._wake.set()
        if not drained.wait(self._queue_wait):
            self._stalled = True

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Wait until everything submitted before this call is written."""
        if not self._thread.is_alive():
            return not self._queue
        marker = _FlushMarker()
        self._queue.append(marker)
        self._wake.set()
        return marker.done.wait(timeout)

    def stop(self, timeout: float | None) -> bool:
        """Write what is queued and stop; False if ``timeout`` ran out first."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            left = sum(1 for item in self._queue if not isinstance(item, _FlushMarker))
            if left:
                self._stats.loss("dropped_shutdown", left, "the exit flush timed out")
            return False
        return True

    @property
    def pending(self) -> int:
        return len(self._queue)

    # -- writer thread -----------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            while self._queue:
                self._drain()
                self._stalled = False
                self._drained.set()
            if self._stopping and not self._queue:
                return

    def _drain(self) -> None:
        count = min(len(self._queue), self._batch_size * 4)
        markers: list[_FlushMarker] = []
        made = _Made()
        try:
            if self._write_many is not None:
                self._write_many(self._batches(count, CHUNK, markers, made))
            else:
                for batch in self._batches(count, count, markers, made):
                    self.store.write(batch)
        except Exception as exc:  # the store failed: what it was given is lost
            # So is what it did not ask for (a closed store fails before it
            # asks): left queued, it would be tried again and again.
            popleft = self._queue.popleft
            lost = made.steps + made.sessions
            for _ in range(count - made.taken):
                item = popleft()
                if type(item) is _FlushMarker:
                    markers.append(item)
                else:
                    lost += 1
            self._stats.loss("write_errors", lost, f"{type(exc).__name__}: {exc}")
        else:
            self._stats.add("steps", made.steps)
            self._stats.add("sessions", made.sessions)
        # Everything queued before a marker is in this batch (or an earlier
        # one); what came after it may be too, which flush() does not mind.
        for marker in markers:
            marker.done.set()

    def _batches(
        self, count: int, size: int, markers: list[_FlushMarker], made: _Made
    ) -> Iterator[WriteBatch]:
        """Take ``count`` items off the queue, ``size`` at a time, each turned
        into a batch only when it is asked for; count what the batches hold."""
        popleft = self._queue.popleft
        while count > 0:
            take = min(size, count)
            count -= take
            items = [popleft() for _ in range(take)]
            made.taken += take
            try:
                batch = self._build(items, markers)
            except Exception as exc:  # a bug here must not kill the thread
                self._stats.loss("write_errors", take, f"building a batch failed: {exc!r}")
                continue
            if batch:
                made.steps += len(batch.steps)
                made.sessions += len(batch.sessions)
                yield batch

    def _build(self, items: list[Any], markers: list[_FlushMarker]) -> WriteBatch:
        # A step handle is in the queue at most once at a time (see
        # StepHandle.__exit__), so steps need no de-duplication here;
        # sessions, queued at start and at end, may come twice.
        sessions: dict[str, SessionHandle] = {}
        # Steps never written before go first, so the store may insert them
        # without the upsert (WriteBatch.new_steps); most steps start and end
        # within one batch and are written once.
        steps: list[StepRow] = []
        again: list[StepRow] = []
        blobs: dict[str, bytes] = {}
        step_row = self._step_row
        for i, item in enumerate(items):
            # Let each handle go as soon as its row is made, not after the
            # write: handles that live long get traversed by the garbage
            # collector's older generations (a full collection traverses the
            # whole program), and a batch's rows and handles together would
            # trigger twice as many young collections as its rows alone.
            items[i] = None
            kind = type(item)
            if kind is StepHandle:
                if item._stored:
                    again.append(step_row(item, blobs))
                else:
                    item._stored = True
                    steps.append(step_row(item, blobs))
            elif kind is SessionHandle:
                sessions[item.id] = item
            else:
                markers.append(item)
        new = len(steps)
        if again:
            steps += again
        return WriteBatch(
            sessions=[self._session(h) for h in sessions.values()],
            steps=steps,
            blobs=blobs,
            new_steps=new,
        )

    def _step_row(self, h: StepHandle, blobs: dict[str, bytes]) -> StepRow:
        # Clear the queued flag *before* reading the status; StepHandle.__exit__
        # relies on this order to never lose a step's final state.
        h._queued = False
        status = h.status  # a finished status means every other field is final
        if status is _RUNNING:
            finished = False
            state = "running"
        else:
            finished = True
            state = "ok" if status is _OK else "error"  # plain str: binds faster than an enum
        if h.input is not None and h._input_ref is None:
            h._input_ref = self._payload(h.input, blobs)
        if finished and h.output is not None and h._output_ref is None:
            h._output_ref = self._payload(h.output, blobs)
        cost = h.cost
        if finished and cost is None and h.model and (h.tokens_in or h.tokens_out):
            cost = h.cost = self._cost(
                h.model, h.tokens_in, h.tokens_out, h.tokens_cached, h.tokens_reasoning
            )
        attrs = self._attributes(h.attributes) if h.attributes else _EMPTY
        parent = h.parent
        session = h.session
        if parent is None:
            parent_span = session.parent_span_id if session is not None else None
        else:
            parent_span = parent._span
        # tuple.__new__ skips the NamedTuple's Python-level __new__ (half the cost).
        return _new_row(
            StepRow,
            (
                session.id if session is not None else "",
                h.number,
                h._span,
                parent.number if parent is not None else None,
                parent_span,
                h.kind,
                h.name,
                state,
                h.started_at,
                h.ended_at if finished else None,
                attrs,
                h.model,
                h.tokens_in,
                h.tokens_out,
                h.tokens_cached,
                h.tokens_reasoning,
                cost,
                h._input_ref,
                h._output_ref if finished else None,
                h.error if finished else None,
            ),
        )

    def _payload(self, value: Any, blobs: dict[str, bytes]) -> str | None:
        try:
            value = self._sanitize(value)
            encoded = self._encoder.encode(value)
        except Exception as exc:
            self._stats.loss("encode_errors", detail=f"{type(exc).__name__}: {exc}")
            return None
        blobs.update(encoded.blobs)
        return encoded.root

    def _sanitize(self, value: Any) -> Any:
        before = self._redactor.count
        limit = self._max_chars

        def text(s: str) -> str:
            s = self._redactor.text(s) if self._redactor.enabled else s
            if len(s) > limit:
                self._stats.add("truncated")
                s = s[:limit] + f"...[truncated {len(s) - limit} chars]"
            return s

        if self._redactor.enabled:
            out = self._redactor.walk(value, text)
        else:
            out = _walk_strings(value, text)
        if self._redactor.count != before:
            self._stats.add("redacted", self._redactor.count - before)
            self._redactor.count = before
        return out

    def _attributes(self, attributes: dict[str, Any]) -> bytes:
        """A step's attributes as JSON bytes, JSON-safe and redacted.

        This runs for every step. The fast path encodes the attributes once
        and scans the encoded bytes once for anything secret-shaped; only if
        that scan or a key name raises a suspicion does the per-value path run.
        The bytes go to the store as they are, so nothing is encoded twice.
        """
        # User code may still be adding attributes to a running step. orjson
        # without a ``default`` callback never runs Python code, so it holds the
        # GIL for the whole dict and sees it whole; only values it does not know
        # need the slow path, which works on a copy.
        attrs: Any = attributes
        redactor = self._redactor
        try:
            data = orjson.dumps(attrs)
        except TypeError:
            attrs = jsonable(attributes.copy())
            data = orjson.dumps(attrs, option=orjson.OPT_NON_STR_KEYS)
        if not redactor.enabled:
            return data
        # Steps repeat their key names: one set lookup per key answers for
        # names seen before (cheaper than making and hashing a tuple of them).
        # issuperset() iterates the dict in C, seeing it whole, like orjson.
        safe = self._safe_keys
        hidden = False
        if not safe.issuperset(attrs):
            if len(safe) > 4096:
                safe.clear()  # a cache: forgetting costs only the key tests
            for k in tuple(attrs):
                if isinstance(k, str) and redactor.is_sensitive_key(k):
                    hidden = True
                else:
                    safe.add(k)
        # Values under a sensitive key are masked at any depth, and the byte
        # scan below looks only for secret-shaped text: a nested object ("{"
        # after the first byte; one inside a string costs only this look)
        # gets its keys checked, as stored.
        if not hidden and data.find(b"{", 1) >= 0:
            hidden = redactor.holds_sensitive_key(orjson.loads(data))
        # may_hold_secret_bytes(), inlined: this line runs for every step.
        # ``64 in`` rather than ``b"@" in``: bytes.__contains__ first tries its
        # argument as an int, and for a bytes argument that costs a raised and
        # cleared TypeError, more than the search itself.
        if not hidden and 64 not in data:
            if not _has_run(data, TOKEN_RUN):
                return data
            # Only values are ever masked, and a dotted key name such as
            # "gen_ai.request.model" or "agentreel.replayed_step" is a run of
            # 15 token characters by itself. Look again at the values alone,
            # taken from the bytes being stored (not the live dict, which
            # another thread may have changed since): far cheaper than the walk.
            values = orjson.dumps(list(orjson.loads(data).values()))
            if not _has_run(values, TOKEN_RUN):
                return data
        clean = redactor.value(orjson.loads(data))
        if redactor.count:
            self._stats.add("redacted", redactor.count)
            redactor.count = 0
            return orjson.dumps(clean)
        return data

    def _redact(self, value: Any) -> Any:
        redactor = self._redactor
        out = redactor.value(value)
        if redactor.count:
            self._stats.add("redacted", redactor.count)
            redactor.count = 0
        return out

    def _session(self, h: SessionHandle) -> Session:
        status = h.status
        metadata = h.metadata
        if metadata and self._redactor.enabled:
            metadata = self._redact(metadata)
        return Session(
            id=h.id,
            name=h.name,
            project=h.project,
            tags=h.tags,
            metadata=metadata,
            status=status,
            started_at=h.started_at,
            ended_at=h.ended_at if status is not Status.RUNNING else None,
            error=h.error if status is not Status.RUNNING else None,
            forked_from=h.forked_from,
            parent_span_id=h.parent_span_id,
            trace_id=h.trace_id,
        )


def _walk_strings(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: _walk_strings(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk_strings(v, text) for v in value]
    return value


__all__ = ["Writer", "logger"]
