"""Tool misuse: calls to tools nobody offered, arguments off-schema, and failing habits.

* ``unknown-tool``: a model asked for a tool its request did not offer (or,
  when the request does not list its tools, one no request of the session
  offered and no step ran under that name).
* ``schema-violation``: a tool call's arguments are not JSON, or break the
  tool's schema (from ``DetectorConfig.tool_schemas``, else the request's
  ``tools``); a tool step that ran such a call joins the finding. Tool steps
  no model asked for are checked against ``tool_schemas`` only.

The failing habits are read per thread (an agent's own calls), from tool and
retrieval steps in order:

* ``retried-unchanged``: the same call (same tool, same recorded input)
  failed, was made again with nothing else done in between, and failed
  again. A retry that succeeds is a transient error handled well.
* ``error-streak``: ``error_streak`` or more calls in a row failed (not all
  the same call: that is ``retried-unchanged``).
* ``false-success``: a result that reports an error (a failed step, or a
  result such as ``{"ok": false}``), then an answer that plainly claims
  success with no successful call in between.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentreel.model import JSON, Status, Step, StepKind

from ._claims import error_result, success_claim
from ._context import Context, excerpt, steps_text
from ._findings import TOOL_MISUSE
from ._schema import check_arguments
from ._view import ACTION_KINDS, SessionView

__all__ = ["detect_calls", "detect_habits"]


def _known_tools(ctx: Context) -> tuple[set[str], dict[str, JSON]]:
    view = ctx.view
    names = {s.name for s in view.steps if s.kind in ACTION_KINDS}
    schemas: dict[str, JSON] = {}
    for step in view.of_kind(StepKind.LLM):
        request = view.request(step)
        if request is not None and request.tools:
            for name, schema in request.tools.items():
                names.add(name)
                if schema is not None:
                    schemas.setdefault(name, schema)
    names.update(ctx.config.tool_schemas)
    return names, schemas


def detect_calls(ctx: Context) -> None:
    view, config = ctx.view, ctx.config
    known, declared = _known_tools(ctx)
    unverifiable = 0
    covered: set[int] = set()
    for step in view.of_kind(StepKind.LLM):
        reply = view.reply(step)
        if reply is None or not reply.tool_calls:
            continue
        request = view.request(step)
        offered = request.tools if request is not None else None
        for call, ran in zip(reply.tool_calls, view.executed(step, reply.tool_calls), strict=True):
            steps = [step.number] + ([ran.number] if ran is not None else [])
            if ran is not None:
                covered.add(ran.number)
            if offered is not None:
                unknown = call.name not in offered
            elif known:
                unknown = call.name not in known
            else:
                unverifiable += 1
                unknown = False
            if unknown:
                choices = sorted(offered if offered is not None else known)
                ctx.add(
                    TOOL_MISUSE,
                    "unknown-tool",
                    "error",
                    steps,
                    f"step {step.number}: the model called {call.name!r}, which "
                    + (
                        "the request did not offer"
                        if offered is not None
                        else "no request of the session offered"
                    )
                    + (f" (offered: {', '.join(choices[:8])})" if choices else ""),
                    tool=call.name,
                    offered=choices[:50],
                )
                continue
            schema = config.tool_schemas.get(call.name)
            if schema is None:
                schema = (offered or {}).get(call.name) or declared.get(call.name)
            if call.malformed:
                problems = [
                    f"the arguments are not valid JSON: {excerpt(call.raw or '', width=80)}"
                ]
            elif schema is None:
                continue
            else:
                result = check_arguments(call.arguments, schema)
                problems = result.errors
                if result.unsupported:
                    ctx.note(
                        TOOL_MISUSE,
                        "schema keywords not checked: " + ", ".join(sorted(result.unsupported)),
                    )
            if problems:
                _violation(ctx, steps, step.number, call.name, problems)
    for step in view.steps:
        schema = config.tool_schemas.get(step.name)
        if step.kind not in ACTION_KINDS or step.number in covered or schema is None:
            continue
        arguments = view.input(step)
        if arguments is None:
            continue
        problems = check_arguments(arguments, schema).errors
        if problems:
            _violation(ctx, [step.number], step.number, step.name, problems)
    if unverifiable:
        ctx.note(
            TOOL_MISUSE,
            f"{unverifiable} tool call(s) could not be checked for unknown tools: their "
            "requests do not list the tools offered",
        )


def _violation(ctx: Context, steps: list[int], at: int, tool: str, problems: list[str]) -> None:
    ctx.add(
        TOOL_MISUSE,
        "schema-violation",
        "error",
        steps,
        f"step {at}: the arguments of {tool!r} break its schema: {problems[0]}"
        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
        tool=tool,
        problems=problems,
    )


def _failed(step: Step) -> bool:
    return step.status is Status.ERROR


def _error_of(step: Step) -> str:
    return step.error.summary() if step.error is not None else "failed"


def _retries(ctx: Context, actions: Sequence[Step]) -> None:
    run: list[Step] = []

    def close() -> None:
        failing = [s for s in run if _failed(s)]
        if len(failing) >= 2:
            ctx.add(
                TOOL_MISUSE,
                "retried-unchanged",
                "warning",
                [s.number for s in failing],
                f"{steps_text([s.number for s in failing])}: {run[0].name} failed and was "
                f"called again with the same arguments ({_error_of(failing[-1])})",
                tool=run[0].name,
                attempts=len(run),
                failures=len(failing),
            )

    for step in actions:
        if run and (step.name, step.input_ref) == (run[0].name, run[0].input_ref):
            run.append(step)
            continue
        close()
        run = [step] if step.input_ref else []
    close()


def _streaks(ctx: Context, actions: Sequence[Step]) -> None:
    streak: list[Step] = []

    def close() -> None:
        calls = {(s.name, s.input_ref) for s in streak}
        if len(streak) >= ctx.config.error_streak and len(calls) > 1:
            numbers = [s.number for s in streak]
            ctx.add(
                TOOL_MISUSE,
                "error-streak",
                "warning",
                numbers,
                f"{steps_text(numbers)}: {len(streak)} tool calls failed in a row "
                f"(last: {streak[-1].name}: {_error_of(streak[-1])})",
                failures=len(streak),
                tools=sorted({s.name for s in streak}),
            )

    for step in actions:
        if _failed(step):
            streak.append(step)
        else:
            close()
            streak = []
    close()


def _false_success(ctx: Context, steps: Sequence[Step]) -> None:
    view = ctx.view
    pending: Step | None = None  # the last tool call, until an answer follows it
    for step in steps:
        if step.kind in ACTION_KINDS:
            pending = step
        elif step.kind is StepKind.LLM and pending is not None:
            reply = view.reply(step)
            claim = success_claim(reply.text) if reply is not None and reply.text else None
            # Only now read the tool's result: most answers claim nothing.
            if claim is not None and (_failed(pending) or error_result(view.output(pending))):
                ctx.add(
                    TOOL_MISUSE,
                    "false-success",
                    "error",
                    (pending.number, step.number),
                    f"step {step.number}: the model claims success (“{excerpt(claim, width=90)}”) "
                    f"right after {pending.name} failed at step {pending.number}",
                    claim=claim,
                    failed_step=pending.number,
                    error=_error_of(pending) if _failed(pending) else "the result reports an error",
                )
                pending = None


def detect_habits(ctx: Context) -> None:
    view: SessionView = ctx.view
    threads: dict[int | None, list[Step]] = {}
    for step in view.steps:
        if step.kind in ACTION_KINDS or step.kind is StepKind.LLM:
            threads.setdefault(view.thread(step), []).append(step)
    for steps in threads.values():
        actions = [s for s in steps if s.kind in ACTION_KINDS]
        _retries(ctx, actions)
        _streaks(ctx, actions)
        _false_success(ctx, steps)
