"""Session, step and blob records: model objects to JSON objects and back.

Writing keeps every field in the model's declared order, so files diff well
and read top to bottom. Reading checks each field's JSON type and reports the
first problem with its line; fields the model gives a default may be left out
(handy for hand-written fixtures), fields it does not know are refused, since
in a versioned format they can only mean damage or a hand edit gone wrong.
"""

from __future__ import annotations

from typing import Any

import orjson

from agentreel.model import ErrorInfo, ForkRef, Session, Status, Step, StepKind, TokenUsage
from agentreel.payloads import dump_blob

from . import _fields as F
from ._fields import Fields, Problem
from ._migrate import Record
from ._payloads import MalformedBlob, expected_digest, is_digest, references


def session_record(s: Session) -> dict[str, Any]:
    return {
        "type": "session",
        "id": s.id,
        "name": s.name,
        "project": s.project,
        "tags": list(s.tags),
        "metadata": dict(s.metadata),
        "status": str(s.status),
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "error": _error_record(s.error),
        "forked_from": None
        if s.forked_from is None
        else {"session_id": s.forked_from.session_id, "step": s.forked_from.step},
        "parent_span_id": s.parent_span_id,
        "trace_id": s.trace_id,
    }


def step_record(s: Step) -> dict[str, Any]:
    return {
        "type": "step",
        "session_id": s.session_id,
        "number": s.number,
        "span_id": s.span_id,
        "parent_number": s.parent_number,
        "parent_span_id": s.parent_span_id,
        "kind": str(s.kind),
        "name": s.name,
        "status": str(s.status),
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "attributes": dict(s.attributes),
        "model": s.model,
        "usage": {
            "input": s.usage.input,
            "output": s.usage.output,
            "cached": s.usage.cached,
            "reasoning": s.usage.reasoning,
        },
        "cost": s.cost,
        "input_ref": s.input_ref,
        "output_ref": s.output_ref,
        "error": _error_record(s.error),
    }


def blob_record(digest: str, data: bytes) -> dict[str, Any]:
    """A blob as readable JSON, or as its exact text if parsing would change it.

    Blobs are canonical JSON, so re-dumping the parsed value gives the same
    bytes and the same digest; the ``text`` form keeps a file importable even
    for a blob that somehow is not canonical.
    """
    value = orjson.loads(data)
    if dump_blob(value) == data:
        return {"type": "blob", "digest": digest, "value": value}
    return {"type": "blob", "digest": digest, "text": data.decode("utf-8")}


def _error_record(e: ErrorInfo | None) -> dict[str, str] | None:
    return None if e is None else {"type": e.type, "message": e.message, "traceback": e.traceback}


def session_from(record: Record) -> Session:
    f = Fields(record, "session")
    session = Session(
        id=f.required("id", F.is_nonempty_str, "a non-empty string"),
        name=f.required("name", F.is_str, "a string"),
        project=f.optional("project", F.is_nonempty_str, "a non-empty string", "default"),
        tags=tuple(f.optional("tags", F.is_str_list, "an array of strings", [])),
        metadata=f.optional("metadata", F.is_object, "an object", {}),
        status=f.enum("status", Status, Status.RUNNING),
        started_at=f.required("started_at", F.is_int, "an integer"),
        ended_at=f.optional("ended_at", F.is_int_or_null, "an integer or null", None),
        error=f.nested("error", "error", _error_from),
        forked_from=f.nested("forked_from", "forked_from", _fork_from),
        parent_span_id=f.optional("parent_span_id", F.is_str_or_null, "a string or null", None),
        trace_id=f.optional("trace_id", F.is_str_or_null, "a string or null", None),
    )
    f.done()
    return session


def step_from(record: Record) -> Step:
    f = Fields(record, "step")
    step = Step(
        session_id=f.required("session_id", F.is_nonempty_str, "a non-empty string"),
        number=f.required("number", F.is_positive_int, "a positive integer"),
        span_id=f.required("span_id", F.is_nonempty_str, "a non-empty string"),
        parent_number=f.optional(
            "parent_number", F.is_positive_int_or_null, "a positive integer or null", None
        ),
        parent_span_id=f.optional("parent_span_id", F.is_str_or_null, "a string or null", None),
        kind=f.enum("kind", StepKind),
        name=f.required("name", F.is_str, "a string"),
        status=f.enum("status", Status, Status.RUNNING),
        started_at=f.required("started_at", F.is_int, "an integer"),
        ended_at=f.optional("ended_at", F.is_int_or_null, "an integer or null", None),
        attributes=f.optional("attributes", F.is_object, "an object", {}),
        model=f.optional("model", F.is_str_or_null, "a string or null", None),
        usage=f.nested("usage", "usage", _usage_from) or TokenUsage(),
        cost=_float_or_none(f.optional("cost", F.is_number_or_null, "a number or null", None)),
        input_ref=f.optional("input_ref", F.is_digest_or_null, "a blob digest or null", None),
        output_ref=f.optional("output_ref", F.is_digest_or_null, "a blob digest or null", None),
        error=f.nested("error", "error", _error_from),
    )
    f.done()
    return step


def _error_from(f: Fields) -> ErrorInfo:
    return ErrorInfo(
        type=f.required("type", F.is_str, "a string"),
        message=f.required("message", F.is_str, "a string"),
        traceback=f.optional("traceback", F.is_str, "a string", ""),
    )


def _fork_from(f: Fields) -> ForkRef:
    return ForkRef(
        session_id=f.required("session_id", F.is_nonempty_str, "a non-empty string"),
        step=f.required("step", F.is_positive_int, "a positive integer"),
    )


def _usage_from(f: Fields) -> TokenUsage:
    def count(name: str) -> int:
        value: int = f.optional(name, F.is_count, "a non-negative integer", 0)
        return value

    return TokenUsage(
        input=count("input"),
        output=count("output"),
        cached=count("cached"),
        reasoning=count("reasoning"),
    )


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)


def blob_from(record: Record) -> tuple[str, bytes, Any]:
    """A blob record's digest, canonical bytes and parsed value, checked.

    The digest is recomputed from the content, so an edited or damaged blob is
    refused here rather than served later as if it were the recording.
    """
    f = Fields(record, "blob")
    digest: str = f.required("digest", is_digest, "a 64-hex-digit digest")
    has_value, has_text = "value" in record.data, "text" in record.data
    if has_value == has_text:
        raise f.problem("must hold exactly one of the fields 'value' and 'text'")
    if has_value:
        value = f.optional("value", F.is_anything, "", None)
        data = dump_blob(value)
    else:
        data = f.optional("text", F.is_str, "a string", "").encode("utf-8")
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise f.problem("field 'text' must hold JSON text") from None
    f.done()
    try:
        actual = expected_digest(value, data)
    except MalformedBlob as exc:
        raise f.problem(f"is not a payload blob: {exc}") from None
    if actual != digest:
        raise f.problem(f"{digest[:16]} does not match its content (whose digest is {actual[:16]})")
    return digest, data, value


def blob_references(record: Record, value: Any) -> list[str]:
    try:
        return references(value)
    except MalformedBlob as exc:
        raise Problem(record.line, f"blob record is not a payload blob: {exc}") from None
