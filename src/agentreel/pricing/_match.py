"""From the model string an API reports to a key of the price table.

Real model strings carry routing prefixes (``openai/gpt-4o``,
``models/gemini-2.5-pro``, ``us.anthropic.claude-...-v1:0``), snapshot
suffixes (``-2024-08-06``, ``-20250929``, ``@20240620``, ``-latest``,
``-2411``, ``-001``) and variants we do not list. The rules, tried in order:

1. the name as given (lower-cased, trimmed);
2. the name without a routing prefix, and with Claude's dotted versions
   spelled the API's way (``claude-sonnet-4.5`` -> ``claude-sonnet-4-5``);
3. that name without snapshot suffixes;
4. the longest known prefix ending on a ``-`` boundary, but only when what
   it leaves off cannot name a different model: no version number and no
   size or tier word (``mini``, ``pro``, ``lite``, ...). ``gpt-4o-mini`` is
   therefore never priced as ``gpt-4o``, nor ``claude-opus-4-7`` as
   ``claude-opus-4``: an unknown model gets no price rather than a wrong one.

Fine-tuned models (``ft:...``) are priced differently from their base and
are never matched.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator

# Region and vendor dots that Bedrock puts before a model id.
_DOTTED_VENDOR = re.compile(
    r"^(?:(?:us|eu|apac|global|jp|au|ca|us-gov)\.)?"
    r"(?:anthropic|openai|google|mistral|deepseek)\."
)
# Bedrock's version tail: "-v1:0", "-v2".
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$")
# Claude Code and some gateways mark the long-context variant like "[1m]".
_BRACKET_TAIL = re.compile(r"\[[^\]]*\]$")

# Snapshot and alias tails, stripped repeatedly from the end of a name.
_SNAPSHOT_TAILS = (
    re.compile(r"@[0-9a-z.-]+$"),  # Vertex AI: claude-3-5-sonnet@20240620
    re.compile(r"-\d{4}-\d{2}-\d{2}$"),  # OpenAI: gpt-4o-2024-08-06
    re.compile(r"-\d{8}$"),  # Anthropic: claude-sonnet-4-5-20250929
    re.compile(r"-preview(?:-\d{2}-\d{2}(?:\d{2})?)?$"),  # Gemini: -preview-06-05, -preview-09-2025
    re.compile(r"-latest$"),
    re.compile(r"-\d{4}$"),  # Mistral YYMM (mistral-large-2411), old OpenAI MMDD (-0613)
    re.compile(r"-\d{3}$"),  # Vertex AI: gemini-2.0-flash-001
)

# Words that, left over after a known prefix, name a different model at a
# different price (a size, a tier, a modality), so they stop the prefix rule.
DISTINCT_WORDS = frozenset(
    {
        "mini", "nano", "micro", "tiny", "small", "medium", "large", "pro", "max",
        "ultra", "plus", "lite", "flash", "turbo", "fast", "ultrafast", "instant",
        "haiku", "sonnet", "opus", "fable", "mythos", "astra", "sol", "terra",
        "luna", "argon", "realtime", "audio", "live", "search", "deep", "research",
        "transcribe", "tts", "image", "vision", "embed", "embedding", "computer",
        "reasoner",
    }
)  # fmt: skip


def normalize(model: str) -> str:
    """The model string as table keys are written: trimmed and lower-cased."""
    return model.strip().lower()


def resolve(model: str, keys: Container[str]) -> str | None:
    """The table key ``model`` stands for, or ``None`` when no rule applies."""
    name = normalize(model)
    if not name or name.startswith("ft:"):
        return None
    for candidate in _exact_forms(name):
        if candidate in keys:
            return candidate
    return _longest_prefix(_strip_snapshots(_strip_routing(name)), keys)


def _exact_forms(name: str) -> Iterator[str]:
    yield name
    bare = _strip_routing(name)
    if bare != name:
        yield bare
    dated = _strip_snapshots(bare)
    if dated != bare:
        yield dated


def _strip_routing(name: str) -> str:
    # "openai/gpt-4o", "models/gemini-2.5-pro", "publishers/google/models/x".
    bare = name.rsplit("/", 1)[-1]
    bare = _DOTTED_VENDOR.sub("", bare)
    bare = _BEDROCK_VERSION.sub("", bare)
    bare = _BRACKET_TAIL.sub("", bare)
    if bare.startswith("claude") and "." in bare:
        # Gateways write "claude-sonnet-4.5" where the API says "claude-sonnet-4-5".
        bare = bare.replace(".", "-")
    return bare


def _strip_snapshots(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for tail in _SNAPSHOT_TAILS:
            shorter = tail.sub("", name)
            if shorter and shorter != name:
                name, changed = shorter, True
    return name


def _longest_prefix(name: str, keys: Container[str]) -> str | None:
    parts = name.split("-")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = "-".join(parts[:cut])
        if candidate in keys and _same_model(parts[cut:]):
            return candidate
    return None


def _same_model(rest: list[str]) -> bool:
    # A leftover version number ("-7" of claude-opus-4-7) or size/tier word
    # ("-mini") means another model; "-chat", "-v2", "-codex" do not.
    return not any(part[:1].isdigit() or part in DISTINCT_WORDS for part in rest)
