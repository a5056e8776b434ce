"""What several guards need: reading a call's request, digests, globs, option checks."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from agentreel.errors import ConfigurationError
from agentreel.hooks import Call

__all__ = [
    "PROMPT_FIELDS",
    "check_choice",
    "check_positive",
    "digest",
    "estimate_tokens",
    "glob_regex",
    "matches_any",
    "model_of",
    "prompt_text",
    "request_body",
]

#: Request fields that are sent to the model as its prompt (OpenAI chat and
#: Responses, Anthropic messages, Gemini, legacy completions). Everything
#: else in a request (model name, sampling settings) costs no input tokens.
PROMPT_FIELDS = (
    "system",
    "instructions",
    "messages",
    "input",
    "prompt",
    "contents",
    "tools",
    "functions",
)


def request_body(call: Call) -> dict[str, Any]:
    """The request a model call sends, whichever way the step was recorded.

    A request of the openai or anthropic client is recorded as the HTTP
    request (``{"method", "url", "headers", "body"}``): its JSON body is the
    request. A decorated ``@agentreel.llm`` function's input is its
    arguments by name, which play the same part.
    """
    value = call.input
    if not isinstance(value, dict):
        return {}
    body = value.get("body")
    if isinstance(body, dict) and "method" in value and "url" in value:
        return body
    return value


def model_of(call: Call, body: dict[str, Any]) -> str | None:
    """The model a call asks for: the step's model, or the request's ``model`` field."""
    if call.model:
        return call.model
    model = body.get("model")
    return model if isinstance(model, str) else None


def prompt_text(body: dict[str, Any]) -> str:
    """The part of a request the model reads, as compact JSON text.

    Only :data:`PROMPT_FIELDS` count when the request has any of them; a
    request with none of them (a decorated function with other parameter
    names) counts as a whole.
    """
    parts = {k: body[k] for k in PROMPT_FIELDS if k in body}
    return json.dumps(parts or body, ensure_ascii=False, separators=(",", ":"), default=str)


def estimate_tokens(text: str, chars_per_token: float) -> int:
    """Tokens in ``text`` by the characters-per-token rule (rounded up)."""
    return math.ceil(len(text) / chars_per_token) if text else 0


def digest(value: Any) -> str:
    """A short digest of a JSON value, equal for equal values whatever their key order."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@lru_cache(maxsize=512)
def glob_regex(pattern: str, *, paths: bool = False) -> re.Pattern[str]:
    """A compiled regex for a glob.

    ``*`` matches any run of characters and ``?`` one, ``[...]`` a set. With
    ``paths=True`` they stop at ``/`` and ``**`` crosses directories
    (``/work/**`` is ``/work`` and everything under it; ``**/*.py`` any
    Python file).
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    one = "[^/]" if paths else "."
    while i < n:
        c = pattern[i]
        if paths and pattern[i:] == "/**":
            out.append("(?:/.*)?")  # a directory and everything under it
            break
        if paths and pattern.startswith("**", i):
            i += 2
            if i < n and pattern[i] == "/":
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        if c == "*":
            out.append(one + "*")
        elif c == "?":
            out.append(one)
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(c))
            else:
                inner = pattern[i + 1 : end]
                negate = inner.startswith("!")
                inner = re.escape(inner[1:] if negate else inner).replace(r"\-", "-")
                out.append(f"[{'^' if negate else ''}{inner}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def matches_any(name: str, patterns: Iterable[str]) -> str | None:
    """The first of ``patterns`` (globs) that ``name`` matches, or None."""
    for pattern in patterns:
        if glob_regex(pattern).match(name):
            return pattern
    return None


def check_positive(owner: str, name: str, value: float | None) -> None:
    """Raise ``ConfigurationError`` unless ``value`` is None or a positive number."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{owner}({name}=...) must be a positive number, not {value!r}")


def check_choice(owner: str, name: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise ``ConfigurationError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigurationError(
            f"{owner}({name}={value!r}): use one of {', '.join(map(repr, choices))}"
        )
