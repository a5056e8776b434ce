"""Redaction of secrets before anything is stored: the one walk of recorder and ingest.

What is redacted, by default:

- values under keys whose name says they hold a credential (``api_key``,
  ``authorization``, ``password``, ``secret``, ``token``, ...), whatever they are;
- token-shaped secrets inside any string: OpenAI/Anthropic-style ``sk-`` keys,
  ``Bearer`` tokens, AWS access key ids, GitHub and Slack tokens, Google API
  keys, JSON Web Tokens, PEM private keys;
- the password in a URL's ``user:password@`` part.

A secret in prose without such a shape ("my password is hunter2") is not
found; structured data with a sensitive key name is the reliable path.

This module is stdlib-only and sits low in the layers (rank 1) so that both
the recorder (``agentreel.recording``) and OTLP ingest (``agentreel.otel``)
redact with the same code.

Scanning every stored string with a regular expression costs about 6 ns per
character in CPython, which would be most of the recorder's budget for a step
with a 1 KB attribute, and 5 µs even on a 41-character id. So a string meets
the expressions only after two cheap tests, each a necessary condition for
every pattern:

- an ``@`` or a run of 15 token characters (:func:`has_token_run`): every
  token pattern needs such a run (the shortest, a Slack token, is ``xoxb-``
  and ten more; a PEM key is found by its base64 body, whose lines are 64
  characters), and a URL password needs an ``@``. That search is the C
  function of ``agentreel._speedups`` when the package was built with a C
  compiler (about 0.3 ns a character), else its pure-Python twin here
  (``bytes.translate`` to two classes, then a search for the run: about 1.5
  ns a character). It turns away prose cheaply;
- one of the literals each pattern begins with or needs (:data:`_ANCHORS`).
  Every response id, conversation id and tool call id is a run of token
  characters; this turns those away for well under a microsecond.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

__all__ = [
    "MASK",
    "TOKEN_CHARS",
    "TOKEN_RUN",
    "Redactor",
    "has_token_run",
    "may_hold_secret_bytes",
    "py_has_token_run",
]

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
#: Text that each pattern above begins with or needs, apart from a
#: case-insensitive "bearer" (looked for separately). ``tests/otel/test_cleaner.py``
#: generates text matching each pattern and checks nothing it matches is skipped.
_ANCHORS = ("sk-", "AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
            "xox", "AIza", "eyJ", "-----BEGIN", "://")  # fmt: skip

TOKEN_CHARS = string.ascii_letters + string.digits + "_-+/=.~"
#: bytes.translate table: token characters become "a", everything else " ".
_CLASSES = bytes(ord("a") if chr(i) in TOKEN_CHARS else ord(" ") for i in range(256))
#: How many token characters in a row make a string secret-shaped.
TOKEN_RUN = 15
#: The shortest text any pattern matches ("a://b:c@", a URL password).
_MIN_LEN = 8
#: Key names whose verdict is remembered, per set of extra sensitive keys; a
#: cache, cleared when full.
_KNOWN_KEYS = 20_000
#: Sets of extra sensitive keys whose verdicts are remembered; cleared when full.
_KNOWN_SETS = 64
#: Verdicts per set of extra sensitive keys, shared by every Redactor with
#: that set: the server makes a new one per request, and spans and steps
#: repeat the same few dozen key names, each of which costs a search with
#: _SENSITIVE_KEY of about ten times a lookup here. A verdict depends only on
#: the key and the set, so threads sharing a dict at worst search twice.
_KEY_CACHES: dict[frozenset[str], dict[str, bool]] = {}


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
    """Whether any pattern could match ``text`` (a superset: two necessary conditions)."""
    if "@" not in text and not (len(text) >= TOKEN_RUN and has_token_run(text, TOKEN_RUN)):
        return False
    for anchor in _ANCHORS:
        if anchor in text:
            return True
    # "bearer" in any case; str.lower() folds exactly the letters that the
    # pattern's (?i) does for b, e, a and r.
    return "bearer" in text.lower()


def may_hold_secret_bytes(data: bytes) -> bool:
    """The first of the string tests (``@`` or a token run), on UTF-8 or JSON bytes."""
    # 64 is "@": ``b"@" in data`` would first try b"@" as an int and pay for
    # the TypeError that raises and clears.
    return 64 in data or has_token_run(data, TOKEN_RUN)


def _mask(match: re.Match[str]) -> str:
    groups = match.groupdict()
    kept = groups.get("bearer") or groups.get("urlpre") or ""
    return kept + MASK


def _key_cache(extra: frozenset[str]) -> dict[str, bool]:
    known = _KEY_CACHES.get(extra)
    if known is None:
        if len(_KEY_CACHES) >= _KNOWN_SETS:
            _KEY_CACHES.clear()  # redactors made before keep their own dicts
        known = _KEY_CACHES.setdefault(extra, {})
    return known


class Redactor:
    """Replaces secrets in JSON-safe values; counts how many it replaced."""

    __slots__ = ("_known_keys", "count", "enabled", "extra_keys")

    def __init__(self, *, enabled: bool = True, extra_keys: tuple[str, ...] = ()) -> None:
        self.enabled = enabled
        self.extra_keys = frozenset(k.lower() for k in extra_keys)
        self.count = 0
        self._known_keys = _key_cache(self.extra_keys)

    def is_sensitive_key(self, key: str) -> bool:
        sensitive = self._known_keys.get(key)
        if sensitive is None:
            sensitive = self._judge_key(key)
        return sensitive

    def _judge_key(self, key: str) -> bool:
        known = self._known_keys
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
        return self.walk(value, self.text)

    def walk(self, value: Any, text: Callable[[str], str] | None) -> Any:
        """``value`` with values under sensitive keys masked and ``text`` applied to strings.

        ``text`` sees every string of 8 characters or more not under a
        sensitive key (:meth:`text`, or a caller's function that also does
        :meth:`text`); None leaves strings alone, for a caller that knows no
        string of ``value`` can hold a secret. Ignores ``enabled``.
        """
        kind = type(value)
        if kind is str or (kind is not dict and kind is not list and isinstance(value, str)):
            if text is None or len(value) < _MIN_LEN:
                return value
            return text(value)
        if kind is dict or isinstance(value, dict):
            return self._walk_dict(value, text)
        if kind is list or isinstance(value, list):
            items: list[Any] | None = None
            for i, v in enumerate(value):
                new = self.walk(v, text)
                if new is not v:
                    if items is None:
                        items = list(value)
                    items[i] = new
            return value if items is None else items
        return value

    def _walk_dict(self, value: dict[Any, Any], text: Callable[[str], str] | None) -> Any:
        known = self._known_keys
        out: dict[Any, Any] | None = None
        for k, v in value.items():
            if v is None or v == "":
                continue  # nothing to mask, nothing to search
            if isinstance(k, str):
                sensitive = known.get(k)
                if sensitive is None:
                    sensitive = self._judge_key(k)
            else:
                sensitive = False
            if sensitive:
                new: Any = MASK
                self.count += 1
            else:
                # Most values are short strings and numbers: no call for them.
                kind_v = type(v)
                if kind_v is str:
                    if text is None or len(v) < _MIN_LEN:
                        continue
                    new = text(v)
                elif kind_v is int or kind_v is float or kind_v is bool:
                    continue
                else:
                    new = self.walk(v, text)
            if new is not v:
                if out is None:
                    out = dict(value)
                out[k] = new
        return value if out is None else out
