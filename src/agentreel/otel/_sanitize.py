"""Secrets masked and oversized strings cut before anything from a span is stored.

Redaction is the recorder's (``agentreel._redact.Redactor``, which the caller
hands in; any object with the same ``value()`` method and ``count`` counter
does). Ingest walks every attribute and payload of every span; a
``Redactor`` remembers each key name's verdict across requests, and what is
ingest's own here is looking at a value's JSON first: when no string of it
can hold a secret, the walk looks only at keys, and when no key can be
sensitive either, there is no walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from agentreel._redact import Redactor
from agentreel.model import JSON, Session
from agentreel.payloads import PayloadEncoder

__all__ = ["Cleaner", "Redacting"]


class Redacting(Protocol):
    """What ingest needs of a redactor: a masked copy of a value, and a running count."""

    count: int

    def value(self, value: Any) -> Any: ...


#: Harmless key names remembered per set; a cache, cleared when full.
_MAX_KEYS = 20_000
#: Key names known not to be sensitive, per set of extra sensitive keys (see ``attributes_many``).
_HARMLESS: dict[frozenset[str], set[str]] = {}
#: Attribute value types the redaction walk never looks into (when no string can hold a secret).
_SCALARS = frozenset({str, int, float, bool, type(None)})


class Cleaner:
    """Applies redaction and the length limit, counting what each changed."""

    __slots__ = ("_extra", "_harmless", "_limit", "_redactor", "_text", "_walker", "redacted",
                 "truncated")  # fmt: skip

    def __init__(self, redactor: Redactor | Redacting | None, limit: int) -> None:
        self._redactor = redactor
        self._limit = limit
        self.redacted = 0
        self.truncated = 0
        #: The redactor when it is an enabled Redactor, whose walk can be told
        #: to leave strings alone; None: every value goes through ``value()``.
        self._walker: Redactor | None = None
        self._text: Callable[[str], str] | None = None
        self._harmless: set[str] = set()
        #: The redactor's extra sensitive key names as JSON bytes; None when one
        #: is not ASCII (then every walk looks at every key).
        self._extra: tuple[bytes, ...] | None = ()
        if isinstance(redactor, Redactor) and redactor.enabled:
            extra = redactor.extra_keys
            self._walker, self._text = redactor, redactor.text
            self._harmless = _HARMLESS.setdefault(extra, set())
            # A name JSON would escape (or not ASCII) cannot be looked for in JSON.
            if all(k.isascii() and orjson.dumps(k)[1:-1] == k.encode() for k in extra):
                self._extra = tuple(k.lower().encode() for k in extra)
            else:
                self._extra = None

    def value(
        self,
        value: JSON,
        size: int,
        data: bytes | None = None,
        *,
        flat: bool = False,
        texts: bool = True,
    ) -> JSON:
        """``value`` (whose JSON is ``size`` bytes) redacted and with long strings cut.

        ``data``, the value's JSON if the caller has it, lets the walk skip
        looking into strings when none of them can hold a secret, and skip
        the walk when no key can be sensitive either. For a ``flat`` value
        (a step's attributes) walking its keys costs no more than that test.
        ``texts`` False (with ``data``): the caller found that no string can
        hold a secret.
        """
        redactor = self._redactor
        if redactor is not None:
            before = redactor.count
            walker = self._walker
            if walker is None:
                value = redactor.value(value)
            elif data is None:
                value = walker.walk(value, self._text)
            else:
                lower = data.lower()
                # texts False: the caller looked for the anchors already.
                texts = texts and _may_hold_secret_bytes(data, lower)
                if texts or flat or _may_have_sensitive_keys(data, lower, self._extra):
                    value = walker.walk(value, self._text if texts else None)
            self.redacted += redactor.count - before
        # No string can be longer than the JSON holding it: skip the walk when short.
        if size > self._limit:
            value = self._cut(value)
        return value

    def attributes(self, attrs: dict[str, JSON]) -> bytes:
        """A step's attributes as the JSON bytes the store keeps."""
        data = orjson.dumps(attrs)
        return self._clean_attributes(attrs, data)

    def attributes_many(self, many: list[dict[str, JSON]]) -> list[bytes | None]:
        """:meth:`attributes` of each step of a session, None where not JSON-safe.

        The same bytes and counts as one call each, for less: the secret
        anchors are looked for once in all the steps' JSON (each search
        costs as much as the rest of a span's check), and attributes whose
        keys are all known harmless and whose values are all scalars are
        kept as they are, without a walk.
        """
        datas: list[bytes | None] = []
        for attrs in many:
            try:
                datas.append(orjson.dumps(attrs))
            except (orjson.JSONEncodeError, TypeError):
                datas.append(None)
        joined = b"\n".join([d for d in datas if d is not None])  # no anchor holds a newline
        if (
            self._walker is None
            or self._extra is None
            or _may_hold_secret_bytes(joined, joined.lower())
        ):
            return [
                None if d is None else self._clean_attributes(a, d)
                for a, d in zip(many, datas, strict=True)
            ]
        harmless = self._harmless
        limit = self._limit
        out: list[bytes | None] = []
        for attrs, data in zip(many, datas, strict=True):
            if data is None:
                out.append(None)
                continue
            if not harmless.issuperset(attrs):
                self._learn(attrs, harmless)
            if (
                len(data) <= limit
                and harmless.issuperset(attrs)
                and _SCALARS.issuperset(map(type, attrs.values()))
            ):
                # No string can hold a secret (the search above), no key is
                # sensitive and nothing nests: the walk would change nothing.
                out.append(data)
            else:
                # The search above found nothing to look for in the strings.
                out.append(self._clean_attributes(attrs, data, texts=False))
        return out

    def _clean_attributes(
        self, attrs: dict[str, JSON], data: bytes, *, texts: bool = True
    ) -> bytes:
        clean = self.value(attrs, len(data), data, flat=True, texts=texts)
        return data if clean is attrs else orjson.dumps(clean)

    def _learn(self, attrs: dict[str, JSON], harmless: set[str]) -> None:
        """Remember which of ``attrs``'s keys are not sensitive (bounded, like the key cache)."""
        if len(harmless) >= _MAX_KEYS:
            harmless.clear()
        assert self._walker is not None
        sensitive = self._walker.is_sensitive_key
        for key in attrs:
            if not sensitive(key):
                harmless.add(key)

    def payload(
        self,
        value: JSON,
        encoder: PayloadEncoder,
        blobs: dict[str, bytes],
        data: bytes | None = None,
        *,
        texts: bool = True,
    ) -> str | None:
        """Encode ``value`` into ``blobs``; its root digest, or None for no value.

        ``data`` is the value's JSON if the caller has it; ``texts`` False,
        that :meth:`may_hold_secrets` said no string of it can hold a secret.
        """
        if value is None:
            return None
        if data is None:
            data = orjson.dumps(value)
        value = self.value(value, len(data), data, texts=texts)
        encoded = encoder.encode(value)
        blobs.update(encoded.blobs)
        return encoded.root

    def may_hold_secrets(self, datas: list[bytes]) -> bool:
        """Whether a string of the values whose JSON is ``datas`` may hold a secret.

        Looked for once in all of them (a session's payloads together): one
        search per payload cost more than the rest of its cleaning. False
        lets :meth:`payload` look only at keys.
        """
        if self._walker is None or not datas:
            return True
        joined = b"\n".join(datas)  # no anchor holds a newline
        return _may_hold_secret_bytes(joined, joined.lower())

    def session(self, session: Session) -> Session:
        if self._redactor is None or not session.metadata:
            return session
        metadata = self.value(dict(session.metadata), 0)
        return dataclasses.replace(session, metadata=metadata)

    def _cut(self, value: JSON) -> JSON:
        if isinstance(value, str):
            if len(value) > self._limit:
                self.truncated += 1
                return value[: self._limit] + f"...[truncated {len(value) - self._limit} chars]"
            return value
        if isinstance(value, dict):
            return {k: self._cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._cut(v) for v in value]
        return value


#: The anchors, some shortened to a part they share (a superset: fewer passes
#: over the JSON, each a search of the whole of it).
_ANCHORS_BYTES = (
    b"sk-",
    b"AKIA",
    b"ASIA",
    b"gh",
    b"_pat_",
    b"xox",
    b"AIza",
    b"eyJ",
    b"-----",
    b"://",
)


def _may_hold_secret_bytes(data: bytes, lower: bytes) -> bool:
    """The redactor's anchor test over a value's JSON, all its strings at once.

    The anchors are ``agentreel._redact._ANCHORS``: when none is in the JSON,
    the redactor's own string test would turn every string of it away.

    orjson escapes only quotes, backslashes and control characters, none of
    which is in an anchor, so an anchor in a string is an anchor in its JSON
    (keys are looked at too: a superset, which only costs a walk).
    """
    # find(), not ``in``: ``anchor in data`` first tries the anchor as an int,
    # and the TypeError it raises and clears costs more than the search.
    find = data.find
    for anchor in _ANCHORS_BYTES:
        if find(anchor) >= 0:
            return True
    return lower.find(b"bearer") >= 0


#: Every name the redactor's sensitive-key expression (``_SENSITIVE_KEY``)
#: accepts holds one of these, in ASCII letters of any case: api_key, apikey,
#: private_key, session_key and x-api-key "key"; auth and authorization
#: "auth"; password and passwd "pass"; pwd; secret and client_secret
#: "secret"; access, refresh and id tokens "token"; cookie and set-cookie
#: "cookie". Its (?i) also lets a few non-ASCII letters stand for ASCII ones
#: (the Kelvin sign for k, the long s for s), so JSON that is not all ASCII
#: is always walked. ``tests/otel/test_cleaner.py`` generates names from the
#: expression and checks each holds one of these.
_KEY_WORDS = (b"key", b"auth", b"pass", b"pwd", b"secret", b"token", b"cookie")


def _may_have_sensitive_keys(data: bytes, lower: bytes, extra: tuple[bytes, ...] | None) -> bool:
    """Whether a key of the value whose JSON is ``data`` may be sensitive (a superset)."""
    if extra is None or not data.isascii():
        return True
    for word in _KEY_WORDS:
        if lower.find(word) >= 0:
            return True
    for word in extra:  # noqa: SIM110 - any() of a generator costs more, and most are empty
        if lower.find(word) >= 0:
            return True
    return False
