"""Reading outcomes: tool results that report an error, and answers that claim success.

Both are heuristics over text and common result shapes, kept conservative:
a sentence is a success claim only if it says so plainly and holds no
negation or failure word ("the tests still fail", "could not fix" are not
claims), and a result reports an error only through fields whose meaning is
unambiguous (``error``, ``ok: false``, a non-zero ``exit_code``, a non-empty
``failed``...).
"""

from __future__ import annotations

import re

from agentreel.model import JSON

__all__ = ["error_result", "success_claim"]

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAIMS = re.compile(
    r"""
    \b(?:all|every|both)\b[^.!?\n]{0,40}?\b(?:tests?|checks?|specs?|steps?)\b[^.!?\n]{0,24}?
        \b(?:pass(?:es|ed)?|succeed(?:s|ed)?|(?:is|are)\s+(?:now\s+)?(?:green|passing))\b
    | \b(?:tests?|suite|build|checks?|ci|pipeline)\s+(?:now\s+)?
        (?:pass(?:es|ed)?|succeed(?:s|ed)?|(?:is|are)\s+(?:now\s+)?(?:green|passing))\b
    | \bsuccessfully\b | \bsucceeded\b
    | \b(?:i|we)(?:'ve|\s+have)?\s+(?:fixed|resolved|completed|finished)\b
    | \b(?:is|are|has\s+been|have\s+been)\s+(?:now\s+)?(?:fixed|resolved|complete|completed|done)\b
    | \b(?:task|job|work|fix)\s+(?:is\s+)?(?:complete|completed|done)\b
    | \b(?:works|working)\s+now\b | \bnow\s+works\b
    | \beverything\s+(?:now\s+)?(?:is\s+)?(?:green|ok|fine|working|done|passes|works)\b
    | ^\s*(?:done|fixed|all\s+good|lgtm)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DOUBT = re.compile(
    r"\b(?:not|no|never|cannot|can't|couldn't|didn't|doesn't|don't|won't|isn't|aren't|wasn't"
    r"|unable|still|yet|unless|except|if|whether|should|would|might|may|hope|try|trying|unclear"
    r"|unsure|gave|giving)\b",
    re.IGNORECASE,
)
#: Failure words, which cast doubt unless they only name the thing fixed ("the failing test").
_FAILURE = re.compile(
    r"\b(\w+\s+)?(?:fail|fails|failed|failing|failure|failures|error|errors)\b", re.I
)
_NAMING = frozenset({"the", "a", "an", "this", "these", "those", "its", "their", "every"})
_ERROR_TEXT = re.compile(r"^\s*(?:error|exception|traceback|fatal)\b", re.IGNORECASE)
_FAILED_STATUS = frozenset({"error", "errored", "failed", "failure", "fail"})


def success_claim(text: str) -> str | None:
    """The first sentence of ``text`` that plainly claims success, or None."""
    for sentence in _SENTENCES.split(text):
        if _CLAIMS.search(sentence) and not _DOUBT.search(sentence) and not _fails(sentence):
            return sentence.strip()
    return None


def _fails(sentence: str) -> bool:
    for match in _FAILURE.finditer(sentence):
        before = (match.group(1) or "").strip().casefold()
        if before not in _NAMING:
            return True
    return False


def error_result(output: JSON) -> bool:
    """Whether a tool's result reports a failure although the tool returned normally."""
    if isinstance(output, str):
        return bool(_ERROR_TEXT.match(output)) or "Traceback (most recent call last)" in output
    if not isinstance(output, dict):
        return False
    error = output.get("error", output.get("errors"))
    if error not in (None, False, "", [], {}):
        return True
    if output.get("is_error") is True:
        return True
    if any(output.get(key) is False for key in ("ok", "success", "passed")):
        return True
    status = output.get("status")
    if isinstance(status, str) and status.casefold() in _FAILED_STATUS:
        return True
    failed = output.get("failed")
    if (isinstance(failed, list) and failed) or (
        isinstance(failed, int) and not isinstance(failed, bool) and failed > 0
    ):
        return True
    for key in ("exit_code", "returncode", "exitCode", "return_code"):
        code = output.get(key)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            return True
    return False
