"""What the detectors are told: declared rules, tool schemas, thresholds and budgets."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agentreel.errors import ConfigurationError
from agentreel.model import JSON

__all__ = ["APPLIES_TO", "DetectorConfig", "Rule"]

#: What a rule is checked against: what the agent produced (its models'
#: answers and the arguments of the tools it ran), what its models were
#: given, or both.
APPLIES_TO = ("output", "input", "any")


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule the user declared, which the agent's work must keep.

    Give a ``pattern``, a regular expression that matches text *breaking* the
    rule (searched anywhere in it), or a ``check``, a callable that returns
    True when a text *keeps* the rule, or both (either one failing breaks it)::

        Rule("ts-strict", pattern=r'"strict"\\s*:\\s*false')
        Rule("no-force-push", check=lambda text: "push --force" not in text)

    Texts are checked one at a time: a model's answer, and each string in the
    arguments of a tool call (a file's new content, a shell command).
    """

    name: str
    pattern: str | None = None
    check: Callable[[str], bool] | None = None
    applies_to: str = "output"
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigurationError("a Rule needs a name, to say which rule was broken")
        if self.pattern is None and self.check is None:
            raise ConfigurationError(
                f"rule {self.name!r} has neither a pattern nor a check; give one of them"
            )
        if self.applies_to not in APPLIES_TO:
            raise ConfigurationError(
                f"rule {self.name!r}: applies_to={self.applies_to!r}; use one of {APPLIES_TO}"
            )
        if self.check is not None and not callable(self.check):
            raise ConfigurationError(f"rule {self.name!r}: check must be a callable")
        if self.pattern is not None:
            try:
                object.__setattr__(self, "_regex", re.compile(self.pattern))
            except re.error as exc:
                raise ConfigurationError(
                    f"rule {self.name!r}: the pattern {self.pattern!r} is not a valid "
                    f"regular expression ({exc}); fix it or use check= instead"
                ) from None

    def position(self, text: str) -> int:
        """Where the pattern matches in ``text`` (0 without a pattern or a match)."""
        match = self._regex.search(text) if self._regex is not None else None
        return match.start() if match else 0

    def broken_by(self, text: str) -> bool:
        """Whether ``text`` breaks the rule. A ``check`` that raises propagates."""
        if self._regex is not None and self._regex.search(text):
            return True
        return self.check is not None and not self.check(text)


_POSITIVE = (
    "baseline_sessions",
    "min_baseline_sessions",
    "spike_factor",
    "spike_z",
    "error_streak",
    "repeat_min",
    "cycle_max_period",
    "cycle_min_steps",
    "bloat_min_calls",
    "burn_window_s",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorConfig:
    """Settings of the detectors; every field has a default that suits most projects.

    Cost baselines are the project's ``baseline_sessions`` most recent
    sessions that started before the analysed one; with fewer than
    ``min_baseline_sessions`` of them, the session-wide cost check is skipped
    (and listed as unchecked). A value is a spike when it is at least
    ``spike_factor`` times the baseline median *and* ``spike_z`` robust
    standard deviations (scaled median absolute deviations) above it.
    """

    rules: tuple[Rule, ...] = ()
    #: JSON schemas of tool arguments by tool name; they override the schemas
    #: a request declares, and also check tool steps no model asked for.
    tool_schemas: Mapping[str, JSON] = field(default_factory=dict)
    baseline_sessions: int = 50
    min_baseline_sessions: int = 5
    spike_factor: float = 3.0
    spike_z: float = 5.0
    #: A model call smaller than this (input plus output tokens) is never a spike.
    min_step_tokens: int = 2_000
    #: Context bloat: a conversation of at least ``bloat_min_calls`` model
    #: calls whose prompt grows by ``bloat_tokens_per_call`` or more per call
    #: (median) and ends at ``bloat_min_prompt`` tokens or more.
    bloat_min_calls: int = 4
    bloat_tokens_per_call: int = 2_500
    bloat_min_prompt: int = 16_000
    #: USD the project may spend per day; None leaves the burn-rate check off.
    daily_budget_usd: float | None = None
    #: The window whose spend is projected over a day.
    burn_window_s: float = 3600.0
    #: Failed tool calls in a row that make a streak.
    error_streak: int = 3
    #: Identical consecutive steps that make a repetition.
    repeat_min: int = 3
    #: Cycles: a pattern of 2 to ``cycle_max_period`` steps repeated over at
    #: least ``cycle_min_steps`` steps (and at least twice).
    cycle_max_period: int = 6
    cycle_min_steps: int = 6

    def __post_init__(self) -> None:
        for name in _POSITIVE:
            value = getattr(self, name)
            if not isinstance(value, int | float) or value <= 0:
                raise ConfigurationError(
                    f"DetectorConfig.{name} must be a positive number, not {value!r}"
                )
        if self.daily_budget_usd is not None and self.daily_budget_usd <= 0:
            raise ConfigurationError(
                "DetectorConfig.daily_budget_usd must be positive, or None to turn the "
                "burn-rate check off"
            )
        if self.error_streak < 2 or self.repeat_min < 2:
            raise ConfigurationError("error_streak and repeat_min must be at least 2")
        for index, rule in enumerate(self.rules):
            if not isinstance(rule, Rule):
                raise ConfigurationError(f"DetectorConfig.rules[{index}] is not a Rule")
        for tool, schema in self.tool_schemas.items():
            if not isinstance(schema, Mapping):
                raise ConfigurationError(
                    f"DetectorConfig.tool_schemas[{tool!r}] must be a JSON schema object"
                )
