"""Live sessions and steps: the mutable handles user code holds while they run.

These are the recorder's hot path. They are plain ``__slots__`` objects (a
frozen dataclass per step would cost more than everything else here); the
background writer turns them into stored rows. Every method is safe to call
in any state: calls on a finished step are ignored, never raised.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import traceback
from collections.abc import Iterator, Mapping
from contextvars import Token
from types import TracebackType
from typing import TYPE_CHECKING, Any

from agentreel.errors import AgentreelError
from agentreel.model import JSON, ErrorInfo, ForkRef, Status, StepKind
from agentreel.payloads import jsonable

from . import _context
from ._context import current_session_var, current_step_var, step_marks_var
from ._intercept import Answer, Interceptor

if TYPE_CHECKING:
    from ._recorder import Recorder

_PLAIN = (str, int, float, bool, type(None))
# Module-level names: a global lookup is cheaper than an attribute lookup, and
# the methods below run for every recorded step.
_RUNNING = Status.RUNNING
_OK = Status.OK
_ERROR = Status.ERROR
_time_ns = time.time_ns
# The contextvar methods, bound once. CPython 3.11 compiles ``name.method()``
# for an imported ``name`` as an attribute load plus a call, which builds and
# frees a bound-method object on every call; these calls run for every step.
_get_step = current_step_var.get
_set_step = current_step_var.set
_reset_step = current_step_var.reset
_get_session = current_session_var.get
_get_marks = step_marks_var.get
_set_session = current_session_var.set
_reset_session = current_session_var.reset
MAX_TRACEBACK = 20_000
_NO_SPAN = "0" * 16  # OpenTelemetry forbids the all-zero span id


# A private generator seeded by the OS, not os.urandom() for every batch:
# urandom releases the GIL, and the writer thread, which is usually waiting
# for it, then keeps it for a whole switch interval (5 ms) before the agent's
# thread gets it back: a 5 ms stall every 512 steps. Span ids must be unique,
# not secret, and a private Random is untouched by the program's random.seed().
_ids = random.Random(os.urandom(32))
_BATCH = 512


def _span_batch() -> Iterator[str]:
    # hex() with a separator every 8 bytes, then split(" "): the ids are cut in
    # C, several times faster than slicing them in a Python loop (and split()
    # without an argument would test every character for whitespace).
    hexed = _ids.getrandbits(64 * _BATCH).to_bytes(8 * _BATCH, "little").hex(" ", 8)
    ids = hexed.split(" ")
    if _NO_SPAN in ids:
        ids = [s for s in ids if s != _NO_SPAN]
    return iter(ids)


# Span ids are drawn ready-formatted from a pool of random ones: taking one is
# a next() on a list iterator, atomic under the GIL, so threads need no lock
# and never get the same id; formatting an int as 16 hex digits would cost
# more than everything else a step start does.
_span_ids: Iterator[str] = iter(())


def new_span_id() -> str:
    """A random non-zero 64-bit span id as 16 hex digits, from the pool."""
    global _span_ids
    span = next(_span_ids, "")
    while not span:  # the pool is empty: refill it (two threads may both do it)
        _span_ids = _span_batch()
        span = next(_span_ids, "")
    return span


def _forget_span_ids() -> None:
    # A forked child must not hand out the ids its parent's pool still holds,
    # nor draw the parent's next ones: its generator is seeded afresh.
    global _span_ids
    _span_ids = iter(())
    _ids.seed(os.urandom(32))


os.register_at_fork(after_in_child=_forget_span_ids)


def error_info(exc: BaseException) -> ErrorInfo:
    """Describe an exception; never raises (a broken ``__str__`` is survived)."""
    try:
        message = str(exc)
    except Exception:
        message = "<str() of the exception failed>"
    try:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        tb = ""
    if len(tb) > MAX_TRACEBACK:
        tb = "...\n" + tb[-MAX_TRACEBACK:]
    cls = type(exc)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    return ErrorInfo(type=name, message=message, traceback=tb)


def _attr(value: Any) -> JSON:
    return value if type(value) in _PLAIN else jsonable(value)


class SessionHandle:
    """A session being recorded. Use it as a context manager (sync or async)."""

    __slots__ = (
        "_counter",
        "_implicit",
        "_rec",
        "_token",
        "deterministic",
        "ended_at",
        "error",
        "forked_from",
        "id",
        "metadata",
        "name",
        "parent_span_id",
        "project",
        "started_at",
        "status",
        "tags",
        "trace_id",
    )

    def __init__(
        self,
        rec: Recorder,
        name: str,
        *,
        tags: tuple[str, ...],
        metadata: dict[str, JSON],
        project: str,
        forked_from: ForkRef | None = None,
        implicit: bool = False,
        deterministic: bool = False,
    ) -> None:
        self._rec = rec
        self.id = rec.new_trace_id()
        self.name = name
        self.tags = tags
        self.metadata = metadata
        self.project = project
        self.forked_from = forked_from
        self.status = Status.RUNNING
        self.started_at = 0
        self.ended_at: int | None = None
        self.error: ErrorInfo | None = None
        self.parent_span_id: str | None = None
        self.trace_id: str | None = None
        self._counter = itertools.count(1)
        self._token: Token[SessionHandle | None] | None = None
        self._implicit = implicit
        #: Patched time.time / random.random / uuid.uuid4 are served by the
        #: agentreel.determinism seams while this session is current.
        self.deterministic = deterministic

    def next_number(self) -> int:
        # itertools.count is advanced atomically under the GIL, so steps started
        # concurrently from several threads still get distinct numbers.
        return next(self._counter)

    def set_metadata(self, **values: Any) -> None:
        self.metadata = {**self.metadata, **{k: _attr(v) for k, v in values.items()}}

    def add_tags(self, *tags: str) -> None:
        self.tags = (*self.tags, *(t for t in tags if t not in self.tags))

    def __enter__(self) -> SessionHandle:
        self.started_at = time.time_ns()
        self._rec.join_host_trace(self)
        self._token = _set_session(self)
        self._rec.submit(self)
        hooks = self._rec.hooks
        if hooks is not None and hooks.active:
            hooks.session_started(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.ended_at = time.time_ns()
        if exc is not None:
            self.error = error_info(exc)
        if self._token is not None:
            try:
                _reset_session(self._token)
            except ValueError:  # exited in another context than entered; nothing to restore
                pass
            self._token = None
        self.status = Status.ERROR if exc is not None else Status.OK
        self._rec.submit(self)
        hooks = self._rec.hooks
        if hooks is not None and hooks.active:
            hooks.session_finished(self)

    async def __aenter__(self) -> SessionHandle:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<SessionHandle {self.name!r} id={self.id[:12]} {self.status}>"


class StepHandle:
    """A step being recorded. Use it as a context manager (sync or async)."""

    __slots__ = (
        "_input_ref",
        "_output_ref",
        "_queued",
        "_rec",
        "_span",
        "_stored",
        "_token",
        "answer",
        "attributes",
        "cost",
        "ended_at",
        "error",
        "input",
        "kind",
        "model",
        "name",
        "number",
        "output",
        "parent",
        "replayed",
        "session",
        "started_at",
        "status",
        "tokens_cached",
        "tokens_in",
        "tokens_out",
        "tokens_reasoning",
    )

    _rec: Recorder
    kind: str
    name: str
    input: JSON
    output: JSON
    attributes: dict[str, Any]
    model: str | None
    tokens_in: int
    tokens_out: int
    tokens_cached: int
    tokens_reasoning: int
    cost: float | None
    error: ErrorInfo | None
    status: Status
    started_at: int
    ended_at: int | None
    number: int
    _span: str
    _queued: bool
    #: The writer has built a row of this step before (its start).
    _stored: bool
    parent: StepHandle | None
    session: SessionHandle | None
    _token: Token[StepHandle | None] | None
    _input_ref: str | None
    _output_ref: str | None
    #: Set when an interceptor (replay) answered the step instead of its code.
    answer: Answer | None
    #: Set by replay when the step matched a recorded one: hooks do not
    #: decide it again (the recording holds what was decided).
    replayed: bool

    def __init__(
        self,
        rec: Recorder,
        kind: str,
        name: str,
        input: Any = None,
        attributes: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> None:
        self._rec = rec
        self.kind = kind
        self.name = name
        self.input = None if input is None or not rec.capture_io else jsonable(input)
        self.output = None
        # A shallow copy; values are made JSON-safe by the writer, off this path.
        self.attributes = dict(attributes) if attributes else {}
        self.model = model
        self.tokens_in = self.tokens_out = self.tokens_cached = self.tokens_reasoning = 0
        self.cost = self.error = self.ended_at = self.parent = self.session = self._token = None
        self._input_ref = self._output_ref = self.answer = None
        self.status = _RUNNING
        self.number = self.started_at = 0
        self._span = ""
        self._queued = self._stored = self.replayed = False

    # -- what user code may call while the step runs -------------------------

    def set_input(self, value: Any) -> None:
        if self.status is _RUNNING and self._rec.capture_io:
            self.input = jsonable(value)
            self._input_ref = None

    def set_output(self, value: Any) -> None:
        if self.status is _RUNNING and self._rec.capture_io:
            self.output = jsonable(value)

    def set_attribute(self, key: str, value: Any) -> None:
        if self.status is _RUNNING:
            self.attributes[str(key)] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        if self.status is _RUNNING:
            for k, v in attributes.items():
                self.attributes[str(k)] = v

    def set_model(self, model: str | None) -> None:
        if self.status is _RUNNING:
            self.model = model

    def record_usage(
        self,
        *,
        input: int = 0,
        output: int = 0,
        cached: int = 0,
        reasoning: int = 0,
        cost: float | None = None,
    ) -> None:
        """Add token usage (and optionally a known cost in USD) to this step.

        Without ``cost`` the cost is computed from the model and the price table.
        """
        if self.status is not _RUNNING:
            return
        self.tokens_in += int(input or 0)
        self.tokens_out += int(output or 0)
        self.tokens_cached += int(cached or 0)
        self.tokens_reasoning += int(reasoning or 0)
        if cost is not None:
            self.cost = (self.cost or 0.0) + float(cost)

    def fail(self, exc: BaseException) -> None:
        """Mark the step failed with ``exc`` without raising it."""
        if self.status is _RUNNING:
            self.error = error_info(exc)

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> StepHandle:
        """Start the step without entering a ``with`` block (decorators, events).

        Unlike ``with``, an answer that carries an exception is left on
        ``self.answer`` for the caller to serve, not raised here.
        """
        return self.__enter__(False)

    def __enter__(self, _with: bool = True) -> StepHandle:
        # The one method every recorded step runs at its start (start() too):
        # plain statements only, and what replay and hooks need behind one
        # flag, so a recorder with neither pays for neither.
        parent = _get_step()
        session = parent.session if parent is not None else _get_session()
        if session is None or session.status is not _RUNNING:
            session = self._rec.implicit_session(self.name)
            parent = None  # a step of a finished session does not parent this one
        self.parent = parent
        self.session = session
        if _context.marks_used:  # skips a contextvar read until executing() is first used
            marks = _get_marks()
            if marks is not None:  # inside agentreel.executing(): the plan step carried out
                attributes = self.attributes
                for key, value in marks.items():
                    attributes.setdefault(key, value)
        # itertools.count and a list iterator advance atomically under the GIL,
        # so concurrent threads get distinct numbers and span ids without a lock.
        self.number = next(session._counter)
        self._span = next(_span_ids, "") or new_span_id()
        self.started_at = _time_ns()
        self._token = _set_step(self)
        self._queued = True
        rec = self._rec
        rec.submit(self)
        if rec.watched:
            self._watch_start(rec, _with)
        return self

    def _watch_start(self, rec: Recorder, with_block: bool) -> None:
        """Let replay, then the hooks, see the step start (and perhaps answer it)."""
        if rec.interceptor is not None:
            self._intercept(rec.interceptor)
        hooks = rec.hooks
        if hooks is not None and hooks.active:
            self._intercept(hooks)
        answer = self.answer
        if (
            with_block
            and answer is not None
            and answer.exception is not None
            and self.status is _RUNNING
            and answer.source.startswith("hook:")
        ):
            # A with-block cannot be skipped, so a hook's veto is raised where
            # the block would have started.
            self.__exit__(type(answer.exception), answer.exception, None)
            raise answer.exception

    def _intercept(self, interceptor: Interceptor) -> None:
        try:
            answer = interceptor.step_started(self)
        except AgentreelError as exc:
            # The interceptor stops the run here (a strict replay's divergence):
            # end the step with that error, then let it reach the caller.
            self.__exit__(type(exc), exc, None)
            raise
        except Exception as exc:
            self._rec.stats.loss("hook_errors", detail=f"an interceptor failed: {exc!r}")
            return
        if answer is not None:
            self.answer = answer
            self.attributes["agentreel.answered_by"] = answer.source

    def finish(self, exc: BaseException | None = None, *, at: int | None = None) -> None:
        """End the step (with ``exc`` if it failed); ``at`` fixes the end time."""
        if at is not None and self.status is _RUNNING:
            self.ended_at = at
        self.__exit__(None if exc is None else type(exc), exc, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.status is not _RUNNING:
            return
        if self.ended_at is None:
            self.ended_at = _time_ns()
        if exc is not None and self.error is None:
            self.error = error_info(exc)
        token = self._token
        if token is not None:
            try:
                _reset_step(token)
            except ValueError:  # finished in another context than started
                pass
            self._token = None
        # status is assigned last: the writer treats a finished status as "all
        # fields final", so everything above must already be in place.
        self.status = _OK if self.error is None else _ERROR
        rec = self._rec
        # Submit again only if the writer has already taken the start off the
        # queue. The writer clears _queued *before* it reads the status, and
        # the status was set above, so either the writer still has this handle
        # queued and will see the final state, or it has taken it and we queue
        # it once more; the final state cannot be missed.
        if not self._queued:
            self._queued = True
            rec.submit(self)
        if rec.watched:
            self._watch_finish(rec)
        if self.parent is None:
            session = self.session
            if session is not None and session._implicit:
                session.__exit__(exc_type, exc, None)

    def _watch_finish(self, rec: Recorder) -> None:
        """Let replay, then the hooks, see the step end."""
        interceptor = rec.interceptor
        if interceptor is not None:
            try:
                interceptor.step_finished(self)
            except Exception as err:
                rec.stats.loss("hook_errors", detail=f"an interceptor failed: {err!r}")
        hooks = rec.hooks
        if hooks is not None and hooks.active:
            try:
                hooks.step_finished(self)
            except Exception as err:
                rec.stats.loss("hook_errors", detail=f"a hook failed: {err!r}")

    async def __aenter__(self) -> StepHandle:
        return self.__enter__()  # a veto is raised here, as for a plain with-block

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    @property
    def span_id(self) -> str:
        """The step's 16-hex-digit OpenTelemetry span id ("" before it starts)."""
        return self._span

    @property
    def step_kind(self) -> StepKind:
        return StepKind(self.kind)

    def __repr__(self) -> str:
        return f"<StepHandle #{self.number} {self.kind} {self.name!r} {self.status}>"


class NoopStep:
    """What the step API returns before ``configure()``: accepts everything, records nothing."""

    __slots__ = ()
    number = 0
    span_id = ""
    name = ""
    kind = ""
    session = None
    status = Status.RUNNING

    def set_input(self, value: Any) -> None: ...
    def set_output(self, value: Any) -> None: ...
    def set_attribute(self, key: str, value: Any) -> None: ...
    def set_attributes(self, attributes: Mapping[str, Any]) -> None: ...
    def set_model(self, model: str | None) -> None: ...

    def record_usage(
        self,
        *,
        input: int = 0,
        output: int = 0,
        cached: int = 0,
        reasoning: int = 0,
        cost: float | None = None,
    ) -> None: ...

    def fail(self, exc: BaseException) -> None: ...

    def __enter__(self) -> NoopStep:
        return self

    def __exit__(self, *exc: object) -> None: ...

    async def __aenter__(self) -> NoopStep:
        return self

    async def __aexit__(self, *exc: object) -> None: ...


class NoopSession:
    """What ``session()`` returns before ``configure()``."""

    __slots__ = ()
    id = ""
    name = ""

    def set_metadata(self, **values: Any) -> None: ...
    def add_tags(self, *tags: str) -> None: ...

    def __enter__(self) -> NoopSession:
        return self

    def __exit__(self, *exc: object) -> None: ...

    async def __aenter__(self) -> NoopSession:
        return self

    async def __aexit__(self, *exc: object) -> None: ...


NOOP_STEP = NoopStep()
NOOP_SESSION = NoopSession()
