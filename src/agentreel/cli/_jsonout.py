"""Printing the machine-readable shapes of ``--json``.

The shapes themselves live in :mod:`agentreel._units`, shared with the server
(docs/cli.md documents them).
"""

from __future__ import annotations

from typing import Any

import orjson
from rich.console import Console

from agentreel._units import error_json, session_json, step_json, tokens_json, totals_json

__all__ = [
    "error_json",
    "print_json",
    "session_json",
    "step_json",
    "tokens_json",
    "totals_json",
]


def print_json(console: Console, value: Any, *, indent: bool = True) -> None:
    """Print ``value`` as JSON, untouched by rich (no wrapping, markup or emoji)."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    console.out(orjson.dumps(value, option=option).decode(), highlight=False)
