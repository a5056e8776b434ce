"""Colours and short forms shared by the commands' rich output."""

from __future__ import annotations

from agentreel.model import Status, StepKind

__all__ = ["ID_PREFIX", "KIND_STYLE", "STATUS_STYLE", "short_id"]

#: Characters of a session id that listings show; any unique prefix is accepted back.
ID_PREFIX = 12

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


def short_id(session_id: str) -> str:
    return session_id[:ID_PREFIX]
