"""What a diff ignores: values that differ between two runs of the same request.

Model APIs stamp every answer with generated ids and times, and conversations
carry those ids back in later requests (a tool result names the tool call it
answers). Two runs that asked and answered the same things would otherwise
differ on every model call. So before payloads are compared or digested:

* generated ids are replaced by ``"<id 1>"``, ``"<id 2>"``, ... in order of
  first appearance within the payload, which keeps the links between a call
  and its result while forgetting the random value. They are the values of
  ``tool_call_id``, ``tool_use_id`` and ``call_id``, and of ``id`` in objects
  that are tool calls, model messages or API responses (objects with a
  ``function`` key, a ``type`` among :data:`ID_BEARING_TYPES`, or an
  ``object`` among :data:`RESPONSE_OBJECTS`);
* in API responses (an ``object`` among :data:`RESPONSE_OBJECTS`), the
  ``created`` and ``created_at`` times and the ``system_fingerprint`` of the
  serving backend are removed.

An ``id`` anywhere else (a tool argument, a plan step) is data and is kept.

Secrets are masked by the recorder as ``"[REDACTED]"``, possibly inside a
longer string (``"Bearer [REDACTED]"``). Equal masks compare equal as any
equal strings do; :func:`masked_equal` also lets a mask match the value it
hides, which matters when one run was recorded without redaction.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agentreel.model import JSON

__all__ = [
    "ID_BEARING_TYPES",
    "LINK_KEYS",
    "REDACTED",
    "RESPONSE_OBJECTS",
    "masked_equal",
    "normalise",
]

#: The recorder's mask for a secret (``agentreel.recording`` writes it).
REDACTED = "[REDACTED]"

#: Keys whose string values are always generated ids linking a call and its result.
LINK_KEYS = frozenset({"call_id", "tool_call_id", "tool_use_id"})
#: ``type`` values of objects whose ``id`` is generated (OpenAI, Anthropic).
ID_BEARING_TYPES = frozenset(
    {"function", "function_call", "message", "reasoning", "server_tool_use", "tool_use"}
)
#: ``object`` values of API responses (OpenAI chat, completions, Responses API).
RESPONSE_OBJECTS = frozenset(
    {"chat.completion", "chat.completion.chunk", "response", "text_completion"}
)
_RESPONSE_NOISE = frozenset({"created", "created_at", "system_fingerprint"})


def normalise(value: JSON) -> JSON:
    """A copy of ``value`` with generated ids renumbered and response times removed.

    Keys are visited in sorted order, so the numbering does not depend on the
    order a payload's keys were written in.
    """
    ids: dict[str, str] = {}

    def walk(item: JSON) -> JSON:
        if isinstance(item, dict):
            response = item.get("object") in RESPONSE_OBJECTS
            generated = response or "function" in item or item.get("type") in ID_BEARING_TYPES
            out: dict[str, JSON] = {}
            for key in sorted(item):
                sub = item[key]
                if response and key in _RESPONSE_NOISE:
                    continue
                if isinstance(sub, str) and (key in LINK_KEYS or (key == "id" and generated)):
                    out[key] = ids.setdefault(sub, f"<id {len(ids) + 1}>")
                else:
                    out[key] = walk(sub)
            return out
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def masked_equal(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are equal once each mask may stand for any text.

    ``"Bearer [REDACTED]"`` matches ``"Bearer sk-live-..."``; a mask never
    matches nothing (the recorder leaves empty values alone).
    """
    if a == b:
        return True
    if REDACTED not in a and REDACTED not in b:
        return False
    return _mask_pattern(a).fullmatch(b) is not None or _mask_pattern(b).fullmatch(a) is not None


@lru_cache(maxsize=256)
def _mask_pattern(text: str) -> re.Pattern[str]:
    parts = text.split(REDACTED)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)
