"""DetectorGuard: the detectors of ``agentreel.detectors`` run on a session while it runs.

When a model or tool step of a session ends, the session so far is analysed
again (on the guard's own thread, so neither the agent nor the other
observers wait for it) with the detectors named, and each finding not seen
before in that session is acted on:

* ``"record"``: written into the session, kept in
  :attr:`DetectorGuard.findings` and logged (logger ``agentreel.guards``,
  level WARNING);
* ``"alert"``: that, and ``alert(finding)`` is called (a pager, a chat
  message); an alert that raises is counted and logged;
* ``"pause"`` / ``"veto"``: that, and the session's next model or tool call
  is paused for a person or vetoed, with the finding as the reason.

**Where a finding is written.** The analysis runs after a step ended, off the
agent's thread, so the finding cannot go onto the step that revealed it (it
is stored already) nor become a step of its own (one a replay could not
reproduce). It goes onto the session's next model or tool call, as the step
attribute ``agentreel.findings`` (``hooks.Annotate``; with "pause"/"veto",
on the decision): the finding names the steps it is about, the step carrying
it says when it was known. A finding made after the session's last model or
tool call has no step to go onto: it is logged, counted in
:attr:`DetectorGuard.unrecorded`, and found again by ``agentreel rca``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from agentreel.detectors import (
    DETECTORS,
    DetectorConfig,
    Finding,
    analyze,
    finding_key,
    finding_record,
)
from agentreel.errors import ConfigurationError
from agentreel.hooks import FINDINGS, Annotate, Call, Pause, SessionEvent, StepEvent, Veto, hookimpl
from agentreel.recording import count_loss, current_recorder, flush
from agentreel.storage import SQLiteStore, Store

from ._common import check_choice, check_positive

__all__ = ["ONLINE_DETECTORS", "DetectorGuard"]

logger = logging.getLogger("agentreel.guards")

#: The detectors that make sense while a session runs (recurring failures
#: compare finished sessions, and say little about the next step).
ONLINE_DETECTORS = ("context-drift", "tool-misuse", "loop", "cost-spike")
_ACTIONS = ("record", "alert", "pause", "veto")
_STEP_KINDS = frozenset({"llm", "tool", "plan", "retrieval"})
_KEEP = 1000


def _recorder_store() -> Store | None:
    recorder = current_recorder()
    return None if recorder is None else recorder.store


class DetectorGuard:
    """Run detectors on each session as it runs; record, alert, pause or veto on a finding.

    ``detectors`` are names from ``agentreel.detectors.DETECTORS`` (default
    :data:`ONLINE_DETECTORS`); ``config`` their settings (rules, tool
    schemas, thresholds). Only findings of ``severities`` are acted on. A
    session is analysed at most every ``min_interval`` seconds (the last
    step's findings are picked up by the next analysis); each analysis reads
    the session from ``store`` (default: the recorder's) after flushing the
    recorder, and costs time proportional to the session's length.
    """

    def __init__(
        self,
        *,
        detectors: Iterable[str] = ONLINE_DETECTORS,
        config: DetectorConfig | None = None,
        action: str = "record",
        alert: Callable[[Finding], object] | None = None,
        severities: Iterable[str] = ("warning", "error"),
        min_interval: float = 1.0,
        store: Store | None = None,
        pause_timeout: float | None = None,
    ) -> None:
        names = [detectors] if isinstance(detectors, str) else list(detectors)
        for name in names:
            check_choice("DetectorGuard", "detectors", name, DETECTORS)
        check_choice("DetectorGuard", "action", action, _ACTIONS)
        if action == "alert" and not callable(alert):
            raise ConfigurationError("DetectorGuard(action='alert') needs alert=<a callable>")
        if (
            isinstance(min_interval, bool)
            or not isinstance(min_interval, int | float)
            or (min_interval < 0)
        ):
            raise ConfigurationError(
                f"DetectorGuard(min_interval={min_interval!r}) must be a number of seconds >= 0"
            )
        check_positive("DetectorGuard", "pause_timeout", pause_timeout)
        self.detectors = tuple(names)
        self.config = config or DetectorConfig()
        self.severities = frozenset(severities)
        self.min_interval = min_interval
        self._action = action
        self._alert = alert
        self._store = store
        #: Our own connection to the recorder's SQLite file (see _reading_store).
        self._own: SQLiteStore | None = None
        self._pause_timeout = pause_timeout
        #: Every finding acted on, oldest first (the latest 1000).
        self.findings: deque[Finding] = deque(maxlen=_KEEP)
        self._lock = threading.Condition()
        self._seen: dict[str, set[tuple[str, str, tuple[int, ...]]]] = {}
        self._pending: dict[str, list[Finding]] = {}
        self._due: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._ended: set[str] = set()
        self._busy = False
        self._thread: threading.Thread | None = None
        #: How many analyses ran, and how many failed (counted, logged).
        self.analyses = 0
        self.failures = 0
        #: Findings made after a session's last model or tool call: logged, but
        #: with no step left to write them onto.
        self.unrecorded = 0

    def __repr__(self) -> str:
        return f"DetectorGuard({', '.join(self.detectors)}, action={self._action!r})"

    # -- the analysis thread -------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._loop, name="agentreel-detector-guard", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while True:
            left: list[Finding] = []
            with self._lock:
                while not self._due:
                    self._busy = False
                    self._lock.notify_all()
                    if not self._lock.wait(timeout=30.0):
                        self._thread = None
                        self._close_own()
                        return
                now = time.monotonic()
                session_id, at = min(self._due.items(), key=lambda item: item[1])
                if at > now:
                    self._lock.wait(timeout=at - now)
                    continue
                del self._due[session_id]
                self._last[session_id] = now
                self._busy = True
            self._analyse(session_id)
            with self._lock:
                if session_id in self._ended and session_id not in self._due:
                    # Its last analysis ran: nothing more will be asked of it.
                    self._ended.discard(session_id)
                    for table in (self._seen, self._last):
                        table.pop(session_id, None)
                    left = self._pending.pop(session_id, [])
                    self.unrecorded += len(left)
            if left:
                logger.warning(
                    "agentreel: session %s ended before a model or tool call the %d finding(s) "
                    "found last could be written onto; `agentreel rca` finds them again",
                    session_id[:12],
                    len(left),
                )

    def _reading_store(self) -> Store | None:
        """Where to read the session: ``store``, or the recorder's.

        The recorder's SQLite file is read through a store of the guard's own:
        the recorder closes its store at shutdown, maybe while an analysis is
        reading it on this thread, and SQLite connections must not be closed
        under a reader. Our own stays open until this thread stops.
        """
        if self._store is not None:
            return self._store
        store = _recorder_store()
        if not isinstance(store, SQLiteStore):
            return store
        if self._own is None or self._own.path != store.path:
            self._close_own()
            self._own = SQLiteStore(store.path, create=False)
        return self._own

    def _close_own(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            own.close()

    def _analyse(self, session_id: str) -> None:
        try:
            if self._store is None:
                flush(timeout=5.0)  # the steps that just ended, into the store
            store = self._reading_store()
            if store is None:
                return
            report = analyze(store, session_id, config=self.config, detectors=self.detectors)
        except Exception as exc:
            self.failures += 1
            count_loss("hook_errors", detail=f"DetectorGuard could not analyse a session: {exc!r}")
            return
        self.analyses += 1
        for finding in report.findings:
            # A finding only the recording has was written by another guard,
            # with settings of its own: not this guard's to act on.
            if finding.severity in self.severities and finding.offline:
                self._found(session_id, finding)

    def _found(self, session_id: str, finding: Finding) -> None:
        with self._lock:
            seen = self._seen.setdefault(session_id, set())
            if finding_key(finding) in seen:
                return
            seen.add(finding_key(finding))
            self.findings.append(finding)
            # Every action writes it into the session, on the next call.
            self._pending.setdefault(session_id, []).append(finding)
        logger.warning("agentreel: session %s: %s", session_id[:12], finding.message)
        if self._action == "alert" and self._alert is not None:
            try:
                self._alert(finding)
            except Exception as exc:
                count_loss("hook_errors", detail=f"DetectorGuard's alert raised {exc!r}")

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every analysis asked for so far has run (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._due or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # Analyses not yet due are brought forward: the caller wants them now.
                self._due = dict.fromkeys(self._due, 0.0)
                self._lock.notify_all()
                self._lock.wait(timeout=min(left, 0.05))
            return True

    # -- hooks ---------------------------------------------------------------------------

    @hookimpl(timeout=1.0)
    def on_step_end(self, event: StepEvent) -> None:
        if event.kind not in _STEP_KINDS:
            return
        with self._lock:
            sid = event.session_id
            if sid not in self._due:
                last = self._last.get(sid)
                now = time.monotonic()
                self._due[sid] = now if last is None else max(now, last + self.min_interval)
            self._ensure_thread()
            self._lock.notify_all()

    def on_session_end(self, event: SessionEvent) -> None:
        with self._lock:
            self._ended.add(event.session_id)
            # Analysed once more, at once: the session's last steps may hold a finding.
            self._due[event.session_id] = time.monotonic()
            self._ensure_thread()
            self._lock.notify_all()

    @hookimpl(on_error="veto")
    def _decide(self, call: Call) -> Veto | Pause | Annotate | None:
        with self._lock:
            found = self._pending.pop(call.session_id, None)
        if not found:
            return None
        attributes = {FINDINGS: [finding_record(f) for f in found]}
        if self._action in ("record", "alert"):
            return Annotate(attributes)  # no opinion: the other guards still decide
        reason = "; ".join(f"{f.detector} {f.kind}: {f.message}" for f in found)
        if self._action == "pause":
            return Pause(
                reason, timeout=self._pause_timeout, on_timeout="skip", attributes=attributes
            )
        return Veto(reason, attributes=attributes)

    before_model_call = _decide
    before_tool_call = _decide
