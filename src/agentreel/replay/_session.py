"""``agentreel.replay()``: load a recording, install the interceptor, run, report."""

from __future__ import annotations

import dataclasses
import os
import time
from contextvars import Token
from types import TracebackType

from agentreel.errors import ConfigurationError, UnknownStep
from agentreel.recording import Recorder, RecorderConfig, Redactor, SessionHandle, current_session
from agentreel.recording import configure as configure_recording
from agentreel.recording import shutdown as shutdown_recording
from agentreel.recording._context import current_session_var
from agentreel.recording._recorder import STATE
from agentreel.storage import MemoryStore, Store

from ._engine import Replayer
from ._errors import ReplayDivergence
from ._fork import Edit, check_edit
from ._modes import ReplayMode, parse_mode
from ._recording import Recording, load_recording
from ._result import ReplayResult
from ._source import Target, open_source

#: Session metadata keys of a replayed run.
REPLAY_OF = "agentreel.replay_of"
REPLAY_MODE = "agentreel.replay_mode"


def replay(
    session_id: str,
    *,
    mode: ReplayMode | str = "strict",
    store: Store | None = None,
    db: str | os.PathLike[str] | None = None,
    fork_at: int | None = None,
    edit: Edit | None = None,
    after_fork: str = "live",
    record: bool = True,
) -> ReplaySession:
    """Replay recorded session ``session_id`` (an id or unique prefix) around a block.

    The recording is read from ``store``, or the SQLite file (or reel file)
    ``db``, or the configured recorder's store, or the default database. Its
    steps and recorded answers are read and checked before this returns; the
    recorded inputs too when the store is ``db`` (closed again here),
    otherwise when a call first needs them (most match without), so a missing
    one raises ``IncompleteRecording`` from that call. ``with`` the returned
    :class:`ReplaySession`, every model, tool and retrieval call of the block
    is answered from the recording; ``mode`` says what happens to a call the
    recording does not have. ``fork_at=N`` runs everything from step N on
    live, with ``edit`` applied to step N; with ``after_fork="matching"`` the
    steps after N are still answered from the recording wherever their request
    matches it, and only the others run live. ``record=False`` keeps the
    replayed run out of every store.
    """
    parsed = parse_mode(mode)
    if store is not None and db is not None:
        raise ConfigurationError("pass either store= or db= to replay(), not both")
    if fork_at is not None and (type(fork_at) is not int or fork_at < 1):
        raise ConfigurationError(f"fork_at must be a step number (1 or more), not {fork_at!r}")
    check_edit(edit, fork_at)
    if after_fork not in ("live", "matching"):
        raise ConfigurationError(f"after_fork must be 'live' or 'matching', not {after_fork!r}")
    rec = STATE.recorder
    if rec is not None:
        rec.flush()  # a session recorded a moment ago must be readable
    source, target, owned = open_source(store, db, rec)
    try:
        # Inputs are read when first needed (see _payloads), unless the
        # store is closed below: then while it is still open.
        recording = load_recording(source, session_id, read_inputs=owned)
    finally:
        if owned:
            source.close()
    if fork_at is not None and fork_at not in recording.steps:
        raise UnknownStep(recording.session.id, fork_at, len(recording.steps))
    return ReplaySession(
        recording,
        parsed,
        fork_at=fork_at,
        edit=edit,
        after_fork=after_fork,
        record=record,
        target=target,
    )


class ReplaySession:
    """One replay run: use it as ``with`` (or ``async with``) around the program.

    ``result`` is filled in as the run goes and final after the block. In
    strict mode the block ends with :class:`ReplayDivergence` if anything
    diverged, even if the program caught the error raised at the call.
    """

    def __init__(
        self,
        recording: Recording,
        mode: ReplayMode,
        *,
        fork_at: int | None,
        edit: Edit | None,
        after_fork: str = "live",
        record: bool,
        target: Target,
    ) -> None:
        self.mode = mode
        self._recording = recording
        self._fork_at = fork_at
        self._edit = edit
        self._after_fork = after_fork
        self._record = record
        self._target = target
        self._engine: Replayer | None = None
        self._rec: Recorder | None = None
        self._owned: Recorder | None = None
        self._previous: Recorder | None = None
        self._own_session: SessionHandle | None = None
        self._token: Token[SessionHandle | None] | None = None
        self._used = False

    @property
    def session_id(self) -> str:
        """The id of the recorded session being replayed."""
        return self._recording.session.id

    @property
    def result(self) -> ReplayResult:
        engine = self._engine
        if engine is None:
            return ReplayResult(
                session_id=self.session_id,
                new_session_id=None,
                mode=self.mode,
                ok=True,
                served=0,
                live=0,
                divergences=(),
                unconsumed=(),
                forked_from=None,
            )
        return ReplayResult(
            session_id=self.session_id,
            new_session_id=engine.new_session_id if self._record else None,
            mode=self.mode,
            ok=not engine.divergences,
            served=engine.served,
            live=engine.live,
            divergences=tuple(engine.divergences),
            unconsumed=engine.unconsumed,
            forked_from=engine.fork_ref,
            notes=tuple(engine.notes),
        )

    # -- entering: a recorder, a session to record into, the interceptor ----------

    def __enter__(self) -> ReplaySession:
        if self._used:
            raise ConfigurationError("a ReplaySession runs once; call agentreel.replay() again")
        self._used = True
        rec = self._recorder()
        try:
            if not rec.capture_io:
                raise ConfigurationError(
                    "replay needs the inputs of calls to match them: configure agentreel "
                    "with capture_io=True"
                )
            if rec.interceptor is not None:
                raise ConfigurationError(
                    "another replay is already running in this process; replays do not nest"
                )
            original = self._recording.session
            metadata = {REPLAY_OF: original.id, REPLAY_MODE: self.mode.value}
            engine = Replayer(
                self._recording,
                self.mode,
                redactor=Redactor(enabled=rec.config.redact, extra_keys=rec.config.redact_keys),
                fork_at=self._fork_at,
                edit=self._edit,
                after_fork=self._after_fork,
                metadata=metadata,
                own_session=self._open_session(rec, metadata),
                submit=rec.submit,
            )
        except BaseException:
            self._release()
            raise
        self._engine = engine
        rec.interceptor = engine
        return self

    def _recorder(self) -> Recorder:
        rec = STATE.recorder
        if not self._record:
            # A private recorder into memory, swapped in for the run: the
            # steps must flow through a recorder (that is where interception
            # lives), but nothing may reach the user's store.
            config = (
                dataclasses.replace(rec.config, db=None)
                if rec is not None
                else RecorderConfig(
                    db=None,
                    project=self._recording.session.project,
                    redact=True,
                    redact_keys=(),
                    capture_io=True,
                    queue_size=10_000,
                    flush_interval=0.2,
                    shutdown_timeout=2.0,
                    max_payload_chars=1_000_000,
                )
            )
            private = Recorder(config, MemoryStore(), None)
            with STATE.lock:
                self._previous, STATE.recorder = STATE.recorder, private
            self._owned = self._rec = private
            return private
        if rec is None:
            target = self._target
            rec = (
                configure_recording(store=target.store)
                if target.store is not None
                else configure_recording(db=target.db)
            )
            if rec is None:
                raise ConfigurationError(
                    f"cannot record the replayed run into {target.db}: the database cannot be "
                    "opened (see the log); pass record=False to replay without recording"
                )
            self._owned = rec
        self._rec = rec
        return rec

    def _open_session(self, rec: Recorder, metadata: dict[str, str]) -> SessionHandle | None:
        """A session for the run, made current, written only once a step lands in it.

        A program that opens its own session records into that one instead;
        this one then never reaches the store.
        """
        if current_session() is not None:
            return None
        original = self._recording.session
        handle = SessionHandle(
            rec,
            original.name,
            tags=original.tags,
            metadata={**original.metadata, **metadata},
            project=original.project,
            forked_from=None,
        )
        handle.started_at = time.time_ns()
        rec.join_host_trace(handle)
        self._own_session = handle
        self._token = current_session_var.set(handle)
        return handle

    # -- leaving: checks, the session, the recorder ----------------------------------

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        engine = self._engine
        if engine is None:
            return
        stopped = exc is not None and any(exc is raised for raised in engine.raised)
        try:
            for rec in (self._rec, STATE.recorder):
                if rec is not None and rec.interceptor is engine:
                    rec.interceptor = None
            if STATE.recorder is not self._rec:
                engine.note(
                    "the program replaced agentreel's recorder during the replay (configure() "
                    "or shutdown()); calls made after that were not answered from the recording"
                )
            engine.finish(stopped=stopped)
            own = self._own_session
            if own is not None and engine.adopted(own):
                own.__exit__(exc_type, exc, tb)
        finally:
            self._release()
        if self.mode is ReplayMode.STRICT and exc is None and engine.divergences:
            raise ReplayDivergence(engine.divergences[0])

    def _release(self) -> None:
        if self._token is not None:
            try:
                current_session_var.reset(self._token)
            except ValueError:  # left in another context than entered; nothing to restore
                pass
            self._token = None
        rec, owned = self._rec, self._owned
        if rec is not None:
            rec.flush()  # the replayed run is readable when the block is left
        if owned is None:
            return
        if not self._record:
            with STATE.lock:
                if STATE.recorder is owned:
                    STATE.recorder = self._previous
            owned.shutdown()
        elif STATE.recorder is owned:
            shutdown_recording()
        self._owned = None

    async def __aenter__(self) -> ReplaySession:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
