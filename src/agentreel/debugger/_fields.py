"""The fields of a step that breakpoint conditions can read, and reading them.

Three sorts of names:

* scalars, always present (``null`` when a step has no value): ``cost``, ``model``...
* small records with fixed members: ``tokens.input``, ``error.type``...
* open documents, whose keys are whatever was recorded: ``attributes.KEY``,
  ``input.KEY``, ``output.KEY``. A key a step lacks is *missing*, which is not
  the same as null: the condition cannot be decided on that step.

Scalars and records are checked when a condition is parsed, so a typo fails at
``break`` time; keys of open documents can only be checked against a step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agentreel.model import JSON, Step

__all__ = ["FIELDS", "MissingField", "StepFields", "check_field"]

#: Every field name a condition may use, with what it holds (shown by ``help break``).
FIELDS: Mapping[str, str] = {
    "number": "the step number",
    "parent": "the parent's step number; null for a top-level step",
    "depth": "how deeply the step is nested; 0 for a top-level step",
    "children": "how many child steps it has",
    "kind": "agent, plan, llm, tool, retrieval, guardrail, hook, event or custom",
    "name": "the step's name",
    "status": "ok, error or running",
    "agent": "the name of the nearest agent step around it (itself if it is one); null if none",
    "model": "the model a model call used; null if none",
    "cost": "its own cost in US dollars; null when not priced",
    "duration": "in seconds; null while running",
    "duration_ms": "in milliseconds; null while running",
    "tokens": "input plus output tokens (also tokens.input, .output, .cached, .reasoning, .total)",
    "error": "'Type: message' of a failed step; null if it did not fail "
    "(also error.type, error.message)",
    "attributes": "the recorded attributes: attributes.KEY",
    "input": "the recorded input: input.KEY, input.messages.0.role, ...",
    "output": "the recorded output: output.KEY, ...",
}

_RECORDS: Mapping[str, frozenset[str]] = {
    "tokens": frozenset({"input", "output", "cached", "reasoning", "total"}),
    "error": frozenset({"type", "message"}),
}
_DOCUMENTS = frozenset({"attributes", "input", "output"})
_NS_PER_S = 1_000_000_000


class MissingField(LookupError):
    """A field a condition reads is absent from a step; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def check_field(path: Sequence[str]) -> str | None:
    """Why ``path`` can never name a step field, or None if it can."""
    root, rest = path[0], path[1:]
    if root not in FIELDS:
        return f"unknown field {root!r}; the fields are {', '.join(FIELDS)}"
    if root in _DOCUMENTS:
        return None
    members = _RECORDS.get(root)
    if members is None:
        return f"{root} has no members" if rest else None
    if len(rest) > 1 or (rest and rest[0] not in members):
        return f"{'.'.join(path)} is not a field; {root} has {', '.join(sorted(members))}"
    return None


class StepFields:
    """Reads fields of one step for a condition, loading payloads only when asked.

    ``payload(step, "input")`` returns a decoded payload; the stepper passes
    its cached loader so that a condition over ``input.*`` does not decode the
    same conversation twice.
    """

    def __init__(
        self,
        step: Step,
        *,
        depth: int,
        children: int,
        agent: str | None,
        payload: Callable[[Step, str], Any],
    ) -> None:
        self.step = step
        self._depth = depth
        self._children = children
        self._agent = agent
        self._payload = payload

    def __call__(self, path: Sequence[str]) -> JSON:
        root, rest = path[0], list(path[1:])
        if root in _DOCUMENTS:
            return self._document(path, root, rest)
        step = self.step
        if root == "tokens":
            u = step.usage
            if not rest:
                return u.total
            counts = {"input": u.input, "output": u.output, "cached": u.cached}
            counts.update(reasoning=u.reasoning, total=u.total)
            return counts[rest[0]]
        if root == "error":
            e = step.error
            if e is None:
                return None  # and so are error.type and error.message: null, not missing
            return e.summary() if not rest else {"type": e.type, "message": e.message}[rest[0]]
        return self._scalar(root)

    def _scalar(self, root: str) -> JSON:
        step = self.step
        duration = step.duration_ns
        match root:
            case "number":
                return step.number
            case "parent":
                return step.parent_number
            case "depth":
                return self._depth
            case "children":
                return self._children
            case "kind":
                return str(step.kind)
            case "name":
                return step.name
            case "status":
                return str(step.status)
            case "agent":
                return self._agent
            case "model":
                return step.model
            case "cost":
                return step.cost
            case "duration":
                return None if duration is None else duration / _NS_PER_S
            case "duration_ms":
                return None if duration is None else duration / (_NS_PER_S / 1000)
        raise MissingField(f"{root} is not a field")  # check_field keeps this from happening

    def _document(self, path: Sequence[str], root: str, rest: list[str]) -> JSON:
        step = self.step
        if root == "attributes":
            value: JSON = dict(step.attributes)
        else:
            ref = step.input_ref if root == "input" else step.output_ref
            if ref is None:
                raise MissingField(f"step {step.number} recorded no {root}")
            value = self._payload(step, root)
        remaining: list[str] | None = rest
        while remaining:
            value, remaining = _descend(value, remaining)
            if remaining is None:
                raise MissingField(f"step {step.number} has no {'.'.join(path)}")
        return value


def _descend(value: JSON, rest: list[str]) -> tuple[JSON, list[str] | None]:
    """One step down ``value`` along ``rest``; ``None`` for the rest when it is absent.

    Keys may contain dots themselves (OpenTelemetry attributes are named
    ``gen_ai.system``), so the longest run of segments that is a key wins.
    """
    if isinstance(value, dict):
        for end in range(len(rest), 0, -1):
            key = ".".join(rest[:end])
            if key in value:
                return value[key], rest[end:]
        return None, None
    if isinstance(value, list) and rest[0].isdigit():
        index = int(rest[0])
        if index < len(value):
            return value[index], rest[1:]
    return None, None
