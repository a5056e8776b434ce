"""Sessions recorded for the browser tests (agentreel must be configured)."""

from __future__ import annotations

import json

import agentreel

#: Text every payload of the hostile session carries, to find it on a page.
XSS_MARK = "xss-probe"

# Each one, if it ever ran, would count itself in window.__xss.
_RUN = "window.__xss=(window.__xss||0)+1"
PAYLOADS = (
    f"<script>{_RUN}</script>",
    f'<img src=x onerror="{_RUN}">',
    f'<svg onload="{_RUN}"><circle r="9"/></svg>',
    f"javascript:{_RUN}",
    f"[click me](javascript:{_RUN})",
    f'"><img src=x onerror={_RUN}>',
    f"'><svg/onload={_RUN}>",
    f'<a href="javascript:{_RUN}">link</a>',
    f'<iframe src="javascript:{_RUN}"></iframe>',
    f"<style>body{{display:none}}</style><b onmouseover={_RUN}>hover</b>",
)


def hostile(label: str) -> str:
    """A string holding every payload, and a marker naming where it was planted."""
    return f"{XSS_MARK} {label} " + " ".join(PAYLOADS)


class _Planted(Exception):
    pass


def record_xss_session() -> str:
    """A session with payloads in its name, tags, metadata, steps, attributes and messages."""
    session_id = ""
    try:
        with agentreel.session(
            hostile("session-name"),
            tags=[hostile("tag"), *PAYLOADS[:3]],
            metadata={hostile("meta-key"): hostile("meta-value")},
        ) as session:
            session_id = session.id
            attributes = {
                hostile("attr-key"): hostile("attr-value"),
                "url": f"javascript:{_RUN}",
                "link": "https://example.invalid/<script>",
            }
            with agentreel.step("agent", hostile("agent-step"), attributes=attributes):
                messages = [
                    {"role": "system", "content": hostile("system-message")},
                    {"role": "user", "content": hostile("user-message")},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": hostile("call-id"),
                                "type": "function",
                                "function": {
                                    "name": hostile("tool-name"),
                                    "arguments": json.dumps({hostile("arg-key"): hostile("arg")}),
                                },
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_1", "content": hostile("tool-result")},
                ]
                with agentreel.step(
                    "llm",
                    hostile("llm-step"),
                    input={"model": "gpt-4o-mini", "messages": messages},
                    model="gpt-4o-mini",
                ) as llm:
                    llm.record_usage(input=120, output=30)
                    llm.set_output(
                        {
                            "object": "chat.completion",
                            "model": "gpt-4o-mini",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {
                                        "role": "assistant",
                                        "content": hostile("reply"),
                                    },
                                    "finish_reason": "stop",
                                }
                            ],
                        }
                    )
                with agentreel.step(
                    "tool", hostile("tool-step"), input={hostile("input-key"): hostile("input")}
                ) as tool:
                    tool.set_output(hostile("output"))
                    tool.fail(_Planted(hostile("error-message")))
            raise _Planted(hostile("session-error"))
    except _Planted:
        pass
    return session_id


def record_big_session(agents: int = 100, tools: int = 99) -> str:
    """A session of ``agents * (tools + 1)`` steps (10,000 by default)."""
    with agentreel.session("big-10k-steps", tags=["load"]) as session:
        for a in range(agents):
            with agentreel.step("agent", f"worker-{a}"):
                for t in range(tools):
                    with agentreel.step("tool", f"tool-{a}-{t}", input={"n": t}) as step:
                        step.set_output({"ok": True, "n": t})
    return session.id


def record_pair() -> tuple[str, str]:
    """Two runs of one small agent that agree on steps 1 and 2 and differ at step 3."""
    ids = []
    for query in ("divide by zero", "ZeroDivisionError"):
        with agentreel.session("search-then-fix", tags=["pair"]) as session:
            with agentreel.step("agent", "fixer"):
                with agentreel.step("tool", "read_file", input={"path": "calc.py"}) as step:
                    step.set_output("def divide(a, b): return a / b")
                with agentreel.step("tool", "search_code", input={"query": query}) as step:
                    step.set_output(["calc.py:1"])
                with agentreel.step("tool", "edit_file", input={"path": "calc.py"}) as step:
                    step.set_output("ok")
        ids.append(session.id)
    return ids[0], ids[1]
