"""Redaction of secrets before anything is stored.

What is redacted, by default:

- values under keys whose name says they hold a credential (``api_key``,
  ``authorization``, ``password``, ``secret``, ``token``, ...), whatever they are;
- token-shaped secrets inside any string: OpenAI/Anthropic-style ``sk-`` keys,
  ``Bearer`` tokens, AWS access key ids, GitHub and Slack tokens, Google API
  keys, JSON Web Tokens, PEM private keys;
- the password in a URL's ``user:password@`` part.

A secret in prose without such a shape ("my password is hunter2") is not
found; structured data with a sensitive key name is the reliable path.

Scanning every stored string with a regular expression costs about 6 ns per
character in CPython, which would be most of the recorder's budget for a step
with a 1 KB attribute. Every token pattern above needs a run of at least 15
token characters (the shortest, a Slack token, is ``xoxb-`` and ten more; a
PEM key is found by its base64 body, whose lines are 64 characters), and a
URL password needs an ``@``; so a string is first searched for such a run
(:func:`has_token_run`), and only strings that pass this test meet the regular
expressions. That search is the C function of ``agentreel._speedups`` when the
package was built with a C compiler (about 0.3 ns a character), else its
pure-Python twin here (``bytes.translate`` to two classes, then a search for
the run: about 1.5 ns a character).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

MASK = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"(?i)(^|[_\-.])(api[_\-.]?key|apikey|auth|authorization|password|passwd|pwd|secret|"
    r"client[_\-.]?secret|access[_\-.]?token|refresh[_\-.]?token|id[_\-.]?token|token|"
    r"private[_\-.]?key|cookie|set[_\-.]?cookie|session[_\-.]?key|x[_\-.]api[_\-.]key)$"
)

_SECRET = re.compile(
    r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
    r"[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$))"
    r"|(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/=\-]{16,}"
    r"|sk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b"
    r"|\bxox[abprs]-[A-Za-z0-9\-]{10,}"
    # Not "\b" at the end: a key may end with "-", after which a space is no word boundary.
    r"|\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
)
# Run only on text containing "://": trying it at every position of a long
# token run (base64 data, say) would cost ten times the patterns above.
_URL_PASSWORD = re.compile(
    r"(?P<urlpre>\b[a-z][a-z0-9+.\-]{0,30}://[^\s:/@]{1,256}:)[^\s@/]{1,256}(?=@)"
)

TOKEN_CHARS = string.ascii_letters + string.digits + "_-+/=.~"
#: bytes.translate table: token characters become "a", everything else " ".
_CLASSES = bytes(ord("a") if chr(i) in TOKEN_CHARS else ord(" ") for i in range(256))
#: How many token characters in a row make a string secret-shaped.
TOKEN_RUN = 15
#: The shortest text any pattern matches ("a://b:c@", a URL password).
_MIN_LEN = 8
#: Key names whose verdict a redactor remembers.
_KNOWN_KEYS = 4096


def py_has_token_run(text: bytes | str, length: int) -> bool:
    """Whether ``text`` holds ``length`` or more token characters in a row.

    The pure-Python twin of ``agentreel._speedups.has_token_run``; a str is
    judged by its UTF-8 bytes, where no byte of a non-ASCII character is a
    token character.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return data.translate(_CLASSES).find(b"a" * length) >= 0


try:
    from agentreel._speedups import has_token_run as has_token_run
except ImportError:  # installed without a C compiler: the same answers, slower
    has_token_run = py_has_token_run


def _may_hold_secret(text: str) -> bool:
    if "@" in text:
        return True
    return len(text) >= TOKEN_RUN and has_token_run(text, TOKEN_RUN)


def may_hold_secret_bytes(data: bytes) -> bool:
    """The same test as for strings, on UTF-8 or JSON bytes."""
    # 64 is "@": ``b"@" in data`` would first try b"@" as an int and pay for
    # the TypeError that raises and clears.
    return 64 in data or has_token_run(data, TOKEN_RUN)


def _mask(match: re.Match[str]) -> str:
    groups = match.groupdict()
    kept = groups.get("bearer") or groups.get("urlpre") or ""
    return kept + MASK


class Redactor:
    """Replaces secrets in JSON-safe values; counts how many it replaced."""

    __slots__ = ("_known_keys", "count", "enabled", "extra_keys")

    def __init__(self, *, enabled: bool = True, extra_keys: tuple[str, ...] = ()) -> None:
        self.enabled = enabled
        self.extra_keys = frozenset(k.lower() for k in extra_keys)
        self.count = 0
        # Key names repeat (the same attribute and payload keys, step after
        # step), and searching one with _SENSITIVE_KEY costs about ten times a
        # lookup here: a suspected step's eight attribute keys cost more than
        # testing its strings.
        self._known_keys: dict[str, bool] = {}

    def is_sensitive_key(self, key: str) -> bool:
        known = self._known_keys
        sensitive = known.get(key)
        if sensitive is None:
            if len(known) >= _KNOWN_KEYS:
                known.clear()  # a cache: forgetting costs only the searches
            sensitive = known[key] = (
                key.lower() in self.extra_keys or _SENSITIVE_KEY.search(key) is not None
            )
        return sensitive

    def holds_sensitive_key(self, value: Any) -> bool:
        """Whether a dict anywhere in ``value`` has a key :meth:`value` would mask under."""
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str) and v is not None and v != "" and self.is_sensitive_key(k):
                    return True
                if self.holds_sensitive_key(v):
                    return True
        elif isinstance(value, list):
            return any(map(self.holds_sensitive_key, value))
        return False

    def text(self, text: str) -> str:
        if len(text) < _MIN_LEN or not _may_hold_secret(text):
            return text
        new, n = _SECRET.subn(_mask, text)
        if "://" in new:
            new, m = _URL_PASSWORD.subn(_mask, new)
            n += m
        self.count += n
        return new

    def value(self, value: Any) -> Any:
        """A copy of ``value`` with secrets masked (the same object if none were)."""
        if not self.enabled:
            return value
        return self._walk(value, self.text)

    def _walk(self, value: Any, text: Callable[[str], str]) -> Any:
        if isinstance(value, str):
            return text(value) if len(value) >= _MIN_LEN else value
        if isinstance(value, dict):
            out: dict[str, Any] | None = None
            for k, v in value.items():
                if isinstance(k, str) and v is not None and v != "" and self.is_sensitive_key(k):
                    new: Any = MASK
                    self.count += 1
                else:
                    new = self._walk(v, text)
                if new is not v:
                    if out is None:
                        out = dict(value)
                    out[k] = new
            return value if out is None else out
        if isinstance(value, list):
            items: list[Any] | None = None
            for i, v in enumerate(value):
                new = self._walk(v, text)
                if new is not v:
                    if items is None:
                        items = list(value)
                    items[i] = new
            return value if items is None else items
        return value
