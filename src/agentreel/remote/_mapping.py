"""Rows to spans: one OTLP span per step row, one ``agentreel.session`` span per session row.

The attribute names are the contract with the server's ingest; every one is
listed in docs/export.md, which is the place to change them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import orjson

from agentreel.model import ErrorInfo, Session, StepRow
from agentreel.storage import WriteBatch

from ._genai import input_messages, output_messages
from ._payloads import BlobCache, PayloadReader
from ._stats import RemoteStats
from ._wire import SpanData, SpanEvent

SESSION_SPAN = "agentreel.session"

#: ``gen_ai.operation.name`` for the step kinds the conventions have a name for.
OPERATIONS = {
    "llm": "chat",
    "tool": "execute_tool",
    "agent": "invoke_agent",
    "retrieval": "retrieval",
}

_UNSET, _OK, _ERROR = 0, 1, 2
_PRIMITIVE = (str, bool, int, float)


def session_span_id(session_id: str) -> str:
    """The session span's id: derived from the session id, so every copy has the same one."""
    digest = hashlib.sha256(b"agentreel.session:" + session_id.encode()).digest()
    return (digest[:8] if any(digest[:8]) else b"\x00" * 7 + b"\x01").hex()


class SpanMapper:
    """Turns write batches into spans, remembering sessions and blobs across batches."""

    def __init__(
        self, *, stats: RemoteStats, max_payload_bytes: int, blob_cache_bytes: int
    ) -> None:
        self._stats = stats
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._blobs = BlobCache(blob_cache_bytes)
        self._payloads = PayloadReader(self._blobs, max_bytes=max_payload_bytes, stats=stats)

    def spans(self, batch: WriteBatch) -> list[SpanData]:
        self._blobs.add(batch.blobs)
        out: list[SpanData] = []
        for session in batch.sessions:
            self._remember(session)
            out.append(self._session_span(session))
        for row in batch.steps:
            try:
                out.append(self._step_span(row))
            except Exception as exc:  # one odd row must not cost the batch
                self._stats.loss("encode_errors", detail=f"step {row.number}: {exc!r}")
        return out

    def _remember(self, session: Session) -> None:
        self._sessions[session.id] = session
        self._sessions.move_to_end(session.id)
        if len(self._sessions) > 10_000:  # long-lived processes: forget the oldest
            self._sessions.popitem(last=False)

    # -- sessions -------------------------------------------------------------------

    def _session_attributes(self, session_id: str) -> dict[str, Any]:
        session = self._sessions.get(session_id)
        attrs: dict[str, Any] = {
            "gen_ai.conversation.id": session_id,
            "agentreel.session.id": session_id,
        }
        if session is not None:
            attrs["agentreel.session.name"] = session.name
            attrs["agentreel.session.tags"] = list(session.tags)
            attrs["agentreel.session.project"] = session.project
        return attrs

    def _session_span(self, session: Session) -> SpanData:
        attrs = self._session_attributes(session.id)
        attrs["agentreel.session.state"] = str(session.status)
        if session.metadata:
            attrs["agentreel.session.metadata"] = _json(session.metadata)
        if session.forked_from is not None:
            attrs["agentreel.session.forked_from.session_id"] = session.forked_from.session_id
            attrs["agentreel.session.forked_from.step"] = session.forked_from.step
        span = SpanData(
            trace_id=session.otel_trace_id,
            span_id=session_span_id(session.id),
            parent_span_id=session.parent_span_id,
            name=SESSION_SPAN,
            start=session.started_at,
            end=session.ended_at if session.ended_at is not None else session.started_at,
            attributes=attrs,
            status={"ok": _OK, "error": _ERROR}.get(str(session.status), _UNSET),
        )
        if session.error is not None:
            _set_error(span, session.error, session.ended_at or session.started_at)
        return span

    # -- steps --------------------------------------------------------------------

    def _step_span(self, row: StepRow) -> SpanData:
        session = self._sessions.get(row.session_id)
        attrs: dict[str, Any] = {}
        operation = OPERATIONS.get(row.kind)
        if operation is not None:
            attrs["gen_ai.operation.name"] = operation
        if row.model:
            attrs["gen_ai.request.model"] = row.model
        if row.kind == "agent":
            attrs["gen_ai.agent.name"] = row.name
        elif row.kind == "tool":
            attrs["gen_ai.tool.name"] = row.name
        if row.model or row.tokens_in or row.tokens_out:
            attrs["gen_ai.usage.input_tokens"] = row.tokens_in
            attrs["gen_ai.usage.output_tokens"] = row.tokens_out
        if row.tokens_cached:
            attrs["gen_ai.usage.cache_read.input_tokens"] = row.tokens_cached
        if row.tokens_reasoning:
            attrs["gen_ai.usage.reasoning.output_tokens"] = row.tokens_reasoning
        attrs.update(self._session_attributes(row.session_id))
        running = row.ended_at is None
        attrs["agentreel.step.number"] = row.number
        attrs["agentreel.step.kind"] = row.kind
        attrs["agentreel.step.parent_number"] = row.parent_number
        attrs["agentreel.step.state"] = "running" if running else "ended"
        attrs["agentreel.step.cost"] = row.cost
        self._payload(attrs, "input", row.input_ref, row.kind)
        self._payload(attrs, "output", row.output_ref, row.kind)
        encoded: list[str] = []
        for key, value in _attributes(row.attributes).items():
            if isinstance(value, _PRIMITIVE):
                attrs[f"agentreel.attr.{key}"] = value
            else:
                attrs[f"agentreel.attr.{key}"] = _json(value)
                encoded.append(key)
        if encoded:
            # Which strings are JSON: a user's string "[1]" must not come back as a list.
            attrs["agentreel.attr_json"] = encoded
        trace_id = session.otel_trace_id if session is not None else row.session_id
        _check_id(trace_id, 32, "trace")
        _check_id(row.span_id, 16, "span")
        span = SpanData(
            trace_id=trace_id,
            span_id=row.span_id,
            parent_span_id=row.parent_span_id,
            name=row.name,
            start=row.started_at,
            end=row.started_at if running else row.ended_at or row.started_at,
            attributes=attrs,
            status=_UNSET if running else (_OK if row.status == "ok" else _ERROR),
        )
        if row.error is not None:
            _set_error(span, row.error, row.ended_at or row.started_at)
        return span

    def _payload(self, attrs: dict[str, Any], which: str, ref: str | None, kind: str) -> None:
        if ref is None:
            return
        attrs[f"agentreel.step.{which}_ref"] = ref
        decoded = self._payloads.read(ref)
        if decoded is None:
            return
        attrs[f"agentreel.step.{which}"] = decoded.text
        if decoded.full_size is not None:
            attrs[f"agentreel.step.{which}_truncated"] = decoded.full_size
        if kind != "llm":
            return
        convert = input_messages if which == "input" else output_messages
        messages = convert(decoded.value)
        if messages is not None:
            # Cut JSON is not JSON: an oversized conversation is left to
            # agentreel.step.<which> (itself cut, and flagged) instead.
            text = self._payloads.bounded(messages)
            if text.full_size is None:
                attrs[f"gen_ai.{which}.messages"] = text.text


def _attributes(value: Mapping[str, Any] | bytes) -> Mapping[str, Any]:
    if isinstance(value, bytes):
        loaded = orjson.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return value


def _check_id(value: str, digits: int, what: str) -> None:
    # Checked per row, so one row with a foreign id costs that row, not its request.
    if len(value) != digits or value.strip("0123456789abcdef"):
        raise ValueError(f"{what} id {value!r} is not {digits} lowercase hex digits")


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _set_error(span: SpanData, error: ErrorInfo, at: int) -> None:
    span.status = _ERROR
    span.status_message = error.summary()
    span.attributes["error.type"] = error.type
    span.events = (
        SpanEvent(
            name="exception",
            time=at,
            attributes={
                "exception.type": error.type,
                "exception.message": error.message,
                "exception.stacktrace": error.traceback or None,
            },
        ),
    )
