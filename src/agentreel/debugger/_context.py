"""What the model had in front of it at a step.

At a model call, that is the call's input: the conversation it was sent. At any
other step it is the conversation of the nearest model call before it, and that
call's reply — the reply is what asked for the tool call, the plan or the
retrieval that follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agentreel.model import JSON, Step, StepKind

__all__ = ["ModelContext", "model_context"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelContext:
    """The model context at step ``at``.

    ``call`` is the model call it comes from (``at`` itself for a model call),
    ``input`` that call's decoded input (None if it recorded none) and
    ``reply`` its decoded output when ``at`` comes after the call (None
    otherwise, or when the call recorded no output).
    """

    at: Step
    call: Step
    input: JSON = None
    reply: JSON = None

    @property
    def after_call(self) -> bool:
        """Whether ``at`` is a later step than the call (so ``reply`` belongs to the context)."""
        return self.at.number != self.call.number


def model_context(
    steps: Sequence[Step], index: int, payload: Callable[[Step, str], JSON]
) -> ModelContext | None:
    """The context at ``steps[index]`` (steps in number order), or None when no
    model call comes at or before it. ``payload(step, "input")`` decodes one."""
    at = steps[index]
    for i in range(index, -1, -1):
        call = steps[i]
        if call.kind is not StepKind.LLM:
            continue
        messages = payload(call, "input") if call.input_ref is not None else None
        reply = None
        if i != index and call.output_ref is not None:
            reply = payload(call, "output")
        return ModelContext(at=at, call=call, input=messages, reply=reply)
    return None
