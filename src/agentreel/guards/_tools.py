"""ToolPolicy: which tools may run, and with what arguments.

Checked before each tool call, in this order, the first problem vetoing
the call: the tool's name against ``deny`` and ``allow``; its arguments
against the tool's JSON schema (the JSON-schema subset the tool-misuse
detector checks, see ``agentreel.detectors``); path arguments against the
allowed path globs; command arguments against the denied command patterns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentreel.detectors import check_arguments
from agentreel.errors import ConfigurationError
from agentreel.hooks import Call, Veto, hookimpl

from ._common import glob_regex, matches_any

__all__ = ["ToolPolicy"]

#: Argument names (globs) that hold a shell command, unless told otherwise.
COMMAND_ARGS = ("command", "cmd", "script", "shell")


def _names(owner: str, value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not isinstance(item, str) or not item:
            raise ConfigurationError(f"ToolPolicy({owner}=...) must hold tool names, not {item!r}")
    return items


def normalise_path(value: str, base: str | None) -> str:
    """``value`` as an absolute path with ``~``, ``.``, ``..`` and symbolic links resolved.

    Symbolic links are resolved (as far as the path exists) so that a link
    inside an allowed directory cannot lead outside it.
    """
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        path = os.path.join(base if base is not None else os.getcwd(), path)
    return os.path.realpath(path)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


class ToolPolicy:
    """Allow and deny lists, argument schemas, path and command rules for tool calls.

    * ``allow``: tool names (globs) that may run; ``None`` allows any tool
      that is not denied. A tool not in ``allow`` is vetoed as unknown.
    * ``deny``: tool names (globs) that may never run.
    * ``schemas``: ``{tool: JSON schema}`` its arguments must satisfy.
    * ``paths``: ``{argument name or glob: allowed path globs}``. A string (or
      list of strings) argument of that name must be a path inside one of the
      globs (``"/work/**"``), after ``~``, ``..`` and symbolic links are
      resolved; relative paths are taken from ``base`` (default: the current
      directory when the call is checked).
    * ``commands``: regular expressions a command argument must not match
      (searched, case-sensitive); ``command_args`` names the arguments
      (globs) that hold commands. A list argument (argv) is joined with
      spaces. Patterns are a tripwire, not a sandbox: a shell can spell a
      command in many ways.

    Fails closed: if checking raises, the call is vetoed.
    """

    def __init__(
        self,
        *,
        allow: Iterable[str] | None = None,
        deny: Iterable[str] = (),
        schemas: Mapping[str, Mapping[str, Any]] | None = None,
        paths: Mapping[str, Sequence[str] | str] | None = None,
        base: str | os.PathLike[str] | None = None,
        commands: Iterable[str] = (),
        command_args: Iterable[str] = COMMAND_ARGS,
    ) -> None:
        self.allow = _names("allow", allow)
        self.deny = _names("deny", deny) or ()
        self.schemas = dict(schemas or {})
        for tool, schema in self.schemas.items():
            if not isinstance(schema, Mapping):
                raise ConfigurationError(
                    f"ToolPolicy(schemas=...): the schema of {tool!r} must be a JSON schema "
                    f"object, not {type(schema).__name__}"
                )
        self.base = None if base is None else os.path.realpath(os.fspath(base))
        self.paths: dict[str, tuple[str, ...]] = {}
        for arg, globs in (paths or {}).items():
            allowed = _names("paths", globs) or ()
            self.paths[arg] = tuple(self._absolute(g) for g in allowed)
        self.commands: list[re.Pattern[str]] = []
        for pattern in commands:
            try:
                self.commands.append(re.compile(pattern))
            except (re.error, TypeError) as exc:
                raise ConfigurationError(
                    f"ToolPolicy(commands=...): {pattern!r} is not a regular expression ({exc})"
                ) from None
        self.command_args = _names("command_args", command_args) or ()

    def _absolute(self, pattern: str) -> str:
        # The allowed globs are resolved like the paths they are matched with
        # (on macOS /tmp is /private/tmp), up to their first wildcard.
        head, _, _ = pattern.partition("*")
        head = head.split("?")[0].split("[")[0]
        cut = head.rfind("/") + 1 if "/" in head else 0
        fixed, rest = pattern[:cut], pattern[cut:]
        if not fixed:
            fixed = "."
        real = normalise_path(fixed, self.base)
        return real.rstrip("/") + "/" + rest if rest else real

    def __repr__(self) -> str:
        return f"ToolPolicy(allow={self.allow}, deny={self.deny})"

    # -- checks ----------------------------------------------------------------------

    def check(self, call: Call) -> str | None:
        """Why ``call`` may not run, or None if it may."""
        name = call.name
        denied = matches_any(name, self.deny)
        if denied is not None:
            return f"tool {name!r} is denied (by {denied!r})"
        if self.allow is not None and matches_any(name, self.allow) is None:
            return f"tool {name!r} is not an allowed tool (allowed: {', '.join(self.allow)})"
        arguments = call.arguments
        schema = self.schemas.get(name)
        if schema is not None:
            found = check_arguments(arguments, schema)
            if found.errors:
                return f"arguments of {name!r} break its schema: {'; '.join(found.errors)}"
        for arg, value in arguments.items():
            for problem in (self._path(arg, value), self._command(arg, value)):
                if problem is not None:
                    return f"{name!r} argument {arg!r}: {problem}"
        return None

    def _path(self, arg: str, value: Any) -> str | None:
        for key, allowed in self.paths.items():
            if not glob_regex(key).match(arg):
                continue
            for text in _strings(value):
                real = normalise_path(text, self.base)
                if not any(glob_regex(g, paths=True).match(real) for g in allowed):
                    return f"path {text!r} ({real}) is outside the allowed paths {list(allowed)}"
            if not _strings(value) and value is not None:
                return f"expected a path, got {type(value).__name__}"
        return None

    def _command(self, arg: str, value: Any) -> str | None:
        if not self.commands or matches_any(arg, self.command_args) is None:
            return None
        strings = _strings(value)
        text = " ".join(strings) if isinstance(value, list | tuple) else "".join(strings)
        for pattern in self.commands:
            if pattern.search(text):
                return f"command {text!r} matches the denied pattern {pattern.pattern!r}"
        return None

    # -- hook --------------------------------------------------------------------------

    @hookimpl(on_error="veto")
    def before_tool_call(self, call: Call) -> Veto | None:
        problem = self.check(call)
        return None if problem is None else Veto(problem)
