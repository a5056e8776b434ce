"""The recorder: configuration, the store, the writer, and the process-wide state.

Until ``configure()`` is called there is no recorder and the API is a no-op.
Configuration happens once; configuring again warns and replaces the previous
recorder after flushing it.
"""

from __future__ import annotations

import atexit
import os
import random
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentreel._redact import Redactor
from agentreel.errors import ConfigurationError
from agentreel.model import DEFAULT_PROJECT, JSON, TokenUsage
from agentreel.storage import Store, default_db_path, open_store

from ._intercept import Hooks, Interceptor
from ._live import SessionHandle
from ._stats import Stats, logger
from ._writer import Writer


@dataclass(frozen=True, slots=True, kw_only=True)
class RecorderConfig:
    """What ``configure()`` was given, validated."""

    db: str | None
    project: str
    redact: bool
    redact_keys: tuple[str, ...]
    capture_io: bool
    queue_size: int
    flush_interval: float
    shutdown_timeout: float
    max_payload_chars: int
    #: Route time.time, random.random and uuid.uuid4 through the replayable
    #: seams of agentreel.determinism inside every session.
    patch_nondeterminism: bool = False
    #: The server steps are sent to (agentreel.remote), instead of a file.
    endpoint: str | None = None
    #: How long a recording thread waits for a writer two batches behind.
    queue_wait: float = 0.1


class Recorder:
    """Records sessions and steps into a store through a background writer."""

    def __init__(self, config: RecorderConfig, store: Store, prices: Any) -> None:
        self.config = config
        self.project = config.project
        self.capture_io = config.capture_io
        self.stats = Stats()
        self.store = store
        self._prices = prices
        # A private generator: the recorder must never draw from the global
        # `random` module, whose sequence the host program may depend on.
        self._ids = random.Random(os.urandom(16))
        self._otel = _otel_span_getter()
        self.writer = Writer(
            store,
            stats=self.stats,
            redactor=Redactor(enabled=config.redact, extra_keys=config.redact_keys),
            cost=self._cost,
            queue_size=config.queue_size,
            flush_interval=config.flush_interval,
            max_payload_chars=config.max_payload_chars,
            queue_wait=config.queue_wait,
        )
        self.submit = self.writer.submit
        self._interceptor: Interceptor | None = None
        self._hooks: Hooks | None = STATE.hooks
        #: Whether an interceptor or a hook manager is installed: the one
        #: attribute a step reads to know it has nobody to tell.
        self.watched = self._hooks is not None
        # Setting either of the two and recomputing ``watched`` happen under
        # one lock: two threads setting one each must not leave ``watched``
        # False while an interceptor is set (replay would then go unheard).
        self._watch_lock = threading.Lock()

    def _watch(self, interceptor: Interceptor | None, hooks: Hooks | None) -> None:
        self._interceptor, self._hooks = interceptor, hooks
        self.watched = interceptor is not None or hooks is not None

    @property
    def interceptor(self) -> Interceptor | None:
        """Answers steps instead of their code while set (replay); see _intercept.py."""
        return self._interceptor

    @interceptor.setter
    def interceptor(self, value: Interceptor | None) -> None:
        with self._watch_lock:
            self._watch(value, self._hooks)

    @property
    def hooks(self) -> Hooks | None:
        """The process's hook manager (agentreel.hooks), shared by every recorder."""
        return self._hooks

    @hooks.setter
    def hooks(self, value: Hooks | None) -> None:
        with self._watch_lock:
            self._watch(self._interceptor, value)

    # -- ids -------------------------------------------------------------------

    def new_trace_id(self) -> str:
        return f"{self._ids.getrandbits(128) or 1:032x}"

    # -- sessions ---------------------------------------------------------------

    def implicit_session(self, name: str) -> SessionHandle:
        """A session for a step started outside any session; it ends with the step."""
        session = SessionHandle(
            self, name, tags=(), metadata={}, project=self.project, implicit=True
        )
        session.__enter__()
        return session

    def join_host_trace(self, session: SessionHandle) -> None:
        if self._otel is None:
            return
        try:
            ctx = self._otel().get_span_context()
            if ctx.is_valid:
                session.trace_id = f"{ctx.trace_id:032x}"
                session.parent_span_id = f"{ctx.span_id:016x}"
        except Exception as exc:  # a broken tracer must not break the session
            self.stats.loss("hook_errors", detail=f"reading the OpenTelemetry context: {exc!r}")

    # -- cost ---------------------------------------------------------------------

    def _cost(
        self, model: str | None, tin: int, tout: int, cached: int, reasoning: int
    ) -> float | None:
        if self._prices is None or not model:
            return None
        usage = TokenUsage(input=tin, output=tout, cached=cached, reasoning=reasoning)
        cost: float | None = self._prices.cost(model, usage)
        return cost

    # -- lifecycle ----------------------------------------------------------------

    def flush(self, timeout: float | None = 5.0) -> bool:
        return self.writer.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        if timeout is None:
            timeout = self.config.shutdown_timeout
        done = self.writer.stop(timeout)
        if not done:
            lost = self.stats.snapshot()["dropped_shutdown"]
            print(
                f"agentreel: {lost} records could not be written to {self.store.location} "
                f"within {timeout:g}s at exit",
                file=sys.stderr,
            )
        # A store passed in belongs to the caller; one made from db= or
        # endpoint= is ours to close (a remote one sends what it can first).
        if self.config.db is not None or self.config.endpoint is not None:
            try:
                self.store.close()
            except Exception as exc:
                logger.warning("agentreel: closing the store failed: %r", exc)
        return done


def _otel_span_getter() -> Any:
    """``opentelemetry.trace.get_current_span`` if the API is installed, else None."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_current_span


# -- process-wide state ------------------------------------------------------------


class _State:
    __slots__ = ("hooks", "install_seams", "lock", "recorder")

    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        #: Set by agentreel.hooks when the first plugin is registered.
        self.hooks: Hooks | None = None
        self.lock = threading.Lock()
        #: Patches time.time, random.random and uuid.uuid4 (idempotent). Set by
        #: agentreel.determinism when it is imported: that layer sits outside
        #: this one, so recording calls it through this slot, never an import.
        self.install_seams: Callable[[], None] | None = None


STATE = _State()
_last_stats: dict[str, int] = {}


def configure(
    *,
    db: str | os.PathLike[str] | None = None,
    store: Store | None = None,
    project: str | None = None,
    prices: Mapping[str, Any] | None = None,
    redact: bool = True,
    redact_keys: tuple[str, ...] | list[str] = (),
    capture_io: bool = True,
    queue_size: int = 10_000,
    queue_wait: float = 0.1,
    flush_interval: float = 0.2,
    shutdown_timeout: float = 2.0,
    max_payload_chars: int = 1_000_000,
    patch_nondeterminism: bool = False,
    hooks: Sequence[object] = (),
    pause_timeout: float | None = None,
    control: bool = False,
    endpoint: str | None = None,
    api_key: str | None = None,
    spool_dir: str | os.PathLike[str] | None = None,
) -> Recorder | None:
    """Start recording. Returns the recorder, or ``None`` if the store cannot be opened.

    ``db`` is a SQLite file (default ``$AGENTREEL_DB`` or ``./.agentreel/reel.db``);
    ``store`` any :class:`~agentreel.storage.Store` instead. ``prices`` overrides
    entries of the price table (model name → ``Price`` or a mapping of its fields).

    ``endpoint`` sends every step to an ``agentreel serve`` over OTLP/HTTP
    (with ``api_key``), through a disk spool (``spool_dir``, default
    ``./.agentreel/spool``) that keeps them while the server is unreachable;
    see docs/export.md. ``hooks`` are plugins registered with :func:`agentreel.hooks.register`
    (guards, observers, deciders); ``pause_timeout`` is how long a paused
    step waits for a person before it resumes by itself (default 300 s).
    ``control=True`` (or ``AGENTREEL_CONTROL=1``) opens the local control
    socket at once, so ``agentreel attach`` can reach this process before
    any breakpoint is set in code; ``AGENTREEL_BREAK`` sets breakpoints
    (``;``-separated specs) without touching the code (docs/live.md).

    Bad arguments raise :class:`~agentreel.errors.ConfigurationError`. A store
    that cannot be opened does not: recording stays off, the failure is logged,
    and the host program runs on unharmed.
    """
    if sum(x is not None for x in (db, store, endpoint)) > 1:
        raise ConfigurationError("pass one of db=, store= or endpoint= to configure(), not several")
    if queue_size < 1:
        raise ConfigurationError(f"queue_size must be at least 1, not {queue_size}")
    if not queue_wait >= 0:
        raise ConfigurationError(f"queue_wait must be 0 or more seconds, not {queue_wait}")
    if flush_interval <= 0 or shutdown_timeout < 0:
        raise ConfigurationError("flush_interval must be positive and shutdown_timeout >= 0")
    if pause_timeout is not None and not pause_timeout > 0:
        raise ConfigurationError(f"pause_timeout must be positive, not {pause_timeout}")
    if max_payload_chars < 100:
        raise ConfigurationError(f"max_payload_chars must be at least 100, not {max_payload_chars}")
    if os.environ.get("AGENTREEL_MANAGED") == "1" and STATE.recorder is not None:
        # Run by `agentreel record/replay`: most programs configure agentreel
        # themselves, and replacing the recorder would drop the replay's
        # interceptor and the session the command reports.
        managed = STATE.recorder
        logger.info(
            "agentreel: configure() called under `agentreel record/replay`; keeping the "
            "recorder they set up (recording into %s)",
            managed.store.location,
        )
        return managed
    table = _price_table(prices)
    config = RecorderConfig(
        db=None
        if store is not None or endpoint is not None
        else os.fspath(db if db is not None else default_db_path()),
        project=project or os.environ.get("AGENTREEL_PROJECT") or DEFAULT_PROJECT,
        redact=redact,
        redact_keys=tuple(redact_keys),
        capture_io=capture_io,
        queue_size=queue_size,
        queue_wait=queue_wait,
        flush_interval=flush_interval,
        shutdown_timeout=shutdown_timeout,
        max_payload_chars=max_payload_chars,
        patch_nondeterminism=patch_nondeterminism,
        endpoint=endpoint,
    )
    if patch_nondeterminism and STATE.install_seams is not None:
        STATE.install_seams()
    with STATE.lock:
        previous = STATE.recorder
        STATE.recorder = None
    if previous is not None:
        warnings.warn(
            "agentreel.configure() was called again; the previous recorder was flushed "
            "and replaced",
            RuntimeWarning,
            stacklevel=2,
        )
        previous.shutdown()
    if endpoint is not None:
        # Imported here: `import agentreel` stays free of protobuf.
        from agentreel.remote import RemoteStore

        store = RemoteStore(
            endpoint, api_key=api_key, spool_dir=spool_dir, close_timeout=shutdown_timeout
        )
    if store is None and config.db is not None:
        try:
            Path(config.db).parent.mkdir(parents=True, exist_ok=True)
            store = open_store(config.db)
        except Exception as exc:
            logger.error("agentreel: recording is off, the store cannot be opened: %s", exc)
            return None
    if store is None:  # unreachable: config.db is set whenever store is None
        return None
    recorder = Recorder(config, store, table)
    with STATE.lock:
        STATE.recorder = recorder
    control = control or os.environ.get("AGENTREEL_CONTROL") == "1"
    breaks = [b.strip() for b in os.environ.get("AGENTREEL_BREAK", "").split(";") if b.strip()]
    if hooks or pause_timeout is not None or control or breaks:
        _setup_hooks(hooks, pause_timeout, control, breaks)
    return recorder


def _setup_hooks(
    plugins: Sequence[object], pause_timeout: float | None, control: bool, breaks: list[str]
) -> None:
    # Imported here: the hooks layer builds on this one.
    from agentreel.hooks import breakpoint, get_manager, register, start_control

    if pause_timeout is not None:
        get_manager().board.timeout = pause_timeout
    for plugin in plugins:
        register(plugin)
    for spec in breaks:
        # AGENTREEL_BREAK="tool:run_tests;if cost > 0.01": breakpoints for a
        # program that sets none itself (run it, then `agentreel attach`).
        try:
            breakpoint(spec)
        except Exception as exc:
            logger.error("agentreel: AGENTREEL_BREAK %r is not a breakpoint: %s", spec, exc)
    if control:
        try:
            start_control()
        except Exception as exc:  # the agent runs on without a control channel
            logger.error("agentreel: the control channel cannot be opened: %s", exc)


def _price_table(prices: Mapping[str, Any] | None) -> Any:
    from agentreel.pricing import DEFAULT_PRICES

    return DEFAULT_PRICES.with_overrides(prices) if prices else DEFAULT_PRICES


def shutdown(timeout: float | None = None) -> None:
    """Flush what is queued (within ``timeout``, default the configured one) and stop."""
    with STATE.lock:
        recorder = STATE.recorder
        STATE.recorder = None
    if recorder is not None:
        recorder.shutdown(timeout)
        _last_stats.clear()
        _last_stats.update(recorder.stats.snapshot())


def flush(timeout: float | None = 5.0) -> bool:
    """Wait until everything recorded so far is in the store. True if it is."""
    recorder = STATE.recorder
    return True if recorder is None else recorder.flush(timeout)


def stats() -> dict[str, int]:
    """Counters of the current recorder: what was written and what was lost, by reason."""
    recorder = STATE.recorder
    if recorder is None:
        return dict(_last_stats)
    return recorder.stats.snapshot()


def _at_exit() -> None:
    with STATE.lock:
        recorder = STATE.recorder
        STATE.recorder = None
    if recorder is not None:
        recorder.shutdown()
        _last_stats.update(recorder.stats.snapshot())


atexit.register(_at_exit)


def _after_fork_in_child() -> None:
    # The writer thread does not exist in a forked child and a SQLite
    # connection must not cross a fork; reopen the same database in the child.
    recorder = STATE.recorder
    STATE.recorder = None
    STATE.lock = threading.Lock()
    if recorder is None or recorder.config.db is None:
        return
    try:
        store = open_store(recorder.config.db)
        STATE.recorder = Recorder(recorder.config, store, recorder._prices)
    except Exception as exc:
        logger.error("agentreel: recording is off in the forked child: %s", exc)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = ["JSON", "Recorder", "RecorderConfig", "configure", "flush", "shutdown", "stats"]


def install_hooks(hooks: Hooks | None) -> None:
    """Make ``hooks`` the process's hook manager, for this recorder and later ones."""
    with STATE.lock:
        STATE.hooks = hooks
        if STATE.recorder is not None:
            STATE.recorder.hooks = hooks


def count_loss(reason: str, n: int = 1, detail: str = "") -> None:
    """Count a failure by reason on the current recorder (logged once per reason)."""
    rec = STATE.recorder
    if rec is not None:
        rec.stats.loss(reason, n, detail=detail)
    else:
        logger.warning("agentreel: %s", detail or reason)


def price_of(model: str | None, tin: int, tout: int, cached: int, reasoning: int) -> float | None:
    """What the current recorder's price table says a call costs (None when unknown)."""
    rec = STATE.recorder
    return None if rec is None else rec._cost(model, tin, tout, cached, reasoning)


def current_recorder() -> Recorder | None:
    """The recorder ``configure()`` set up, or None while recording is off."""
    return STATE.recorder
