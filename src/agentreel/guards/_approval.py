"""Approval: matching steps wait for a person to let them run.

A step that matches pauses before it runs (a :class:`~agentreel.hooks.Pause`
decision): whoever controls the run — ``agentreel attach``, the debugger, the
web UI, or code holding ``agentreel.hooks.get_manager().board`` — continues
it, edits its input, skips it or aborts the run. With nobody answering
within ``timeout`` seconds the step is vetoed: an approval nobody gave is a
refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from agentreel.errors import ConfigurationError
from agentreel.hooks import Call, Pause, hookimpl

from ._common import check_positive, glob_regex

__all__ = ["Approval"]

_KINDS = ("llm", "tool", "plan")
Matcher = Callable[[Call], bool]


def _matcher(spec: str) -> Matcher:
    """``"tool"`` (a kind), ``"tool:delete_*"`` (a kind and a name glob), ``"deploy*"`` (a name)."""
    if spec in _KINDS:
        return lambda call: call.kind == spec
    kind, sep, name = spec.partition(":")
    if sep and kind in _KINDS:
        regex = glob_regex(name)
        return lambda call: call.kind == kind and regex.match(call.name) is not None
    regex = glob_regex(spec)
    return lambda call: regex.match(call.name) is not None


def _matchers(match: object) -> list[Matcher]:
    items = [match] if isinstance(match, str) or callable(match) else match
    if not isinstance(items, Iterable):
        raise ConfigurationError(
            f"Approval(match={match!r}): give a step kind, a 'kind:name-glob', a name glob, "
            "a predicate on the Call, or a list of those"
        )
    found: list[Matcher] = []
    for item in items:
        if isinstance(item, str) and item:
            found.append(_matcher(item))
        elif callable(item):
            found.append(item)
        else:
            raise ConfigurationError(
                f"Approval(match=...): {item!r} is neither a pattern string nor a predicate"
            )
    if not found:
        raise ConfigurationError("Approval(match=...) matches nothing; give at least one pattern")
    return found


class Approval:
    """Pause steps that ``match`` until a person decides; vetoed after ``timeout`` seconds.

    ``match`` is a step kind (``"tool"``, ``"llm"``, ``"plan"``), a kind and
    a name glob (``"tool:delete_*"``), a name glob of any kind
    (``"deploy*"``), a predicate taking the :class:`~agentreel.hooks.Call`,
    or a list of these (any one matching is enough). ``reason`` is shown to
    the person asked. A predicate that raises makes the step wait for
    approval too (the guard fails closed).
    """

    def __init__(
        self,
        match: str | Matcher | Iterable[str | Matcher],
        *,
        reason: str = "needs approval",
        timeout: float = 300.0,
    ) -> None:
        check_positive("Approval", "timeout", timeout)
        self._matchers = _matchers(match)
        self.reason = reason
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Approval(reason={self.reason!r}, timeout={self.timeout:g})"

    def matches(self, call: Call) -> bool:
        """Whether ``call`` needs approval."""
        return any(m(call) for m in self._matchers)

    @hookimpl(on_error="veto")
    def _decide(self, call: Call) -> Pause | None:
        try:
            needed = self.matches(call)
        except Exception as exc:
            # Fail closed, but towards a person rather than a refusal: they
            # can still approve the step.
            reason = f"{self.reason} (the approval rule raised {type(exc).__name__}: {exc})"
            return Pause(reason, timeout=self.timeout, on_timeout="skip")
        if not needed:
            return None
        return Pause(
            f"{self.reason}: {call.kind} {call.name}", timeout=self.timeout, on_timeout="skip"
        )

    before_model_call = _decide
    before_tool_call = _decide
    before_plan = _decide
