"""One OTLP span read into plain Python values, or the reason it is rejected.

Everything after this module works on :class:`SpanRecord` and never touches
protobuf objects again. Records are built once per ingested span, so they are
plain slotted objects rather than frozen dataclasses (construction cost: the
model package measured 3 µs against 0.2 µs for a plain row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from agentreel.model import JSON
from agentreel.payloads import jsonable

__all__ = ["REJECTIONS", "Event", "SpanRecord", "attributes", "read_span"]

#: Why a span is rejected, by label (the label is what metrics count).
REJECTIONS = {
    "bad_trace_id": "a trace id that is not 16 bytes (32 hex digits) or is all zeros",
    "bad_span_id": "a span id that is not 8 bytes (16 hex digits) or is all zeros",
    "bad_parent_span_id": "a parent span id that is not 8 bytes (16 hex digits)",
    "missing_start_time": "no start time",
    "missing_end_time": "no end time (and not marked agentreel.step.state=running)",
    "end_before_start": "an end time before the start time",
    "foreign_session": "a session id that belongs to another project",
    "bad_step_number": "an agentreel.step.number that is not a positive integer",
    "not_json_safe": "a value that cannot be stored as JSON",
}

_ZERO_TRACE = bytes(16)
_ZERO_SPAN = bytes(8)
#: OTLP Status.code values.
STATUS_ERROR = 2
STATE = "agentreel.step.state"


def value_of(v: Any) -> JSON:
    """An OTLP ``AnyValue`` as a JSON-safe Python value."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "int_value":
        return v.int_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "double_value":
        d = v.double_value
        # JSON has no NaN or infinity; keep them readable rather than lose them.
        return d if math.isfinite(d) else repr(d)
    if kind == "array_value":
        return [value_of(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return jsonable(v.bytes_value)
    return None


def attributes(kvs: Sequence[Any]) -> dict[str, JSON]:
    """Repeated OTLP ``KeyValue`` as a dict (a repeated key: the last one wins)."""
    # Instructions per 10-attribute span, counted with callgrind: 66,900 with
    # an index loop, WhichOneof() and value_of() inlined for ints; 54,800 like
    # this. A slice takes every element in one call (upb's iterator ends by
    # raising IndexError, which costs as much as reading two attributes), and
    # a non-empty string_value, what nearly every attribute is, needs no
    # WhichOneof(). value_of() stays inlined for ints: a call per attribute
    # was a tenth of ingest. Reading keys, values and strings with
    # attrgetter() over the slice, and dict(zip()), cost 12,000 more: the
    # wrappers of every value are then alive at once (upb's object cache
    # and the garbage collector see them all).
    out: dict[str, JSON] = {}
    for kv in kvs[:]:
        v = kv.value
        text = v.string_value
        if text:
            out[kv.key] = text
        elif v.WhichOneof("value") == "int_value":
            out[kv.key] = v.int_value
        else:
            out[kv.key] = value_of(v)
    return out


class Event:
    """A span event: its name, time (ns) and attributes."""

    __slots__ = ("attributes", "name", "time")

    def __init__(self, name: str, time: int, attributes: dict[str, JSON]) -> None:
        self.name = name
        self.time = time
        self.attributes = attributes


class SpanRecord:
    """What ingest needs of one span, as Python values.

    ``attrs`` is the span's own attributes, a fresh dict: normalisation takes
    the keys it maps and leaves the rest as the step's attributes.
    ``resource`` is shared by every span of its resource: read it, never change it.
    """

    __slots__ = (
        "attrs",
        "end",
        "events",
        "name",
        "parent_span_id",
        "resource",
        "running",
        "scope",
        "span_id",
        "start",
        "status_code",
        "status_message",
        "trace_id",
    )

    def __init__(
        self,
        trace_id: str,
        span_id: str,
        parent_span_id: str | None,
        name: str,
        start: int,
        end: int | None,
        running: bool,
        attrs: dict[str, JSON],
        events: list[Event],
        status_code: int,
        status_message: str,
        resource: Mapping[str, JSON],
        scope: str,
    ) -> None:
        # Positional: keyword arguments cost a tenth of read_span (callgrind).
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.name = name
        self.start = start
        self.end = end
        self.running = running
        self.attrs = attrs
        self.events = events
        self.status_code = status_code
        self.status_message = status_message
        self.resource = resource
        self.scope = scope

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start: int
    end: int | None
    running: bool
    attrs: dict[str, JSON]
    events: list[Event]
    status_code: int
    status_message: str
    resource: Mapping[str, JSON]
    scope: str

    @property
    def errored(self) -> bool:
        return self.status_code == STATUS_ERROR


def read_span(span: Any, resource: Mapping[str, JSON], scope: str) -> SpanRecord | str:
    """``span`` (an OTLP ``Span``) as a record, or the label of why it is rejected."""
    trace = span.trace_id
    if len(trace) != 16 or trace == _ZERO_TRACE:
        return "bad_trace_id"
    own = span.span_id
    if len(own) != 8 or own == _ZERO_SPAN:
        return "bad_span_id"
    parent = span.parent_span_id
    if parent and len(parent) != 8:
        return "bad_parent_span_id"
    start = span.start_time_unix_nano
    if not start:
        return "missing_start_time"
    attrs = attributes(span.attributes)
    running = attrs.pop(STATE, None) == "running"
    end: int | None = span.end_time_unix_nano
    if running:
        end = None
    elif not end:
        return "missing_end_time"
    elif end < start:
        return "end_before_start"
    status = span.status
    events = span.events
    return SpanRecord(
        trace.hex(),
        own.hex(),
        # An all-zero parent is OTLP's other way of saying "no parent".
        parent.hex() if parent and parent != _ZERO_SPAN else None,
        span.name,
        start,
        end,
        running,
        attrs,
        [Event(e.name, e.time_unix_nano, attributes(e.attributes)) for e in events[:]]
        if events
        else [],
        status.code,
        status.message,
        resource,
        scope,
    )
