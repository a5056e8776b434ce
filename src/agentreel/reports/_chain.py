"""The failing step of a session and the model call behind it.

A failure usually surfaces several times: a tool raises, the agent step around
it fails with the same exception, the session ends with it. The *root* is the
failed step that is not just passing on an error from one of its
descendants. For a failing tool step the cause is the model call whose
answer asked for that call with those arguments; what that model was shown
(its system prompt, the last user message, the tool results it had read) is
usually where the mistake came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentreel.errors import MissingPayload
from agentreel.model import ErrorInfo, Status, Step, StepKind, StepTree
from agentreel.storage import Store, load_payload

from ._messages import (
    ToolCallSeen,
    content_text,
    request_messages,
    tool_call_names,
    tool_calls_in,
    tools_offered,
)
from ._model import Cause, CauseMatch, FailingStep, ModelContext, StepRef, ToolResultSeen
from ._text import clip

__all__ = ["Payloads", "find_cause", "path_of", "root_failures"]

#: Earlier model calls searched for the one that asked for a tool call.
SEARCH_WINDOW = 50
SYSTEM_HEAD = 300
LAST_USER = 500
TOOL_RESULT = 240
TOOL_RESULTS = 5
#: Attribute keys under which instrumentations record a tool call's id.
CALL_ID_KEYS = ("gen_ai.tool.call.id", "tool_call_id", "tool.call_id", "tool_call.id")


class Payloads:
    """One store's payloads, each read once; a missing one reads as None and is noted."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._values: dict[str, Any] = {}
        self.missing: list[str] = []

    def get(self, ref: str | None) -> Any:
        if ref is None:
            return None
        if ref not in self._values:
            try:
                self._values[ref] = load_payload(self.store, ref)
            except MissingPayload:
                self.missing.append(ref)
                self._values[ref] = None
        return self._values[ref]


def path_of(step: Step, by_number: Mapping[int, Step]) -> tuple[str, ...]:
    """Names of ``step``'s ancestors, outermost first."""
    names: list[str] = []
    seen = {step.number}
    parent = step.parent_number
    while parent is not None and parent in by_number and parent not in seen:
        seen.add(parent)
        names.append(by_number[parent].name)
        parent = by_number[parent].parent_number
    return tuple(reversed(names))


def _short_type(error: ErrorInfo) -> str:
    return error.type.rsplit(".", 1)[-1]


def _passes_on(outer: ErrorInfo, inner: ErrorInfo) -> bool:
    """Whether ``outer`` reads as ``inner`` raised again, wrapped or re-worded around it."""
    if outer.type == inner.type and outer.message == inner.message:
        return True
    if inner.message and inner.message in outer.message:
        return True
    return f"{_short_type(inner)}:" in outer.message


def _failed_descendants(tree: StepTree, step: Step) -> list[Step]:
    found: list[Step] = []
    stack = list(tree.children_of(step.number))
    while stack:
        child = stack.pop()
        if child.status is Status.ERROR:
            found.append(child)
        stack.extend(tree.children_of(child.number))
    return sorted(found, key=lambda s: s.number)


def root_failures(steps: Sequence[Step]) -> list[FailingStep]:
    """The session's root failures in step order, each with the ancestors it failed."""
    tree = StepTree.build(steps)
    by_number = {s.number: s for s in steps}
    # relay → the failed descendant whose error it passes on. The latest one
    # is the likeliest: a parent fails right after the child that made it fail.
    relays: dict[int, int] = {}
    for step in tree.steps:
        if step.status is not Status.ERROR:
            continue
        for inner in reversed(_failed_descendants(tree, step)):
            if step.error is None or inner.error is None or _passes_on(step.error, inner.error):
                relays[step.number] = inner.number
                break
    relayed_by: dict[int, list[Step]] = {}
    for outer in sorted(relays, reverse=True):
        root = relays[outer]
        # A relay may pass on another relay's error: follow it to the root.
        while root in relays:
            root = relays[root]
        relayed_by.setdefault(root, []).append(by_number[outer])
    return [
        FailingStep(
            step=StepRef.of(step, path_of(step, by_number)),
            propagated_by=tuple(
                StepRef.of(outer, path_of(outer, by_number))
                for outer in relayed_by.get(step.number, ())
            ),
        )
        for step in tree.steps
        if step.status is Status.ERROR and step.number not in relays
    ]


def _call_id(step: Step) -> str | None:
    for key in CALL_ID_KEYS:
        value = step.attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _same_arguments(arguments: Any, given: Any) -> bool:
    if arguments == given:
        return True
    # Instrumentations wrap tool inputs differently; look one level in.
    if isinstance(given, Mapping) and len(given) == 1:
        (inner,) = given.values()
        return bool(arguments == inner)
    return False


def _find_call(
    step: Step, candidates: Sequence[Step], payloads: Payloads
) -> tuple[Step, ToolCallSeen, CauseMatch] | None:
    wanted_id = _call_id(step)
    given = payloads.get(step.input_ref)
    by_name: tuple[Step, ToolCallSeen] | None = None
    for llm in candidates:
        for call in tool_calls_in(payloads.get(llm.output_ref)):
            if wanted_id is not None and call.id == wanted_id:
                return llm, call, "call-id"
            if call.name == step.name and _same_arguments(call.arguments, given):
                return llm, call, "arguments"
            if call.name == step.name and by_name is None:
                by_name = (llm, call)
    if by_name is not None:
        return by_name[0], by_name[1], "name"
    return None


def _context(step: Step, payloads: Payloads) -> tuple[ModelContext | None, str | None]:
    request = payloads.get(step.input_ref)
    if request is None:
        why = "missing from the store" if step.input_ref in payloads.missing else "not recorded"
        return None, f"the request of step {step.number} is {why}"
    messages = request_messages(request)
    if messages is None:
        return None, f"the request of step {step.number} is not in a chat shape agentreel reads"
    system = [content_text(m.get("content")) for m in messages if m.get("role") == "system"]
    users = [m for m in messages if m.get("role") == "user" and not _only_results(m)]
    names = tool_call_names(messages)
    results = [r for m in messages for r in _results(m, names)]
    return (
        ModelContext(
            model=step.model,
            messages=len(messages),
            system_head=clip("\n".join(system), SYSTEM_HEAD) if system else None,
            last_user=clip(content_text(users[-1].get("content")), LAST_USER) if users else None,
            tool_results=tuple(results[-TOOL_RESULTS:]),
            tool_results_omitted=max(len(results) - TOOL_RESULTS, 0),
            tools_offered=tuple(tools_offered(request)),
        ),
        None,
    )


def _only_results(message: Mapping[str, Any]) -> bool:
    content = message.get("content")
    return (
        isinstance(content, list)
        and bool(content)
        and all(isinstance(p, Mapping) and p.get("type") == "tool_result" for p in content)
    )


def _results(message: Mapping[str, Any], names: Mapping[str, str]) -> list[ToolResultSeen]:
    if message.get("role") == "tool":
        call_id = message.get("tool_call_id")
        call_id = call_id if isinstance(call_id, str) else None
        name = message.get("name")
        return [
            ToolResultSeen(
                tool=name if isinstance(name, str) else names.get(call_id or ""),
                call_id=call_id,
                text=clip(content_text(message.get("content")), TOOL_RESULT),
            )
        ]
    content = message.get("content")
    found: list[ToolResultSeen] = []
    if isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "tool_result":
                call_id = part.get("tool_use_id")
                call_id = call_id if isinstance(call_id, str) else None
                found.append(
                    ToolResultSeen(
                        tool=names.get(call_id or ""),
                        call_id=call_id,
                        text=clip(content_text(part.get("content")), TOOL_RESULT),
                        is_error=part.get("is_error") is True,
                    )
                )
    return found


def find_cause(
    failing: Step, steps: Sequence[Step], payloads: Payloads
) -> tuple[Cause | None, str | None]:
    """The model call behind ``failing`` and what it saw, or None and why not."""
    by_number = {s.number: s for s in steps}
    if failing.kind is StepKind.LLM:
        context, note = _context(failing, payloads)
        ref = StepRef.of(failing, path_of(failing, by_number))
        return Cause(llm_step=ref, match="self", context=context, context_note=note), None
    if failing.kind is not StepKind.TOOL:
        return None, f"step {failing.number} is a {failing.kind} step, not a tool or model call"
    earlier = [s for s in steps if s.kind is StepKind.LLM and s.number < failing.number]
    candidates = sorted(earlier, key=lambda s: s.number, reverse=True)[:SEARCH_WINDOW]
    if not candidates:
        return None, f"no model call precedes step {failing.number}"
    found = _find_call(failing, candidates, payloads)
    if found is None:
        return None, (
            f"none of the {len(candidates)} model calls before step {failing.number} "
            f"asked for a {failing.name!r} call"
        )
    llm, call, match = found
    context, note = _context(llm, payloads)
    cause = Cause(
        llm_step=StepRef.of(llm, path_of(llm, by_number)),
        match=match,
        tool_call_id=call.id,
        tool_call_name=call.name,
        tool_call_arguments=call.arguments,
        context=context,
        context_note=note,
    )
    return cause, None
