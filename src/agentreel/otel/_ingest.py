"""Spans of an OTLP export request into sessions and steps of a store.

The pipeline: read every span (or reject it, with a reason), find its
session, normalise it into step fields; then, under this process's lock
for the store, redact and encode payloads, and in one store transaction
read the sessions, number the spans that came without step numbers, merge
each session with what the store has, and write everything. The merge and
the write commit together, so a second server process on the same database
never overwrites a merge it did not see.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from agentreel.model import DEFAULT_PROJECT, Session, StepKind, StepRow
from agentreel.payloads import PayloadEncoder
from agentreel.pricing import DEFAULT_PRICES, PriceTable
from agentreel.storage import Store, Transaction, WriteBatch

from ._numbering import existing, transaction
from ._numbering import numbers as numbers_of
from ._sanitize import Cleaner, Redacting
from ._sessions import SESSION_KEYS, SESSION_SPAN, TRACE, SessionDraft, merge, own_key, session_id
from ._span import REJECTIONS, SpanRecord, attributes, read_span
from ._steps import StepDraft, error_of, normalise

__all__ = ["MAX_CHARS", "IngestReport", "ingest"]

#: Strings longer than this, in payloads and attributes, are cut (and counted).
MAX_CHARS = 1_000_000
#: Each session key attribute's rank: the lower, the more specific.
_RANK = {key: rank for rank, key in enumerate(SESSION_KEYS)}
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
    sessions: list[Session] = []
    rows: list[StepRow] = []
    with state.lock:
        # Sessions of another project are turned away before anything of
        # theirs is encoded; the transaction below looks again.
        kept = _own(groups, existing(store, list(groups)), rejections)
        # The costly part (redaction, payload encoding) is done before the
        # transaction: another server process writes meanwhile.
        for group in kept:
            _prepare(group, owner, state.encoder, cleaner)
        try:
            if kept:
                with transaction(store) as tx:
                    _write(tx, kept, owner, rejections, sessions, rows, cleaner)
        except BaseException:
            # The encoder believes the chains it made are stored; they are not.
            state.encoder = PayloadEncoder()
            raise
    rejected = sum(rejections.values())
    accepted = len(rows) + sum(g.session_spans for g in kept if g.written)
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


def _own(
    groups: Mapping[str, _Group], found: Mapping[str, Session], rejections: Counter[str]
) -> list[_Group]:
    """The groups whose session is new or of their own project; the others rejected."""
    kept = []
    for group in groups.values():
        stored = found.get(group.draft.id)
        if stored is not None and stored.project != group.project:
            rejections["foreign_session"] += group.size
        else:
            kept.append(group)
    return kept


def _write(
    tx: Transaction,
    groups: list[_Group],
    owner: Mapping[str, str],
    rejections: Counter[str],
    sessions: list[Session],
    rows: list[StepRow],
    cleaner: Cleaner,
) -> None:
    """Merge, number and write the prepared groups, in the store's transaction.

    The sessions are read again here: what is merged is what the store holds
    until this transaction commits.
    """
    found = tx.get_sessions([g.draft.id for g in groups])
    kept = _own({g.draft.id: g for g in groups}, found, rejections)
    # Another process made one of these sessions, for another project, since
    # the first look: its payload blobs are written anyway (other groups'
    # payloads may share chain links the encoder wrote only once).
    blobs: dict[str, bytes] = {}
    for group in groups:
        blobs.update(group.blobs)
    kept_ids = {g.draft.id for g in kept}
    for group in groups:
        if group.draft.id not in kept_ids:
            # Nothing of its spans is stored: neither are its masks and cuts.
            cleaner.redacted -= group.redacted
            cleaner.truncated -= group.truncated
        elif group.unsafe:
            rejections["not_json_safe"] += group.unsafe
    numbers = numbers_of(tx, kept, owner)
    for group in kept:
        if group.draft.started is None:
            continue  # every span of the session was rejected
        group.written = True
        rows.extend(_rows(group, numbers[group.draft.id]))
        sessions.append(
            cleaner.session(merge(group.draft, found.get(group.draft.id), group.project))
        )
    batch = WriteBatch(sessions=sessions, steps=rows, blobs=blobs)
    if batch:
        tx.write(batch)


class _Group:
    """The spans of one session in one request."""

    __slots__ = ("blobs", "draft", "project", "ready", "redacted", "session_spans", "sessions",
                 "steps", "truncated", "unsafe", "written")  # fmt: skip

    def __init__(self, draft: SessionDraft, project: str) -> None:
        self.draft = draft
        self.project = project
        self.steps: list[StepDraft] = []
        self.sessions: list[SpanRecord] = []
        self.session_spans = 0
        #: What :func:`_prepare` made: each step kept with its cleaned
        #: attributes and payload digests, the payload blobs, the steps
        #: rejected as not JSON-safe, and the secrets it masked.
        self.ready: list[tuple[StepDraft, bytes, str | None, str | None]] = []
        self.blobs: dict[str, bytes] = {}
        self.unsafe = 0
        self.redacted = 0
        self.truncated = 0
        #: Whether its rows were written (set in the transaction).
        self.written = False

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
            rank = _RANK[key[0]]
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
        ident = (owner, *key)
        sid = ids.get(ident)
        if sid is None:
            sid = ids[ident] = session_id(owner, *key)
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


def _prepare(
    group: _Group, owner: Mapping[str, str], encoder: PayloadEncoder, cleaner: Cleaner
) -> None:
    """Everything of the group's rows but their numbers, and its session draft."""
    draft = group.draft
    sid = draft.id
    for span in group.sessions:
        draft.declare(span, error_of(span, span.events)[0])
        group.session_spans += 1
    redacted, truncated = cleaner.redacted, cleaner.truncated
    ready = group.ready
    steps = group.steps
    cleaned = cleaner.attributes_many([step.attrs for step in steps])
    # Every payload's JSON first, so that redaction looks for secrets in all
    # of them at once. A value that is not JSON-safe still rejects its step
    # at the step's turn, after its input was encoded, as one at a time did.
    datas: list[tuple[bytes | None, bytes | None]] = []
    found: list[bytes] = []
    for step in steps:
        data_in = None if step.input is None else _json(step.input)
        data_out = None if step.output is None or step.span.running else _json(step.output)
        if data_in:
            found.append(data_in)
        if data_out:
            found.append(data_out)
        datas.append((data_in, data_out))
    texts = cleaner.may_hold_secrets(found)
    blobs = group.blobs
    for step, attrs, (data_in, data_out) in zip(steps, cleaned, datas, strict=True):
        if attrs is None or data_in == _NOT_JSON:
            group.unsafe += 1
            continue
        span = step.span
        try:
            input_ref = cleaner.payload(step.input, encoder, blobs, data_in, texts=texts)
            if data_out == _NOT_JSON:
                raise TypeError("the output is not JSON-safe")
            output_ref = (
                None
                if span.running
                else cleaner.payload(step.output, encoder, blobs, data_out, texts=texts)
            )
        except (orjson.JSONEncodeError, TypeError):
            group.unsafe += 1
            continue
        ready.append((step, attrs, input_ref, output_ref))
        if step.number is not None:
            root = step.parent_number is None
        else:
            # A parent of this session is numbered (see _numbering._order),
            # one of another session of this request is not: a root here.
            parent = span.parent_span_id
            root = parent is None or owner.get(parent, sid) != sid
        draft.add(span, root=root, error=step.error)
    group.redacted = cleaner.redacted - redacted
    group.truncated = cleaner.truncated - truncated


#: What :func:`_json` gives for a value that is not JSON-safe (orjson never writes nothing).
_NOT_JSON = b""


def _json(value: Any) -> bytes | None:
    """``value``'s JSON; None for no value, :data:`_NOT_JSON` if it cannot be JSON."""
    if value is None:
        return None
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return _NOT_JSON


def _rows(group: _Group, numbers: Mapping[str, int]) -> list[StepRow]:
    sid = group.draft.id
    rows: list[StepRow] = []
    append = rows.append
    for step, attrs, input_ref, output_ref in group.ready:
        span = step.span
        if step.number is not None:
            number, parent_number = step.number, step.parent_number
        else:
            number = numbers[span.span_id]
            parent = span.parent_span_id
            parent_number = numbers.get(parent) if parent is not None else None
        usage = step.usage
        # tuple.__new__ straight away: StepRow() would run NamedTuple's
        # Python __new__, twenty parameters, for the same tuple.
        append(
            _new_row(StepRow, (
                sid, number, span.span_id, parent_number, span.parent_span_id,
                _KIND_TEXT[step.kind], step.name, step.status, span.start, span.end, attrs,
                step.model, usage.input, usage.output, usage.cached, usage.reasoning, step.cost,
                input_ref, output_ref, None if span.running else step.error,
            ))
        )  # fmt: skip
    return rows


_new_row: Any = tuple.__new__


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
