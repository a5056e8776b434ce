"""The body of the API's error answers; the session and step shapes are agentreel._units'.

The API answers with the CLI's ``--json`` shapes, key for key (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from agentreel._units import session_json, step_json

__all__ = ["error_body", "session_json", "step_json"]


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The body of every error answer: ``{"error": {"type", "message"}}``."""
    return {"error": {"type": kind, "message": message}}
