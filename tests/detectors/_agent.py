"""A scripted agent framework, recorded through the public recording API.

A session is a plan (optional) and a list of agent runs. Each run talks to a
"model" that answers from a script of turns, shaped like the OpenAI chat API
or the Anthropic messages API (tool calls included), and runs the tools the
model asks for: decorated ``@agentreel.tool`` functions whose results (or
exceptions) the script also says. Like a real framework, it refuses a call
to a tool it does not know or with arguments its Python signature cannot
take, and tells the model so, without running anything.

Step numbers are learnt while recording (``agentreel.current_step()``), so
that the corpus can label injected failures by the steps they happen at.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import agentreel

from ._model import MODEL, PLANS, chat_completions_create, make_plan, messages_create
from ._script import Call, Recorded, Run, Script
from ._tools import NUMBERS, PENDING, TOOLS, declared


def _accepts(name: str, args: Any) -> bool:
    if name not in TOOLS or not isinstance(args, dict):
        return False
    try:
        inspect.signature(TOOLS[name]).bind(**args)
    except TypeError:
        return False
    return True


def _system_at(run: Run, index: int) -> str | None:
    system: str | None = run.system
    if run.system_from is not None and index >= run.system_from[0]:
        system = run.system_from[1]
    if system is not None and run.dynamic_system:
        system += f"\nThis is turn {index + 1}. Tokens used so far: {1000 + 137 * index}."
    return system


def _ask(run: Run, index: int, history: list[Any]) -> int:
    system = _system_at(run, index)
    sent = history
    if run.keep_last_from is not None and index >= run.keep_last_from[0]:
        sent = history[-run.keep_last_from[1] :]
    tools = declared(run.tools, run.vendor) or None
    if run.vendor == "anthropic":
        messages_create(
            model=run.model, max_tokens=4096, system=system or "", messages=sent, tools=tools
        )
    else:
        head = [{"role": "system", "content": system}] if system is not None else []
        chat_completions_create(model=run.model, messages=head + sent, tools=tools)
    return MODEL.number


def _run_agent(run: Run, position: int, record: Recorded, counter: list[int]) -> None:
    history: list[Any] = [{"role": "user", "content": run.task}]
    for index, turn in enumerate(run.turns):
        if turn.prompt is not None:
            history = [{"role": "user", "content": turn.prompt}]
        ids = []
        for _ in turn.calls:
            counter[0] += 1
            ids.append(f"call_{record.session_id[:8]}{counter[0]:04d}")
        MODEL.turn, MODEL.ids = turn, ids
        record.llm[position, index] = _ask(run, index, history)
        if run.vendor == "anthropic":
            content: list[Any] = [{"type": "text", "text": turn.text}] if turn.text else []
            content += [
                {"type": "tool_use", "id": i, "name": c.tool, "input": c.args}
                for i, c in zip(ids, turn.calls, strict=True)
            ]
            history.append({"role": "assistant", "content": content})
        else:
            message: dict[str, Any] = {"role": "assistant", "content": turn.text}
            if turn.calls:
                message["tool_calls"] = [
                    {
                        "id": i,
                        "type": "function",
                        "function": {"name": c.tool, "arguments": c.raw or json.dumps(c.args)},
                    }
                    for i, c in zip(ids, turn.calls, strict=True)
                ]
            history.append(message)
        results: list[Any] = []
        for k, (cid, call) in enumerate(zip(ids, turn.calls, strict=True)):
            answer = _execute(run, call, position, index, k, record)
            if run.vendor == "anthropic":
                results.append({"type": "tool_result", "tool_use_id": cid, "content": answer})
            else:
                history.append({"role": "tool", "tool_call_id": cid, "content": answer})
        if results:
            history.append({"role": "user", "content": results})


def _execute(run: Run, call: Call, position: int, turn: int, k: int, record: Recorded) -> str:
    if call.tool not in run.tools and call.tool not in TOOLS:
        return f"error: there is no tool named {call.tool!r}"
    if call.raw is not None:
        return "error: the arguments are not valid JSON"
    if not _accepts(call.tool, call.args):
        return f"error: {call.tool} does not take the arguments {sorted(call.args)}"
    PENDING.append(call)
    try:
        result = TOOLS[call.tool](**call.args)
    except Exception as exc:
        record.tools[position, turn, k] = NUMBERS[-1]
        assert call.fail is not None
        record.failures.append((NUMBERS[-1], call.fail.bug))
        return f"{type(exc).__name__}: {exc}"
    record.tools[position, turn, k] = NUMBERS[-1]
    record.successes.append(NUMBERS[-1])
    return result if isinstance(result, str) else json.dumps(result)


def record_script(script: Script) -> Recorded:
    """Run ``script`` as one recorded session (agentreel must be configured)."""
    record = Recorded()
    counter = [0]
    with agentreel.session(script.name, project=script.project) as session:
        record.session_id = session.id
        if script.plan:
            with agentreel.step("agent", "planner", input={"task": script.runs[0].task}):
                items = [{"id": i, "agent": a, "task": t} for i, a, t in script.plan]
                make_plan(script.runs[0].task, items, script.plan_model)
                record.plan_step, record.plan_llm = PLANS[-1], MODEL.number
        for position, run in enumerate(script.runs):
            attributes = {"plan_step": run.plan_step} if run.plan_step else {}
            with agentreel.step(
                "agent", run.agent, input={"task": run.task}, attributes=attributes
            ) as agent:
                record.agents[position] = agent.number
                _run_agent(run, position, record, counter)
                agent.set_output(run.turns[-1].text if run.turns else "")
    return record
