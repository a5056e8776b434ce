"""The scripted agents' tools: decorated ``@agentreel.tool`` functions that do as told.

Each call takes its outcome (a result, or an exception to raise) from
``PENDING``, put there by the runner, and notes the step number it was
recorded as, so that the corpus can label steps by number.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import agentreel

from ._script import Call

PENDING: list[Call] = []
NUMBERS: list[int] = []


def _perform() -> Any:
    call = PENDING.pop()
    step = agentreel.current_step()
    NUMBERS.append(step.number if step is not None else -1)
    if call.fail is not None:
        raise call.fail.kind(call.fail.message)
    return call.result


@agentreel.tool(name="read_file")
def read_file(path: str, start_line: int = 1) -> Any:
    return _perform()


@agentreel.tool(name="write_file")
def write_file(path: str, content: str) -> Any:
    return _perform()


@agentreel.tool(name="edit_file")
def edit_file(path: str, old: str, new: str) -> Any:
    return _perform()


@agentreel.tool(name="run_tests")
def run_tests(path: str) -> Any:
    return _perform()


@agentreel.tool(name="search_code")
def search_code(query: str) -> Any:
    return _perform()


@agentreel.tool(name="run_command")
def run_command(command: str) -> Any:
    return _perform()


@agentreel.tool(name="fetch_url")
def fetch_url(url: str) -> Any:
    return _perform()


@agentreel.tool(name="query_db")
def query_db(sql: str, limit: int = 100) -> Any:
    return _perform()


TOOLS: dict[str, Callable[..., Any]] = {
    "read_file": read_file,
    "write_file": write_file,
    "edit_file": edit_file,
    "run_tests": run_tests,
    "search_code": search_code,
    "run_command": run_command,
    "fetch_url": fetch_url,
    "query_db": query_db,
}
_DESCRIPTIONS = {
    "read_file": "Read a file of the repository.",
    "write_file": "Write a whole file.",
    "edit_file": "Replace one exact occurrence of a text in a file.",
    "run_tests": "Run the tests of a file or folder.",
    "search_code": "Find lines that contain a text.",
    "run_command": "Run a shell command in the repository.",
    "fetch_url": "Fetch a web page.",
    "query_db": "Run a read-only SQL query.",
}


def schema_of(name: str) -> dict[str, Any]:
    """The JSON schema of a tool's arguments, from its Python signature."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(TOOLS[name]).parameters.values():
        kind = "integer" if param.annotation in ("int", int) else "string"
        properties[param.name] = {"type": kind}
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def declared(names: tuple[str, ...], vendor: str) -> list[dict[str, Any]]:
    if vendor == "anthropic":
        return [
            {"name": n, "description": _DESCRIPTIONS[n], "input_schema": schema_of(n)}
            for n in names
        ]
    return [
        {
            "type": "function",
            "function": {"name": n, "description": _DESCRIPTIONS[n], "parameters": schema_of(n)},
        }
        for n in names
    ]
