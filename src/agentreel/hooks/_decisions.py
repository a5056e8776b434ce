"""What a decide hook returns: allow, veto, replace or pause the step about to run.

Returning ``None`` means "no opinion": the next decider (in priority order) is
asked. The first decision that is not ``None`` wins. :class:`Annotate` is
"no opinion, but note this on the step": its attributes are recorded and the
next decider is asked. Every decision may carry ``attributes`` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UNSET", "Allow", "Annotate", "Decision", "Pause", "Replace", "Veto"]


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"


#: ``Replace`` fields left out: "keep what the step has".
UNSET: Any = _Unset()


@dataclass(frozen=True, slots=True)
class Allow:
    """Run the step as it is; later deciders are not asked.

    ``attributes`` (on every decision) are recorded on the step, see :class:`Annotate`.
    """

    reason: str = ""
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Veto:
    """Do not run the step: its caller gets :class:`~agentreel.errors.StepVetoed`."""

    reason: str
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Replace:
    """Run the step with another input, or skip it and give the caller ``output``.

    ``input`` is the step's new input: for a decorated function a mapping of
    parameter names to values (the ones given replace the caller's), for a
    model call the request fields to change (``{"messages": [...]}``), for a
    plan the new plan. ``output``, when given, is returned to the caller and
    the step's code does not run.
    """

    input: Any = UNSET
    output: Any = UNSET
    reason: str = ""
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """Hold the step before it runs until a person (or ``timeout``) resolves it.

    A paused step waits for a controller — ``agentreel attach``, the debugger
    or the web UI — to continue, edit, skip or abort it. With nobody to ask it
    resumes by itself after ``timeout`` seconds (``None``: the configured
    pause timeout, 300 s by default) with ``on_timeout``: ``"continue"`` or
    ``"skip"`` (an approval that nobody gave is a veto).
    """

    reason: str = ""
    timeout: float | None = None
    on_timeout: str = "continue"
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Annotate:
    """No opinion, but record ``attributes`` on the step; the next decider is asked.

    Keys are the hook's own (anything outside the ``agentreel.`` namespace,
    which is the recorder's) or ``agentreel.findings``, the list of detector
    findings that ``agentreel rca`` and ``postmortem`` read. Values are
    stored as JSON. A list under a key that already holds a list extends it
    (two hooks may both add findings); any other value replaces what is there.
    """

    attributes: Mapping[str, Any]


Decision = Allow | Veto | Replace | Pause | Annotate
