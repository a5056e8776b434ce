"""Colours and short forms shared by the commands' rich output."""

from __future__ import annotations

from agentreel._units import ID_PREFIX, short_id
from agentreel.model import Status, StepKind

__all__ = ["ID_PREFIX", "KIND_STYLE", "STATUS_STYLE", "short_id"]

STATUS_STYLE: dict[Status, str] = {
    Status.OK: "green",
    Status.ERROR: "bold red",
    Status.RUNNING: "yellow",
}

KIND_STYLE: dict[StepKind, str] = {
    StepKind.AGENT: "bold magenta",
    StepKind.PLAN: "blue",
    StepKind.LLM: "cyan",
    StepKind.TOOL: "green",
    StepKind.RETRIEVAL: "blue",
    StepKind.GUARDRAIL: "yellow",
    StepKind.HOOK: "yellow",
    StepKind.EVENT: "dim",
    StepKind.CUSTOM: "white",
}
