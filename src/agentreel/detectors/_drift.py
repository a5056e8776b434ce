"""Context drift: instructions that drop out of a conversation, or change in it.

A conversation is the model calls of one thread (the children of one agent
step). Its first call's instructions are the reference: the system and
developer messages (Anthropic's ``system``, the Responses API's
``instructions``), and the first user message if the second call resends it
unchanged (so it is a standing brief, not a prompt rendered afresh for each
call). They are split into clauses (lines and sentences), and every later call
is compared clause by clause:

* a clause that is gone is *dropped* (cut short: *truncated*, also dropped);
* a clause replaced by a similar but different one is *altered*.

Numbers are masked before comparing, so a prompt that carries the date or a
turn counter does not drift each turn. A later call whose instructions share
nothing with the reference is another conversation (several agents sharing
one parent), which gets a reference of its own. Each clause is reported once.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from agentreel.model import Step, StepKind

from ._context import Context, excerpt, steps_text
from ._findings import CONTEXT_DRIFT
from ._shapes import ModelRequest

__all__ = ["clauses", "detect_instruction_drift"]

_SPLIT = re.compile(r"\n+|(?<=[.!?;])\s+(?=[A-Z0-9\"'`(*-])")
_BULLET = re.compile(r"^\s*(?:[-*•>#]+|\d+[.)])\s*")
_DIGITS = re.compile(r"\d+")
#: Clauses shorter than this are headings and punctuation, not instructions.
_MIN_CLAUSE = 12
#: difflib ratio above which a changed clause counts as the same clause altered.
_SIMILAR = 0.6
_SYSTEM = "system prompt"
_TASK = "first user message"


@lru_cache(maxsize=4096)
def clauses(text: str) -> tuple[tuple[str, str], ...]:
    """``(key, clause)`` pairs of an instruction text; the key masks numbers and case."""
    found: dict[str, str] = {}
    for piece in _SPLIT.split(text):
        clause = " ".join(_BULLET.sub("", piece).split())
        if len(clause) >= _MIN_CLAUSE:
            found.setdefault(_DIGITS.sub("#", clause.casefold()), clause)
    return tuple(found.items())


#: key -> (source, clause text) of the clauses a call holds
_Present = dict[str, tuple[str, str]]


@dataclass(slots=True)
class _Reference:
    step: int
    #: key -> (source, clause text, last step where it was present)
    clauses: dict[str, tuple[str, str, int]]
    reported: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Thread:
    references: list[_Reference] = field(default_factory=list)
    last: _Reference | None = None
    first_task: str | None = None
    task_state: str = "unknown"  # "unknown" until the second call, then "kept" or "off"


def _current(thread: _Thread, request: ModelRequest) -> _Present:
    task = request.task
    if thread.task_state == "unknown" and thread.references:
        # The second call decides whether the first user message is a standing
        # brief: resent as it was, or gone from a conversation that now opens
        # mid-way (trimmed). A different prompt opening the call means each
        # call asks something new (a batch), and the first one is not a rule.
        fresh = request.opening == "user" and task != thread.first_task
        thread.task_state = "off" if fresh else "kept"
        if fresh:
            for ref in thread.references:
                ref.clauses = {k: v for k, v in ref.clauses.items() if v[0] != _TASK}
    elif not thread.references:
        thread.first_task = task
    found: _Present = {}
    for text in request.instructions:
        for key, clause in clauses(text):
            found.setdefault(key, (_SYSTEM, clause))
    if task is not None and thread.task_state != "off":
        for key, clause in clauses(task):
            found.setdefault(key, (_TASK, clause))
    return found


def _pick(thread: _Thread, present: _Present) -> _Reference | None:
    best, overlap = None, 0
    for ref in thread.references:
        shared = len(ref.clauses.keys() & present.keys())
        if shared > overlap:
            best, overlap = ref, shared
    if best is not None:
        return best
    if not present:
        return thread.last  # everything dropped
    # Nothing shared: the same instructions reworded, or another conversation.
    for ref in reversed(thread.references):
        if any(_similar(c, [t for _, t in present.values()]) for _, c, _ in ref.clauses.values()):
            return ref
    return None


def _similar(clause: str, candidates: list[str]) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for other in candidates:
        ratio = difflib.SequenceMatcher(None, clause.casefold(), other.casefold()).ratio()
        if ratio >= _SIMILAR and (best is None or ratio > best[1]):
            best = (other, ratio)
    return best


def _compare(ctx: Context, ref: _Reference, step: Step, present: _Present) -> None:
    new = [clause for key, (_, clause) in present.items() if key not in ref.clauses]
    dropped: list[dict[str, str | int]] = []
    altered: list[dict[str, str | int]] = []
    for key, (source, clause, last) in ref.clauses.items():
        if key in present:
            ref.clauses[key] = (source, clause, step.number)
            continue
        if key in ref.reported:
            continue
        ref.reported.add(key)
        cut = next((n for n in new if len(n) < len(clause) and clause.startswith(n)), None)
        similar = None if cut is not None else _similar(clause, new)
        if similar is not None:
            altered.append({"source": source, "before": clause, "after": similar[0], "last": last})
        else:
            how = "truncated" if cut is not None else "missing"
            dropped.append({"source": source, "clause": clause, "how": how, "last": last})
    if dropped:
        last = max(int(d["last"]) for d in dropped)
        gone = str(dropped[0]["clause"])
        more = f" and {len(dropped) - 1} more" if len(dropped) > 1 else ""
        verb = "is cut short" if dropped[0]["how"] == "truncated" else "is gone"
        ctx.add(
            CONTEXT_DRIFT,
            "instruction-dropped",
            "warning",
            (last, step.number),
            f"{steps_text([step.number])}: the instruction “{excerpt(gone, width=90)}”{more} "
            f"{verb} from the model's context (present at step {last})",
            dropped=dropped,
            reference_step=ref.step,
        )
    if altered:
        last = max(int(a["last"]) for a in altered)
        before, after = str(altered[0]["before"]), str(altered[0]["after"])
        ctx.add(
            CONTEXT_DRIFT,
            "instruction-altered",
            "warning",
            (last, step.number),
            f"{steps_text([step.number])}: the instruction “{excerpt(before, width=90)}” "
            f"became “{excerpt(after, width=90)}” (intact at step {last})",
            altered=altered,
            reference_step=ref.step,
        )


def detect_instruction_drift(ctx: Context) -> None:
    view = ctx.view
    threads: dict[int | None, _Thread] = {}
    unknown = 0
    for step in view.steps:
        if step.kind is not StepKind.LLM:
            continue
        request = view.request(step)
        if request is None or (request.opening is None and not request.instructions):
            unknown += 1  # nothing said to the model that we can read
            continue
        thread = threads.setdefault(view.thread(step), _Thread())
        present = _current(thread, request)
        ref = _pick(thread, present)
        if ref is None:
            if present:
                ref = _Reference(
                    step=step.number,
                    clauses={k: (src, c, step.number) for k, (src, c) in present.items()},
                )
                thread.references.append(ref)
                thread.last = ref
            continue
        thread.last = ref
        _compare(ctx, ref, step, present)
    if unknown:
        ctx.note(
            CONTEXT_DRIFT,
            f"{unknown} model call(s) have no readable request (no input recorded, or not in "
            "an OpenAI or Anthropic shape); their instructions were not compared",
        )
