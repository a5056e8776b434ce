"""The HTTP libraries the official clients are built on: ``httpx`` and ``httpx2``.

Older ``openai`` and ``anthropic`` releases use ``httpx``; current ones use its
maintained continuation ``httpx2``, which has the same API under another name
(``httpx2.alias_httpx()`` can even make them one module). Everything here
works on whichever library a request came from, found from the request
object itself, so a response is always built from the classes the client
that sent the request expects.

Type annotations name ``httpx2``; at run time the same code serves ``httpx``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

#: Import names of the supported libraries, in the order they are patched.
LIBRARY_NAMES = ("httpx2", "httpx")


def library_of(obj: object) -> ModuleType:
    """The library (``httpx`` or ``httpx2`` module) that defines ``obj``'s class."""
    return sys.modules[type(obj).__module__.partition(".")[0]]


def installed_libraries() -> list[ModuleType]:
    """The supported libraries that are installed, imported, each module once.

    ``httpx2.alias_httpx()`` makes ``httpx`` the very same module as
    ``httpx2``; patching it twice would capture every request twice.
    """
    found: list[ModuleType] = []
    for name in LIBRARY_NAMES:
        if name not in sys.modules and importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        if all(module is not seen for seen in found):
            found.append(module)
    return found


def base_library() -> ModuleType:
    """The library whose base transport classes the explicit transports subclass.

    Only the class hierarchy depends on it: requests from either library are
    served with that library's own classes.
    """
    libraries = installed_libraries()
    if not libraries:
        raise ImportError(
            "agentreel.integrations needs httpx2 or httpx, which the openai and anthropic "
            "clients install: pip install openai (or anthropic)"
        )
    return libraries[0]
