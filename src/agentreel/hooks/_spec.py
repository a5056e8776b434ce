"""Every hook agentreel calls, declared once, with its semantics and its input.

A plugin is any object with methods named after these hooks (any subset).
Three semantics, kept apart:

* **observe** — told what happened. Called on a background thread, in order,
  never blocking the agent; may not change anything; an exception is
  contained and counted.
* **decide** — asked before a step runs. Returns a decision (Allow, Veto,
  Replace, Pause) or ``None`` for no opinion; the first decision in priority
  order wins, and it is recorded on the step.
* **wrap** — a generator function around a call: the code before its
  ``yield`` runs before the call, and ``yield`` gives it the call's
  :class:`~agentreel.hooks.Outcome` (result or exception).

Every hook takes exactly one argument, a frozen dataclass, so that fields
can be added without breaking plugins.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DECIDE", "OBSERVE", "SPECS", "WRAP", "HookSpec"]

OBSERVE = "observe"
DECIDE = "decide"
WRAP = "wrap"


@dataclass(frozen=True, slots=True)
class HookSpec:
    """One hook: its name, semantics, the step kinds it fires for, and its contract."""

    name: str
    semantics: str
    #: The input dataclass's name (``SessionEvent``, ``StepEvent``, ``Call``).
    takes: str
    #: Step kinds a decide or wrap hook is asked about; empty for observers.
    kinds: frozenset[str]
    doc: str


def _spec(name: str, semantics: str, takes: str, kinds: tuple[str, ...], doc: str) -> HookSpec:
    return HookSpec(name, semantics, takes, frozenset(kinds), " ".join(doc.split()))


SPECS: dict[str, HookSpec] = {
    s.name: s
    for s in (
        _spec(
            "on_session_start",
            OBSERVE,
            "SessionEvent",
            (),
            "A session started. Called once per session, before any of its steps' events.",
        ),
        _spec(
            "on_session_end",
            OBSERVE,
            "SessionEvent",
            (),
            "A session ended, with its status and error. Called after its steps' events.",
        ),
        _spec(
            "on_step_start",
            OBSERVE,
            "StepEvent",
            (),
            "A step started: its number, kind, name, parent and input are known.",
        ),
        _spec(
            "on_step_end",
            OBSERVE,
            "StepEvent",
            (),
            "A step ended, with its output or error, tokens and cost.",
        ),
        _spec(
            "on_error",
            OBSERVE,
            "StepEvent",
            (),
            "A step ended with an error (called after on_step_end for that step).",
        ),
        _spec(
            "before_model_call",
            DECIDE,
            "Call",
            ("llm",),
            "A model call is about to be made (a decorated @llm function or a request of "
            "the openai or anthropic client). Return Allow, Veto, Replace (input: the "
            "request fields to change; output: an answer to serve instead), Pause or None.",
        ),
        _spec(
            "before_tool_call",
            DECIDE,
            "Call",
            ("tool",),
            "A tool is about to run. Return Allow, Veto, Replace (input: arguments by "
            "name; output: a result to return instead), Pause or None.",
        ),
        _spec(
            "before_plan",
            DECIDE,
            "Call",
            ("plan",),
            "A plan is about to be carried out (agentreel.plan). Return Allow to approve "
            "it, Veto to reject it, Replace(input=...) to edit it, Pause to ask a person.",
        ),
        _spec(
            "around_model_call",
            WRAP,
            "Call",
            ("llm",),
            "A generator around a model call: code before `yield` runs first, the yield "
            "returns the Outcome. It sees; it cannot change the result.",
        ),
        _spec(
            "around_tool_call",
            WRAP,
            "Call",
            ("tool",),
            "A generator around a tool call, like around_model_call.",
        ),
    )
}
