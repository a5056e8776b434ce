"""Declared rules broken by what the agent produced (or was given).

Rules that apply to ``output`` are checked against each model answer's text
and each string in the arguments of the tool calls it asked for; a tool step
that carried out a rule-breaking call joins the call's finding. Tool steps no
model call accounts for are checked on their own input. Rules that apply to
``input`` are checked against the instructions and messages sent to models;
each message is checked once, at the first call that sent it.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentreel.model import JSON, StepKind

from ._config import Rule
from ._context import Context, excerpt
from ._findings import CONTEXT_DRIFT
from ._shapes import text_of

__all__ = ["detect_rules", "strings_in"]


def strings_in(value: JSON, limit: int = 10_000) -> Iterator[str]:
    """Every string inside a JSON value (keys excluded), at most ``limit`` of them."""
    stack = [value]
    seen = 0
    while stack and seen < limit:
        item = stack.pop()
        if isinstance(item, str):
            seen += 1
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


class _Checker:
    def __init__(self, ctx: Context, rule: Rule) -> None:
        self.ctx = ctx
        self.rule = rule
        self.failed = False

    def first_breach(self, texts: Iterator[str] | list[str]) -> str | None:
        """The first text that breaks the rule (None if all keep it, or the check failed)."""
        if self.failed:
            return None
        for text in texts:
            try:
                if self.rule.broken_by(text):
                    return text
            except Exception as exc:  # the user's callable; one failure turns the rule off
                self.failed = True
                self.ctx.note(
                    CONTEXT_DRIFT,
                    f"rule {self.rule.name!r}: its check raised {type(exc).__name__}: {exc}; "
                    "the rule was not checked further",
                )
                return None
        return None

    def where(self, text: str) -> str:
        return excerpt(text, self.rule.position(text))


def _outputs(ctx: Context, checker: _Checker) -> None:
    view, rule = ctx.view, checker.rule
    covered: set[int] = set()
    for step in view.of_kind(StepKind.LLM):
        reply = view.reply(step)
        if reply is None:
            continue
        steps = [step.number]
        shown: str | None = checker.first_breach([reply.text] if reply.text else [])
        executed = view.executed(step, reply.tool_calls) if reply.tool_calls else []
        for call, ran in zip(reply.tool_calls, executed, strict=True):
            args = [call.raw] if call.malformed and call.raw else strings_in(call.arguments)
            breach = checker.first_breach(args)
            if breach is not None:
                shown = shown or breach
                if ran is not None:
                    steps.append(ran.number)
            if ran is not None:
                covered.add(ran.number)
        if shown is not None:
            covered.update(steps)
            ctx.add(
                CONTEXT_DRIFT,
                "rule-violated",
                "error",
                steps,
                f"step {step.number}: the model's answer breaks the rule {rule.name!r}: "
                f"“{checker.where(shown)}”",
                rule=rule.name,
                excerpt=checker.where(shown),
            )
    for step in view.steps:
        if step.kind not in (StepKind.TOOL, StepKind.RETRIEVAL) or step.number in covered:
            continue
        breach = checker.first_breach(strings_in(view.input(step)))
        if breach is not None:
            ctx.add(
                CONTEXT_DRIFT,
                "rule-violated",
                "error",
                (step.number,),
                f"step {step.number}: the arguments of {step.name} break the rule "
                f"{rule.name!r}: “{checker.where(breach)}”",
                rule=rule.name,
                excerpt=checker.where(breach),
            )


def _fetch_messages(ctx: Context) -> None:
    """Fetch every message of every conversation in one go (done once per analysis)."""
    view = ctx.view
    wanted: set[str] = set()
    for step in view.of_kind(StepKind.LLM):
        request = view.request(step)
        if request is not None and request.messages is not None:
            items = view.payloads.fresh(request.messages)
            wanted.update(k for i in items if (k := view.payloads.item_key(i)) is not None)
    view.payloads.prefetch(wanted)


def _inputs(ctx: Context, checker: _Checker) -> None:
    view, rule = ctx.view, checker.rule
    # The first checks read only the head of each conversation; this one reads all of it.
    ctx.once("all-messages", lambda: _fetch_messages(ctx))
    seen: set[str] = set()
    for step in view.of_kind(StepKind.LLM):
        request = view.request(step)
        if request is None:
            continue
        texts: list[str] = [t for t in request.instructions if t not in seen]
        seen.update(texts)
        if request.messages is not None:
            for item in view.payloads.fresh(request.messages):
                key = view.payloads.item_key(item)
                if key is not None and key in seen:
                    continue
                if key is not None:
                    seen.add(key)
                message = view.payloads.build(item)
                if isinstance(message, dict):
                    texts.append(text_of(message.get("content")))
        breach = checker.first_breach([t for t in texts if t])
        if breach is not None:
            ctx.add(
                CONTEXT_DRIFT,
                "rule-violated",
                "warning",
                (step.number,),
                f"step {step.number}: the model was given text that breaks the rule "
                f"{rule.name!r}: “{checker.where(breach)}”",
                rule=rule.name,
                excerpt=checker.where(breach),
                applies_to="input",
            )


def _applies(rule: Rule, side: str) -> bool:
    return rule.applies_to in (side, "any")


def detect_rules(ctx: Context) -> None:
    for rule in ctx.config.rules:
        if _applies(rule, "output"):
            _outputs(ctx, _Checker(ctx, rule))
        if _applies(rule, "input"):
            _inputs(ctx, _Checker(ctx, rule))
