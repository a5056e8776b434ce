"""Loops and no progress: the same step over and over, or the same few steps in a circle.

Steps are compared by kind, name and recorded input (payloads are stored by
content digest, so equal inputs have equal digests), per thread (one
agent's own calls):

* ``repeated-step``: ``repeat_min`` or more identical tool calls in a row
  with identical results, that did not fail (failing ones are
  ``tool-misuse``'s retried-unchanged), or as many identical model requests
  in a row, which happens when a framework throws the model's answer away
  and asks again. The same call answering differently each time is polling,
  and is left alone;
* ``cycle``: a pattern of 2 to ``cycle_max_period`` different tool calls
  (and results) repeated, back to back, over at least ``cycle_min_steps``
  steps and at least twice (read a, read b, read a, read b, read a, read b).
"""

from __future__ import annotations

from collections.abc import Sequence

from agentreel.model import Status, Step, StepKind

from ._context import Context, steps_text
from ._findings import LOOP
from ._view import ACTION_KINDS

__all__ = ["detect_loops"]

_Signature = tuple[str, str, str, str | None] | None


def _signature(step: Step) -> _Signature:
    if not step.input_ref:
        return None
    # A tool asked the same thing that answers something new each time is
    # being polled (a build status, a queue): that is progress being watched,
    # not a loop. A model's answers vary anyway, so only its request counts.
    result = step.output_ref if step.kind in ACTION_KINDS else None
    return (str(step.kind), step.name, step.input_ref, result)


def _repeats(ctx: Context, steps: Sequence[Step]) -> None:
    run: list[Step] = []

    def close() -> None:
        ok = [s for s in run if s.status is not Status.ERROR]
        if len(ok) >= ctx.config.repeat_min and len(run) - len(ok) < 2:
            numbers = [s.number for s in run]
            what = "model request" if run[0].kind is StepKind.LLM else f"call of {run[0].name}"
            ctx.add(
                LOOP,
                "repeated-step",
                "warning",
                numbers,
                f"{steps_text(numbers)}: the same {what} {len(run)} times in a row",
                kind=str(run[0].kind),
                name=run[0].name,
                times=len(run),
            )

    for step in steps:
        signature = _signature(step)
        if run and signature is not None and signature == _signature(run[0]):
            run.append(step)
            continue
        close()
        run = [step] if signature is not None else []
    close()


def _cycles(ctx: Context, steps: Sequence[Step]) -> None:
    signatures = [_signature(s) for s in steps]
    n = len(signatures)
    covered = [False] * n
    config = ctx.config
    for period in range(2, config.cycle_max_period + 1):
        j = period
        while j < n:
            if signatures[j] is None or signatures[j] != signatures[j - period]:
                j += 1
                continue
            start = j
            while j < n and signatures[j] is not None and signatures[j] == signatures[j - period]:
                j += 1
            low, high = start - period, j
            pattern = signatures[low : low + period]
            long_enough = high - low >= max(2 * period, config.cycle_min_steps)
            if long_enough and len(set(pattern)) > 1 and not any(covered[low:high]):
                for k in range(low, high):
                    covered[k] = True
                numbers = [s.number for s in steps[low:high]]
                names = [s.name for s in steps[low : low + period]]
                ctx.add(
                    LOOP,
                    "cycle",
                    "warning",
                    numbers,
                    f"{steps_text([numbers[0], numbers[-1]])}: the calls "
                    f"{' → '.join(names)} went round {(high - low) / period:g} times "
                    "with the same arguments",
                    period=period,
                    pattern=names,
                    repeats=round((high - low) / period, 2),
                )


def detect_loops(ctx: Context) -> None:
    view = ctx.view
    actions: dict[int | None, list[Step]] = {}
    calls: dict[int | None, list[Step]] = {}
    blind = 0
    for step in view.steps:
        if step.kind in ACTION_KINDS:
            actions.setdefault(view.thread(step), []).append(step)
        elif step.kind is StepKind.LLM:
            calls.setdefault(view.thread(step), []).append(step)
        else:
            continue
        blind += step.input_ref is None
    for steps in actions.values():
        _repeats(ctx, steps)
        _cycles(ctx, steps)
    for steps in calls.values():
        _repeats(ctx, steps)
    if blind:
        ctx.note(
            LOOP,
            f"{blind} model or tool step(s) have no recorded input, so repeats of them "
            "cannot be recognised",
        )
