"""One span's step fields: kind, name, model, usage, cost, input, output, error.

:func:`normalise` takes the attributes it maps out of the span's attribute
dict; what is left stays on the step as attributes. The step number and the
session are decided elsewhere (``_numbers``, ``_sessions``).
"""

from __future__ import annotations

from typing import Any

import orjson

from agentreel.model import JSON, ErrorInfo, StepKind, TokenUsage
from agentreel.pricing import PriceTable

from ._flat import as_str, int_of, parse_json
from ._kinds import kind_of
from ._messages import conversation, tools_declared
from ._span import SpanRecord

__all__ = ["MAX_EVENTS", "StepDraft", "error_of", "normalise"]

#: Span events kept on a step (under ``otel.events``) beyond those mapped.
MAX_EVENTS = 32

_TOKENS = {
    "input": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
              "llm.token_count.prompt", "llm.usage.prompt_tokens"),
    "output": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
               "llm.token_count.completion", "llm.usage.completion_tokens"),
    "cached": ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
               "llm.token_count.prompt_details.cache_read"),
    "reasoning": ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                  "llm.token_count.completion_details.reasoning"),
}  # fmt: skip
_TOKEN_KEYS = frozenset(k for keys in _TOKENS.values() for k in keys)
_TOKEN_ORDER = {k: i for i, k in enumerate(k for keys in _TOKENS.values() for k in keys)}
#: Each token key's place among the four counts (input, output, cached, reasoning).
_TOKEN_SLOT = {k: slot for slot, keys in enumerate(_TOKENS.values()) for k in keys}
_NO_COUNTS = [None, None, None, None]
_NO_USAGE = TokenUsage()
#: Enum members as module constants: on Python 3.11 ``StepKind.TOOL`` goes
#: through the enum type's ``__getattr__`` hook on every span.
_TOOL, _AGENT = StepKind.TOOL, StepKind.AGENT
#: Attributes giving a step's cost in USD, the first valid one wins.
_COSTS = ("agentreel.step.cost", "llm.cost.total")
#: Totals are the sum of what is kept; storing them again would only disagree one day.
_TOTALS = ("gen_ai.usage.total_tokens", "llm.token_count.total", "llm.usage.total_tokens")
_TOKEN_DETAILS = ("llm.token_count.", "gen_ai.usage.")
_MODELS = ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name",
           "embedding.model_name", "reranker.model_name")  # fmt: skip
#: Attribute prefixes that mean "this span carries messages or tool declarations".
_MESSAGE_KEYS = ("gen_ai.input.", "gen_ai.output.", "gen_ai.system_instructions",
                 "gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.",
                 "llm.output_messages.", "gen_ai.tool.definitions", "llm.tools.",
                 "llm.request.functions.")  # fmt: skip
_MESSAGE_KEY_CACHE: dict[str, bool] = {}
_MAX_CACHED_KEYS = 20_000
_MESSAGE_EVENTS = frozenset(
    {"gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message",
     "gen_ai.tool.message", "gen_ai.choice", "gen_ai.content.prompt",
     "gen_ai.content.completion", "gen_ai.client.inference.operation.details"}
)  # fmt: skip
_NO_VALUE: Any = object()
_ATTR = "agentreel.attr."
_ATTR_CUT = len(_ATTR)
_ATTR_JSON = "agentreel.attr_json"
_REFS = {k: f"{k}_ref" for k in ("agentreel.step.input", "agentreel.step.output")}
_VALUE_KEYS = {k: (f"{k}.mime_type", f"{k}.value") for k in ("input", "output")}
#: Every attribute _payloads() reads a payload from (besides message keys).
_PAYLOAD_KEYS = frozenset(
    {*_REFS, *_REFS.values(), *(k for pair in _VALUE_KEYS.values() for k in pair),
     "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
     "traceloop.entity.input", "traceloop.entity.output"}
)  # fmt: skip
_CUT_FLAGS = ("agentreel.step.input_truncated", "agentreel.step.output_truncated")


class StepDraft:
    """A span's step fields before it has a number (plain slots: built once per span)."""

    __slots__ = ("attrs", "cost", "error", "input", "kind", "model", "name", "number",
                 "output", "parent_number", "span", "status", "usage")  # fmt: skip

    def __init__(
        self,
        span: SpanRecord,
        kind: StepKind,
        name: str,
        status: str,
        model: str | None,
        usage: TokenUsage,
        cost: float | None,
        input: JSON,
        output: JSON,
        error: ErrorInfo | None,
        attrs: dict[str, JSON],
        number: int | None,
        parent_number: int | None,
    ) -> None:
        self.span = span
        self.kind = kind
        self.name = name
        self.status = status
        self.model = model
        self.usage = usage
        self.cost = cost
        self.input = input
        self.output = output
        self.error = error
        self.attrs = attrs
        self.number = number
        self.parent_number = parent_number

    span: SpanRecord
    kind: StepKind
    name: str
    status: str
    model: str | None
    usage: TokenUsage
    cost: float | None
    input: JSON
    output: JSON
    error: ErrorInfo | None
    attrs: dict[str, JSON]
    number: int | None
    parent_number: int | None


def normalise(span: SpanRecord, prices: PriceTable) -> StepDraft | str:
    """The step fields of ``span``, or a rejection label (see ``_span.REJECTIONS``)."""
    attrs = span.attrs
    number = parent_number = None
    if "agentreel.step.number" in attrs:
        number = int_of(attrs.pop("agentreel.step.number"))
        if number is None or number < 1:
            return "bad_step_number"
        parent_number = int_of(attrs.pop("agentreel.step.parent_number", None))
    kind = kind_of(attrs)
    attrs.pop("agentreel.step.kind", None)
    model = _model(attrs)
    usage = _usage(attrs)
    cost = _cost(attrs, model, usage, prices)
    step_in, step_out, events = _payloads(span, kind, model)
    error, events = error_of(span, events)
    if number is not None:
        # agentreel's own export: the step's attributes travel prefixed, and
        # everything else on the span was derived from the step's fields.
        cut = {k: attrs[k] for k in _CUT_FLAGS if k in attrs}
        # The exporter lists which values it sent as JSON text
        # ("agentreel.attr_json"); a user's own string "[1]" stays a string.
        encoded = attrs.get(_ATTR_JSON)
        json_keys = set(encoded) if isinstance(encoded, list) else set()
        attrs = {
            k[_ATTR_CUT:]: parse_json(v) if k[_ATTR_CUT:] in json_keys else v
            for k, v in attrs.items()
            if k.startswith(_ATTR)
        }
        attrs.update(cut)  # the exporter's size limit cut a payload: say so
        events = []
    elif events:
        attrs["otel.events"] = [
            {"name": e.name, "time_unix_nano": e.time, "attributes": e.attributes}
            for e in events[:MAX_EVENTS]
        ]
        if len(events) > MAX_EVENTS:
            attrs["otel.events_dropped"] = len(events) - MAX_EVENTS
    if span.scope and number is None:
        attrs["otel.scope.name"] = span.scope
    # Positional arguments (thirteen keywords cost more than building the draft).
    return StepDraft(
        span,
        kind,
        _name(span, kind, number is not None),
        "running" if span.running else "error" if span.errored else "ok",
        model,
        usage,
        cost,
        step_in,
        step_out,
        error,
        attrs,
        number,
        parent_number,
    )


def _name(span: SpanRecord, kind: StepKind, ours: bool) -> str:
    attrs = span.attrs
    name = as_str(attrs.pop("agentreel.step.name", None))
    if name is None and not ours:
        if kind is _TOOL:
            name = as_str(attrs.get("gen_ai.tool.name")) or as_str(attrs.get("tool.name"))
        elif kind is _AGENT:
            name = as_str(attrs.get("gen_ai.agent.name")) or as_str(attrs.get("agent.name"))
        name = name or as_str(attrs.get("traceloop.entity.name"))
    return name or span.name or str(kind)


def _model(attrs: dict[str, JSON]) -> str | None:
    for key in _MODELS:
        model = attrs.get(key)
        if isinstance(model, str) and model:  # as_str(), inlined: up to five per span
            del attrs[key]
            if key == "gen_ai.response.model" and attrs.get("gen_ai.request.model") == model:
                del attrs["gen_ai.request.model"]  # the same name twice says nothing
            return model
    return None


def _usage(attrs: dict[str, JSON]) -> TokenUsage:
    present = _TOKEN_KEYS.intersection(attrs)
    if not present:
        return _NO_USAGE  # most spans are not model calls
    # Input, output, cached, reasoning: the first valid count of each wins,
    # taking the keys present in the order _TOKENS lists them.
    counts: list[int | None] = [None, None, None, None]
    for key in sorted(present, key=_TOKEN_ORDER.__getitem__) if len(present) > 1 else present:
        value = attrs.pop(key)
        if type(value) is not int:  # int_of() is the same for an int: no call
            value = int_of(value)
        slot = _TOKEN_SLOT[key]
        if value is not None and counts[slot] is None:
            counts[slot] = value if value > 0 else 0
    if counts == _NO_COUNTS:
        return _NO_USAGE
    for key in _TOTALS:
        attrs.pop(key, None)
    # Zero counts of kinds we do not keep (audio, say) are only noise on every call.
    if 0 in attrs.values():
        for key in [k for k, v in attrs.items() if v == 0 and k.startswith(_TOKEN_DETAILS)]:
            del attrs[key]
    tokens_in, tokens_out, cached, reasoning = counts
    return TokenUsage(
        input=tokens_in or 0, output=tokens_out or 0, cached=cached or 0, reasoning=reasoning or 0
    )


def _cost(
    attrs: dict[str, JSON], model: str | None, usage: TokenUsage, prices: PriceTable
) -> float | None:
    for key in _COSTS:
        if key not in attrs:
            continue  # most spans: no cost given
        value = attrs.pop(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    if model is None or not usage:
        return None
    return prices.cost(model, usage)


def _payloads(span: SpanRecord, kind: StepKind, model: str | None) -> tuple[JSON, JSON, list[Any]]:
    """The step's input and output, and the span events not used for them."""
    attrs = span.attrs
    events = span.events
    if not events and _PAYLOAD_KEYS.isdisjoint(attrs) and not _has_message_keys(attrs):
        return None, None, events  # most spans carry no payload at all
    step_in = _take_exact(attrs, "agentreel.step.input")
    step_out = _take_exact(attrs, "agentreel.step.output")
    messages = _has_message_keys(attrs) or (
        bool(events) and any(e.name in _MESSAGE_EVENTS for e in events)
    )
    if messages:
        talk = conversation(attrs, events)
        events = talk.rest
        tools = tools_declared(attrs)
        if step_in is _NO_VALUE and (talk.input or tools):
            request: dict[str, JSON] = {}
            request_model = as_str(attrs.get("gen_ai.request.model")) or model
            if request_model:
                request["model"] = request_model
            request["messages"] = talk.input
            if tools:
                request["tools"] = tools
            step_in = request
        if step_out is _NO_VALUE and talk.output:
            out = talk.output
            step_out = out[0] if len(out) == 1 else {
                "choices": [{"index": i, "message": m} for i, m in enumerate(out)]
            }  # fmt: skip
    if kind is _TOOL:
        if step_in is _NO_VALUE:
            step_in = _take_json(attrs, "gen_ai.tool.call.arguments")
        if step_out is _NO_VALUE:
            step_out = _take_json(attrs, "gen_ai.tool.call.result")
    if step_in is _NO_VALUE:
        step_in = _take_json(attrs, "traceloop.entity.input")
    if step_out is _NO_VALUE:
        step_out = _take_json(attrs, "traceloop.entity.output")
    # OpenInference puts the whole request and response here too; once the
    # messages are taken they only repeat them.
    value_in = _take_value(attrs, "input")
    value_out = _take_value(attrs, "output")
    if step_in is _NO_VALUE:
        step_in = value_in
    if step_out is _NO_VALUE:
        step_out = value_out
    return (
        None if step_in is _NO_VALUE else step_in,
        None if step_out is _NO_VALUE else step_out,
        events,
    )


def _has_message_keys(attrs: dict[str, JSON]) -> bool:
    # Spans repeat a few dozen key names: the prefix test (ten prefixes) is
    # remembered per name, a bounded cache.
    known = _MESSAGE_KEY_CACHE
    for key in attrs:
        found = known.get(key)
        if found is None:
            if len(known) >= _MAX_CACHED_KEYS:
                known.clear()
            found = known[key] = key.startswith(_MESSAGE_KEYS)
        if found:
            return True
    return False


def _take_exact(attrs: dict[str, JSON], key: str) -> JSON:
    """agentreel's exact payload JSON; text cut by the exporter's size limit stays text."""
    if key not in attrs:
        if _REFS[key] in attrs:
            del attrs[_REFS[key]]  # the digest in the sender's store; ours is recomputed
        return _NO_VALUE
    attrs.pop(_REFS[key], None)
    value = attrs.pop(key)
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _take_json(attrs: dict[str, JSON], key: str) -> JSON:
    if key not in attrs:
        return _NO_VALUE
    return parse_json(attrs.pop(key))


def _take_value(attrs: dict[str, JSON], prefix: str) -> JSON:
    """OpenInference ``input.value`` read by its ``input.mime_type``."""
    mime_key, value_key = _VALUE_KEYS[prefix]
    mime = attrs.pop(mime_key, None)
    if value_key not in attrs:
        return _NO_VALUE
    value = attrs.pop(value_key)
    if mime == "application/json" or (mime is None and isinstance(value, str)):
        return parse_json(value)
    return value


def error_of(span: SpanRecord, events: list[Any]) -> tuple[ErrorInfo | None, list[Any]]:
    """The span's error (from its first exception event), and the events left."""
    if not span.errored:
        return None, events
    for i, event in enumerate(events):
        if event.name == "exception":
            a = event.attributes
            error = ErrorInfo(
                type=as_str(a.get("exception.type")) or "Exception",
                message=str(a.get("exception.message") or span.status_message or ""),
                traceback=str(a.get("exception.stacktrace") or ""),
            )
            return error, events[:i] + events[i + 1 :]
    error_type = as_str(span.attrs.get("error.type")) or "Error"
    return ErrorInfo(type=error_type, message=span.status_message), events
