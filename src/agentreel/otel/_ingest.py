"""Spans of an OTLP export request into sessions and steps of a store.

The pipeline: read every span (or reject it, with a reason), find its
session, normalise it into step fields, then under the store's ingest lock
merge each session with what the store has, number the spans that came
without step numbers, encode payloads, and write everything in one batch.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentreel.errors import UnknownSession
from agentreel.model import DEFAULT_PROJECT, Session, StepKind, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.pricing import DEFAULT_PRICES, PriceTable
from agentreel.storage import Store, WriteBatch

from ._sanitize import Cleaner, Redacting
from ._sessions import SESSION_KEYS, SESSION_SPAN, TRACE, SessionDraft, merge, own_key, session_id
from ._span import REJECTIONS, SpanRecord, attributes, read_span
from ._steps import StepDraft, error_of, normalise

__all__ = ["MAX_CHARS", "IngestReport", "ingest"]

#: Strings longer than this, in payloads and attributes, are cut (and counted).
MAX_CHARS = 1_000_000
#: Each kind's text as a plain str (``str()`` of the enum costs four times the lookup).
_KIND_TEXT = {kind: kind.value for kind in StepKind}


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestReport:
    """What :func:`ingest` made of one export request.

    ``accepted`` and ``rejected`` count spans; ``message`` says why spans were
    rejected, for OTLP's ``partial_success`` (empty when none were), and
    ``rejections`` counts them by reason label. ``session_ids`` are the
    sessions written, in the order first seen; ``steps`` the rows written.
    ``redacted`` and ``truncated`` count secrets masked and strings cut.
    """

    accepted: int
    rejected: int
    message: str = ""
    session_ids: tuple[str, ...] = ()
    rejections: Mapping[str, int] = field(default_factory=dict)
    redacted: int = 0
    truncated: int = 0
    steps: tuple[StepRow, ...] = ()


def ingest(
    store: Store,
    request: Any,
    *,
    project: str | None = DEFAULT_PROJECT,
    prices: PriceTable = DEFAULT_PRICES,
    redactor: Redacting | None = None,
    max_chars: int = MAX_CHARS,
) -> IngestReport:
    """Store the spans of ``request`` (an ``ExportTraceServiceRequest``) as sessions and steps.

    ``project`` is the project of the caller (its API key). Only ``None``
    (a server running without keys) lets spans name their own, through
    agentreel's ``agentreel.session.project``, with ``"default"`` otherwise.
    Spans that cannot be stored are counted and described in the report; the
    rest are written in one transaction. A retried request writes the same
    rows again, not new ones. Store failures (``StoreError``) are raised:
    nothing of the request was written, and the sender should retry.
    ``redactor`` masks secrets in payloads, attributes and metadata (see
    ``agentreel.recording.Redactor``).
    """
    rejections: Counter[str] = Counter()
    spans: list[SpanRecord] = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for raw in scope_spans.spans:
                span = read_span(raw, resource, scope)
                if isinstance(span, str):
                    rejections[span] += 1
                else:
                    spans.append(span)
    groups = _group(spans, project, prices, rejections)
    owner = {span.span_id: sid for sid, g in groups.items() for span in g.spans()}
    cleaner = Cleaner(redactor, max_chars)
    state = _state_of(store)
    with state.lock:
        sessions: list[Session] = []
        rows: list[StepRow] = []
        blobs: dict[str, bytes] = {}
        found = _existing(store, list(groups))
        kept: list[tuple[_Group, Session | None]] = []
        for group in groups.values():
            existing = found.get(group.draft.id)
            if existing is not None and existing.project != group.project:
                rejections["foreign_session"] += group.size
                continue
            kept.append((group, existing))
        numbers = _numbers(store, [group for group, _ in kept], owner)
        for group, existing in kept:
            made = _rows(group, numbers[group.draft.id], state.encoder, cleaner, blobs, rejections)
            if group.draft.started is None:
                continue  # every span of the session was rejected
            rows.extend(made)
            sessions.append(cleaner.session(merge(group.draft, existing, group.project)))
        batch = WriteBatch(sessions=sessions, steps=rows, blobs=blobs)
        if batch:
            try:
                store.write(batch)
            except BaseException:
                # The encoder believes the chains it made are stored; they are not.
                state.encoder = PayloadEncoder()
                raise
    rejected = sum(rejections.values())
    accepted = len(rows) + sum(g.session_spans for g in groups.values() if g.draft.started)
    return IngestReport(
        accepted=accepted,
        rejected=rejected,
        message=_message(rejections, accepted + rejected),
        session_ids=tuple(s.id for s in sessions),
        rejections=dict(rejections),
        redacted=cleaner.redacted,
        truncated=cleaner.truncated,
        steps=tuple(rows),
    )


class _Group:
    """The spans of one session in one request."""

    __slots__ = ("draft", "project", "session_spans", "sessions", "steps")

    def __init__(self, draft: SessionDraft, project: str) -> None:
        self.draft = draft
        self.project = project
        self.steps: list[StepDraft] = []
        self.sessions: list[SpanRecord] = []
        self.session_spans = 0

    @property
    def size(self) -> int:
        return len(self.steps) + len(self.sessions)

    def spans(self) -> list[SpanRecord]:
        return [s.span for s in self.steps] + self.sessions


def _group(
    spans: list[SpanRecord], project: str | None, prices: PriceTable, rejections: Counter[str]
) -> dict[str, _Group]:
    keys = [own_key(span) for span in spans]
    # A span without a session key of its own joins the session another span
    # of its trace names (the most specific key wins), else its trace's.
    by_trace: dict[str, tuple[int, str, str]] = {}
    for span, key in zip(spans, keys, strict=True):
        if key is not None:
            rank = SESSION_KEYS.index(key[0])
            known = by_trace.get(span.trace_id)
            if known is None or rank < known[0]:
                by_trace[span.trace_id] = (rank, *key)
    groups: dict[str, _Group] = {}
    # Spans of one session share its key: its id (a hash) is worked out once.
    ids: dict[tuple[str, str, str], str] = {}
    for span, key in zip(spans, keys, strict=True):
        if key is None:
            found = by_trace.get(span.trace_id)
            key = (found[1], found[2]) if found else (TRACE, span.trace_id)
        claimed = span.attrs.pop("agentreel.session.project", None)
        owner = project or (claimed if isinstance(claimed, str) and claimed else DEFAULT_PROJECT)
        sid = ids.get((owner, *key))
        if sid is None:
            sid = ids[(owner, *key)] = session_id(owner, *key)
        group = groups.get(sid)
        if group is None:
            draft = SessionDraft(sid, key[0], key[1], span.trace_id)
            group = groups[sid] = _Group(draft, owner)
        if span.name == SESSION_SPAN and "agentreel.session.state" in span.attrs:
            group.sessions.append(span)
            continue
        step = normalise(span, prices)
        if isinstance(step, str):
            rejections[step] += 1
        else:
            group.steps.append(step)
    return groups


def _rows(
    group: _Group,
    numbers: Mapping[str, int],
    encoder: PayloadEncoder,
    cleaner: Cleaner,
    blobs: dict[str, bytes],
    rejections: Counter[str],
) -> list[StepRow]:
    draft = group.draft
    for span in group.sessions:
        draft.declare(span, error_of(span, span.events)[0])
        group.session_spans += 1
    rows: list[StepRow] = []
    for step in group.steps:
        span = step.span
        number = step.number if step.number is not None else numbers[span.span_id]
        if step.number is not None:
            parent_number = step.parent_number
            root = parent_number is None
        else:
            parent = span.parent_span_id
            parent_number = numbers.get(parent) if parent is not None else None
            root = parent_number is None
        try:
            attrs = cleaner.attributes(step.attrs)
            input_ref = cleaner.payload(step.input, encoder, blobs)
            output_ref = None if span.running else cleaner.payload(step.output, encoder, blobs)
        except (orjson.JSONEncodeError, TypeError):
            rejections["not_json_safe"] += 1
            continue
        rows.append(
            StepRow(
                draft.id, number, span.span_id, parent_number, span.parent_span_id,
                _KIND_TEXT[step.kind], step.name, step.status, span.start, span.end, attrs,
                step.model, step.usage.input, step.usage.output, step.usage.cached,
                step.usage.reasoning, step.cost, input_ref, output_ref,
                None if span.running else step.error,
            )
        )  # fmt: skip
        draft.add(span, root=root, error=step.error)
    return rows


def _numbers(
    store: Store, groups: list[_Group], owner: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    """Step numbers of each session's spans (by session id), asked of the store at once."""
    given: dict[str, dict[str, int]] = {}
    wanted: dict[str, list[str]] = {}
    for group in groups:
        sid = group.draft.id
        given[sid], order = _order(group, owner)
        if order:
            wanted[sid] = order
    many = getattr(store, "assign_step_numbers_many", None)
    if many is not None:
        assigned: Mapping[str, Mapping[str, int]] = many(wanted) if wanted else {}
    else:  # a store that numbers one session per call
        assigned = {sid: store.assign_step_numbers(sid, order) for sid, order in wanted.items()}
    for sid, numbered in assigned.items():
        given[sid].update(numbered)
    return given


def _order(group: _Group, owner: Mapping[str, str]) -> tuple[dict[str, int], list[str]]:
    """Step numbers of the session's spans that came with one, and the span ids
    to number, in the order they are to be numbered.

    Spans are numbered in start order, each after its parent: a parent that
    is not in this request (it ends later, so it is exported later) is named
    to the store first, which reserves its number for when it arrives. A
    parent in this request but in another session is not numbered here.
    """
    sid = group.draft.id
    given = {s.span.span_id: s.number for s in group.steps if s.number is not None}
    foreign = {s.span.span_id: s for s in group.steps if s.number is None}
    order: list[str] = []
    seen: set[str] = set(given)
    for step in sorted(foreign.values(), key=lambda s: (s.span.start, s.span.span_id)):
        chain: list[str] = []
        current: StepDraft | None = step
        while current is not None and current.span.span_id not in seen:
            span_id = current.span.span_id
            chain.append(span_id)
            seen.add(span_id)
            parent = current.span.parent_span_id
            current = foreign.get(parent) if parent is not None else None
            if (
                parent is not None
                and current is None
                and parent not in seen
                and owner.get(parent, sid) == sid
            ):
                chain.append(parent)
                seen.add(parent)
        order.extend(reversed(chain))
    return given, order


def _existing(store: Store, ids: list[str]) -> dict[str, Session]:
    """The stored sessions among ``ids`` (one query, where the store offers it)."""
    many = getattr(store, "get_sessions", None)
    if many is not None:
        found: dict[str, Session] = many(ids)
        return found
    sessions = {}
    for sid in ids:
        try:
            sessions[sid] = store.get_session(sid)
        except UnknownSession:
            pass
    return sessions


def _message(rejections: Counter[str], total: int) -> str:
    if not rejections:
        return ""
    parts = [f"{n} with {REJECTIONS.get(label, label)}" for label, n in rejections.most_common()]
    return f"{sum(rejections.values())} of {total} spans rejected: " + "; ".join(parts)


class _StoreState:
    """Per store: the lock that orders session merges, and the payload encoder."""

    __slots__ = ("encoder", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.encoder = PayloadEncoder()


_STATES: weakref.WeakKeyDictionary[Any, _StoreState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()
_SHARED = _StoreState()


def _state_of(store: Store) -> _StoreState:
    with _STATES_LOCK:
        try:
            state = _STATES.get(store)
            if state is None:
                state = _STATES[store] = _StoreState()
        except TypeError:  # a store that cannot be weakly referenced shares one state
            return _SHARED
        return state
