"""Which kind of step a span is, from whichever convention labelled it.

Conventions are asked in this order; the first that names a kind wins:

1. ``agentreel.step.kind`` (spans exported by agentreel's own SDK);
2. ``openinference.span.kind`` (OpenInference);
3. ``gen_ai.operation.name`` (OpenTelemetry GenAI conventions);
4. ``traceloop.span.kind`` (OpenLLMetry decorators);
5. ``llm.request.type`` (older OpenLLMetry model spans);

and a span none of them labels is ``custom``. Choices that are ours to make:
an embedding or a reranking is ``retrieval`` (the model work behind a
search); OpenInference's ``CHAIN`` and OpenLLMetry's ``task`` are ``custom``
(orchestration glue, and calling them agents would credit an agent's model
calls to every ``RunnableSequence``); OpenLLMetry's ``workflow`` is ``agent``
(the run it wraps is the agent); OpenInference's ``DECISION`` is ``plan``.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentreel.model import JSON, StepKind

__all__ = ["KIND_KEYS", "kind_of"]

_LLM, _TOOL, _AGENT = StepKind.LLM, StepKind.TOOL, StepKind.AGENT
_RETRIEVAL, _CUSTOM = StepKind.RETRIEVAL, StepKind.CUSTOM

_OPENINFERENCE = {
    "LLM": _LLM,
    "TOOL": _TOOL,
    "AGENT": _AGENT,
    "CHAIN": _CUSTOM,
    "RETRIEVER": _RETRIEVAL,
    "EMBEDDING": _RETRIEVAL,
    "RERANKER": _RETRIEVAL,
    "GUARDRAIL": StepKind.GUARDRAIL,
    "EVALUATOR": _CUSTOM,
    "PROMPT": _CUSTOM,
    "DECISION": StepKind.PLAN,
    "UNKNOWN": _CUSTOM,
}
_GEN_AI = {
    "chat": _LLM,
    "text_completion": _LLM,
    "generate_content": _LLM,
    "execute_tool": _TOOL,
    "invoke_agent": _AGENT,
    "create_agent": _AGENT,
    "invoke_workflow": _AGENT,
    "embeddings": _RETRIEVAL,
    "retrieval": _RETRIEVAL,
}
_TRACELOOP = {"workflow": _AGENT, "agent": _AGENT, "task": _CUSTOM, "tool": _TOOL}
_REQUEST_TYPE = {
    "chat": _LLM,
    "completion": _LLM,
    "embedding": _RETRIEVAL,
    "rerank": _RETRIEVAL,
}
_OURS = {k.value: k for k in StepKind}

#: The attributes consulted, in order, with how each one's values map to kinds.
KIND_KEYS: tuple[tuple[str, Mapping[str, StepKind]], ...] = (
    ("agentreel.step.kind", _OURS),
    ("openinference.span.kind", _OPENINFERENCE),
    ("gen_ai.operation.name", _GEN_AI),
    ("traceloop.span.kind", _TRACELOOP),
    ("llm.request.type", _REQUEST_TYPE),
)


def kind_of(attrs: Mapping[str, JSON]) -> StepKind:
    """The step kind ``attrs`` declare (see the module docstring), ``custom`` if none."""
    for key, table in KIND_KEYS:
        value = attrs.get(key)
        if isinstance(value, str):
            kind = table.get(value) or table.get(value.upper()) or table.get(value.lower())
            if kind is not None:
                return kind
    return _CUSTOM
