"""Reading model name and token usage off the value a model call returned.

Covers the shapes of the official clients' responses, as objects or as
dicts: OpenAI chat completions (``prompt_tokens``/``completion_tokens`` with
``*_details``), the OpenAI Responses API and Anthropic messages
(``input_tokens``/``output_tokens``). Anthropic counts cache reads and cache
writes *outside* ``input_tokens``; they are added back so that ``input`` means
the same thing for every vendor (all prompt tokens, cached ones included).
"""

from __future__ import annotations

from typing import Any

from ._live import StepHandle


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def apply_response_usage(step: StepHandle, result: Any) -> None:
    """Fill ``step``'s model and usage from ``result`` when it carries them."""
    if step.model is None:
        model = _get(result, "model")
        if isinstance(model, str):
            step.model = model
    if step.tokens_in or step.tokens_out:
        return  # the function recorded usage itself
    usage = _get(result, "usage")
    if usage is None:
        return
    if _get(usage, "prompt_tokens") is not None or _get(usage, "completion_tokens") is not None:
        tin = _int(_get(usage, "prompt_tokens"))
        tout = _int(_get(usage, "completion_tokens"))
        cached = _int(_get(_get(usage, "prompt_tokens_details"), "cached_tokens"))
        reasoning = _int(_get(_get(usage, "completion_tokens_details"), "reasoning_tokens"))
    elif _get(usage, "input_tokens") is not None or _get(usage, "output_tokens") is not None:
        cache_read = _int(_get(usage, "cache_read_input_tokens"))
        cache_write = _int(_get(usage, "cache_creation_input_tokens"))
        tin = _int(_get(usage, "input_tokens")) + cache_read + cache_write
        tout = _int(_get(usage, "output_tokens"))
        cached = cache_read or _int(_get(_get(usage, "input_tokens_details"), "cached_tokens"))
        details = _get(usage, "output_tokens_details")
        # OpenAI's Responses API calls them reasoning tokens, Anthropic thinking tokens.
        reasoning = _int(_get(details, "reasoning_tokens")) or _int(
            _get(details, "thinking_tokens")
        )
    else:
        return
    step.record_usage(input=tin, output=tout, cached=cached, reasoning=reasoning)
