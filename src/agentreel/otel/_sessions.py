"""Which session a span belongs to, and the session row a batch makes or extends.

A span's session key is the first of :data:`SESSION_KEYS` found on the span,
then on its resource, then on another span of the same trace in the same
request; without one the trace itself is the session. Session ids are 32
lowercase hex digits: agentreel's own id as it is, the trace id's hex for a
trace, otherwise the first 32 hex digits of ``sha256(project NUL key)``, so the
same conversation id in two projects makes two sessions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from agentreel.model import JSON, ErrorInfo, ForkRef, Session, Status

from ._flat import as_str, int_of, parse_json
from ._span import SpanRecord

__all__ = ["SESSION_KEYS", "SESSION_SPAN", "SessionDraft", "merge", "own_key", "session_id"]

OURS = "agentreel.session.id"
#: The span agentreel's SDK sends for the session itself (not a step).
SESSION_SPAN = "agentreel.session"
_STATES = {"running": Status.RUNNING, "ok": Status.OK, "error": Status.ERROR}
TRACE = "trace_id"
#: Attributes naming a span's session, most specific first.
SESSION_KEYS = (
    OURS,
    "gen_ai.conversation.id",
    "session.id",
    "traceloop.association.properties.session_id",
    "traceloop.association.properties.conversation_id",
    "traceloop.association.properties.thread_id",
    "traceloop.association.properties.chat_id",
)
_SESSION_KEY_SET = frozenset(SESSION_KEYS)
#: Where a session's name came from, weakest first; a stronger source renames it.
NAME_SOURCES = ("otel", "service.name", "root_span", "gen_ai.agent.name", "agentreel")
_AGENTREEL, _AGENT_NAME, _ROOT_SPAN, _SERVICE_NAME = (
    NAME_SOURCES.index(source)
    for source in ("agentreel", "gen_ai.agent.name", "root_span", "service.name")
)
#: Session metadata set once agentreel's own session span was seen: from then
#: on only that span says whether the session runs, ended or failed.
DECLARED = "otel.session_span"
#: Span attributes that add to the session's tags or metadata.
_SESSION_ATTRS = frozenset(
    {"agentreel.session.tags", "tag.tags", "agentreel.session.metadata", "metadata", "user.id"}
)
_HEX32 = re.compile(r"[0-9a-f]{32}")
#: Resource attributes copied into session metadata.
_RESOURCE_META = ("service.", "deployment.")


def own_key(span: SpanRecord) -> tuple[str, str] | None:
    """``(attribute, key)`` naming the span's session, from the span or its resource.

    The span's own session attributes are removed from its attributes: they
    are stored once, in the session's metadata.
    """
    found = None
    attrs = span.attrs
    present = _SESSION_KEY_SET.intersection(attrs)  # nearly always one key, or none
    if present:
        for name in SESSION_KEYS:
            if name in present:
                value = attrs.pop(name)
                if found is None and value is not None and value != "":
                    found = (name, str(value))
    if found is None:
        for name in SESSION_KEYS:
            value = span.resource.get(name)
            if value is not None and value != "":
                return name, str(value)
    return found


def session_id(project: str, source: str, key: str) -> str:
    if source == TRACE or (source == OURS and _HEX32.fullmatch(key)):
        return key
    return hashlib.sha256(f"{project}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


class SessionDraft:
    """What one request says about one session (slots: one per session per request)."""

    __slots__ = ("_resource", "declared", "ended", "error", "forked_from", "id", "metadata",
                 "name", "name_source", "parent_span_id", "root_error", "root_running", "roots",
                 "running", "started", "tags", "trace_id")  # fmt: skip

    def __init__(self, sid: str, source: str, key: str, trace_id: str) -> None:
        self.id = sid
        self.trace_id = trace_id
        self.started: int | None = None
        self.ended: int | None = None
        self.roots = 0
        self.root_running = False
        self.root_error = False
        self.running = False
        self.error: ErrorInfo | None = None
        self.name = ""
        self.name_source = 0
        self.tags: dict[str, None] = {}
        self.metadata: dict[str, JSON] = {}
        self.parent_span_id: str | None = None
        self.forked_from: ForkRef | None = None
        #: The state agentreel's session span gave, which overrides the root steps'.
        self.declared: Status | None = None
        #: The resource folded in last (see ``add``).
        self._resource: Mapping[str, JSON] | None = None
        if source != TRACE:
            self.metadata["otel.session_id"] = key
            self.metadata["otel.session_id_attribute"] = source

    def add(self, span: SpanRecord, *, root: bool, error: ErrorInfo | None) -> None:
        """Fold one accepted span (already normalised) into the draft."""
        if self.started is None or span.start < self.started:
            self.started = span.start
        if span.end is not None and (self.ended is None or span.end > self.ended):
            self.ended = span.end
        self.running = self.running or span.running
        attrs = span.attrs
        # Runs once per span: keys most spans lack are looked for, not popped.
        if "agentreel.session.name" in attrs:
            self._name(as_str(attrs.pop("agentreel.session.name")), _AGENTREEL)
        if "gen_ai.agent.name" in attrs:
            self._name(as_str(attrs["gen_ai.agent.name"]), _AGENT_NAME)
        if root:
            self.roots += 1
            self.root_running = self.root_running or span.running
            if span.errored:
                self.root_error = True
                self.error = self.error or error
            self._name(span.name, _ROOT_SPAN)
            if span.parent_span_id and self.parent_span_id is None:
                self.parent_span_id = span.parent_span_id  # a host span we run under
        if not _SESSION_ATTRS.isdisjoint(attrs):
            self._tags_and_metadata(attrs)
        resource = span.resource
        if resource is not self._resource:
            # Folding in the same resource again changes nothing: the spans of
            # a request share a few resources, so each is read once in a row.
            self._resource = resource
            self._name(as_str(resource.get("service.name")), _SERVICE_NAME)
            if not any(k in self.metadata for k in resource if k.startswith(_RESOURCE_META)):
                for key, value in resource.items():
                    if key.startswith(_RESOURCE_META):
                        self.metadata.setdefault(key, value)

    def _tags_and_metadata(self, attrs: dict[str, JSON]) -> None:
        for key in ("agentreel.session.tags", "tag.tags"):
            self._tags(attrs.pop(key, None))
        for key in ("agentreel.session.metadata", "metadata"):
            extra = parse_json(attrs.pop(key, None))
            if isinstance(extra, dict):
                self.metadata.update(extra)
        user = attrs.pop("user.id", None)
        if isinstance(user, str):
            self.metadata["user.id"] = user

    def declare(self, span: SpanRecord, error: ErrorInfo | None) -> None:
        """Fold in agentreel's own session span: it states the session's fields."""
        attrs = span.attrs
        state = _STATES.get(str(attrs.pop("agentreel.session.state", "")))
        if state is Status.RUNNING:
            # A running session span ends where it starts; that end means nothing.
            span.end, span.running = None, True
        self.add(span, root=False, error=None)
        self.metadata[DECLARED] = True
        if state is not None and (self.declared is None or self.declared is Status.RUNNING):
            self.declared = state
            self.error = error if state is Status.ERROR else self.error
        self.parent_span_id = self.parent_span_id or span.parent_span_id
        fork = as_str(attrs.pop("agentreel.session.forked_from.session_id", None))
        step = int_of(attrs.pop("agentreel.session.forked_from.step", None))
        if fork is not None and step is not None:
            self.forked_from = ForkRef(session_id=fork, step=step)

    def _name(self, name: str | None, level: int) -> None:
        if name and level > self.name_source:
            self.name, self.name_source = name, level

    def _tags(self, value: JSON) -> None:
        value = parse_json(value)
        if isinstance(value, str):
            value = [t.strip() for t in value.split(",")]
        if isinstance(value, list):
            for tag in value:
                if isinstance(tag, str) and tag:
                    self.tags[tag] = None

    def status(self) -> Status | None:
        """What the request says of the session's state; None if it holds no root span."""
        if self.declared is not None:
            return self.declared
        if not self.roots:
            return None
        if self.root_error:
            return Status.ERROR
        return Status.RUNNING if self.root_running else Status.OK


def merge(draft: SessionDraft, existing: Session | None, project: str) -> Session:
    """The session row after this request: ``draft`` laid over ``existing``.

    Earliest start, latest end, tags and metadata unioned, a name from a
    stronger source wins, an errored root makes the session errored, and a
    running root never reopens a finished session.
    """
    assert draft.started is not None  # a draft exists only once a span was added
    said = draft.status()
    # Session.trace_id is None when the trace is the session's own id.
    trace_id = None if draft.trace_id == draft.id else draft.trace_id
    metadata = dict(draft.metadata)
    name_source = draft.name_source
    name = draft.name or f"trace {draft.trace_id[:12]}"
    metadata["otel.name_source"] = NAME_SOURCES[name_source]
    if existing is None:
        status = said or (Status.RUNNING if draft.running else Status.OK)
        return Session(
            id=draft.id,
            name=name,
            project=project,
            tags=tuple(draft.tags),
            metadata=metadata,
            status=status,
            started_at=draft.started,
            ended_at=None if status is Status.RUNNING else draft.ended or draft.started,
            error=draft.error if status is Status.ERROR else None,
            forked_from=draft.forked_from,
            parent_span_id=draft.parent_span_id,
            trace_id=trace_id,
        )
    old_source = _level(existing.metadata.get("otel.name_source"))
    if old_source >= name_source:
        name, metadata["otel.name_source"] = existing.name, NAME_SOURCES[old_source]
    finished = existing.status is not Status.RUNNING
    if draft.declared is None and existing.metadata.get(DECLARED) is True:
        # agentreel's own session span says the session's state; a failed
        # top-level step (one skipped at a breakpoint, say) does not end a
        # session whose agent still runs.
        said = None
    if said is None or (finished and said is Status.RUNNING):
        status, error = existing.status, existing.error
    elif Status.ERROR in (said, existing.status):  # an errored session is finished
        status, error = Status.ERROR, existing.error or draft.error
    else:
        status, error = said, draft.error
    ended = None
    if status is not Status.RUNNING:
        ends = [t for t in (existing.ended_at, draft.ended) if t is not None]
        ended = max(ends) if ends else draft.started
    return dataclasses.replace(
        existing,
        name=name,
        tags=tuple({**dict.fromkeys(existing.tags), **draft.tags}),
        metadata={**metadata, **_without_name_source(existing.metadata), **_source(metadata)},
        status=status,
        started_at=min(existing.started_at, draft.started),
        ended_at=ended,
        error=error if status is Status.ERROR else None,
        forked_from=existing.forked_from or draft.forked_from,
        parent_span_id=existing.parent_span_id or draft.parent_span_id,
        trace_id=existing.trace_id or trace_id,
    )


def _level(source: Any) -> int:
    return NAME_SOURCES.index(source) if source in NAME_SOURCES else 0


def _without_name_source(metadata: Mapping[str, JSON]) -> dict[str, JSON]:
    return {k: v for k, v in metadata.items() if k != "otel.name_source"}


def _source(metadata: Mapping[str, JSON]) -> dict[str, JSON]:
    return {"otel.name_source": metadata["otel.name_source"]}
