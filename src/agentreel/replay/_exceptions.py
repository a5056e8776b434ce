"""Recorded exceptions rebuilt as live ones, without trusting the recording.

A recorded error is a type name and a message. Builtin types are looked up
by name. Any other type is used only if its module is already imported and
the name leads to an exception class there; the lookup reads attributes
statically, so no module is imported and no code in it runs on behalf of
recorded data (no ``eval``, no ``pickle``). The class must rebuild the
recorded message from it: ``KeyError`` stores its key's repr, so a literal
message is parsed back with ``ast.literal_eval``. Anything else becomes a
:class:`ReplayedError` with the recorded type name and message.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
from typing import Any

from agentreel.model import ErrorInfo

from ._errors import ReplayedError

#: Longer messages are not parsed as literals (literal_eval is not free).
_MAX_LITERAL = 1000


def rebuild(error: ErrorInfo, note: str | None = None) -> BaseException:
    """A new exception object for ``error``; ``note`` is added to its notes."""
    exc = _instance(error)
    if note:
        exc.add_note(note)
    return exc


def _instance(error: ErrorInfo) -> BaseException:
    cls = resolve(error.type)
    if cls is not None:
        for arg in _arguments(error.message):
            try:
                exc = cls(arg)
            except Exception:
                continue
            if _message(exc) == error.message:
                return exc
    return ReplayedError(error.type, error.message)


def resolve(type_name: str) -> type[BaseException] | None:
    """The exception class ``type_name`` names, if it is safe to build; else None."""
    if "." not in type_name:
        return _exception_class(vars(builtins).get(type_name))
    if "<" in type_name:  # "<locals>": a class defined in a function cannot be found
        return None
    parts = type_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        found: Any = module
        for attr in parts[cut:]:
            # getattr_static: a module's __getattr__ (PEP 562) or a class's
            # descriptors could run code, or import things, on our behalf.
            found = inspect.getattr_static(found, attr, None)
            if found is None:
                break
        return _exception_class(found)
    return None


def _exception_class(value: object) -> type[BaseException] | None:
    if isinstance(value, type) and issubclass(value, BaseException):
        return value
    return None


def _arguments(message: str) -> list[object]:
    args: list[object] = [message]
    if len(message) <= _MAX_LITERAL:
        try:
            args.append(ast.literal_eval(message))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return args


def _message(exc: BaseException) -> str | None:
    try:
        return str(exc)
    except Exception:
        return None
