"""Building divergence reports: what differs, the nearest candidates, what to do next."""

from __future__ import annotations

from collections.abc import Mapping

from agentreel.diff import FieldChange, diff_values
from agentreel.model import JSON

from ._divergence import MAX_CANDIDATES, Candidate, Divergence, DivergenceKind
from ._recording import RecordedStep, Recording

_COMMAND = "-- <your command>"


def unmatched_call(
    recording: Recording,
    *,
    consumed: Mapping[int, int],
    parent: int | None,
    placed: bool,
    kind: str,
    name: str,
    request: JSON,
    live_step: int,
    remaining: int,
    call_site: str | None,
) -> Divergence:
    """A servable call the recording has no answer for.

    ``parent`` is the recorded step the call's parent matched (None: the top
    level); ``placed`` is False when the parent matched nothing, so the call
    has no recorded position at all. ``remaining`` counts recorded answers
    not used yet.
    """
    pool = recording.positions.get((parent, kind, name), ()) if placed else ()
    open_ = [rs for rs in pool if rs.number not in consumed and rs.finished]
    changes: tuple[FieldChange, ...] = ()
    target: RecordedStep | None
    div_kind: DivergenceKind
    if remaining == 0:
        div_kind, target = "run-went-further", None
        summary = (
            f"the new run calls {kind} `{name}` after every recorded answer was used "
            f"(the recording has {len(recording.servable)} model, tool and retrieval steps)"
        )
    elif open_:
        div_kind = "mismatch"
        scored = [(diff_values(rs.request, request, "input"), rs) for rs in open_[:MAX_CANDIDATES]]
        changes, target = min(scored, key=lambda pair: (len(pair[0]), pair[1].number))
        summary = (
            f"the new run calls {kind} `{name}` with a different request than "
            f"recorded {target.label()}"
        )
    else:
        div_kind = "unexpected-call"
        target = _expected_next(recording, consumed, parent if placed else None)
        summary = f"the recording has no {kind} `{name}` call at this point"
        if target is not None:
            summary += f"; it has {target.label()} next"
    candidates = _candidates(recording, consumed, pool, parent, placed, kind, name, request)
    return Divergence(
        kind=div_kind,
        summary=summary,
        recorded_step=None if target is None else target.number,
        live_step=live_step,
        step_kind=kind,
        step_name=name,
        call_site=call_site,
        changes=changes,
        candidates=candidates,
        next_steps=next_steps(
            recording.session.id, div_kind, None if target is None else target.number
        ),
    )


def unserved_value(
    recording: Recording,
    *,
    recorded: RecordedStep | None,
    seam: str,
    index: int,
    live_step: int,
    kind: str,
    name: str,
    call_site: str | None,
) -> Divergence:
    """A seam value (``now``, ``random``, ``uuid4``) the recording cannot give back."""
    changes: tuple[FieldChange, ...] = ()
    div_kind: DivergenceKind = "unexpected-call"
    if recorded is None:
        summary = (
            f"{kind} `{name}` reads {seam}(), but the step is not in the recording, "
            "so there is no recorded value to serve"
        )
    elif index >= len(recorded.values):
        summary = (
            f"{kind} `{name}` reads {seam}() as its value number {index + 1}; "
            f"recorded {recorded.label()} drew only {len(recorded.values)}"
        )
    else:
        div_kind = "mismatch"
        recorded_seam = recorded.values[index][0]
        summary = (
            f"{kind} `{name}` reads {seam}() as its value number {index + 1}; "
            f"recorded {recorded.label()} read {recorded_seam}() there"
        )
        changes = (FieldChange(path=f"values[{index}]", before=recorded_seam, after=seam),)
    number = None if recorded is None else recorded.number
    return Divergence(
        kind=div_kind,
        summary=summary,
        recorded_step=number,
        live_step=live_step,
        step_kind=kind,
        step_name=name,
        call_site=call_site,
        changes=changes,
        next_steps=next_steps(recording.session.id, div_kind, number),
    )


def ended_early(recording: Recording, unconsumed: tuple[int, ...]) -> Divergence:
    """The run ended with recorded answers it never asked for."""
    first = recording.steps[unconsumed[0]]
    return Divergence(
        kind="run-ended-early",
        summary=(
            f"the run ended before consuming the recording: {len(unconsumed)} recorded "
            f"model, tool or retrieval step(s) were never asked for, the first is {first.label()}"
        ),
        recorded_step=first.number,
        step_kind=first.kind,
        step_name=first.name,
        unconsumed=unconsumed,
        next_steps=next_steps(recording.session.id, "run-ended-early", first.number),
    )


def next_steps(session_id: str, kind: DivergenceKind, recorded_step: int | None) -> tuple[str, ...]:
    short = session_id[:12]
    hints = [f"if the change is intended, record the run again: agentreel record {_COMMAND}"]
    if kind == "run-ended-early":
        hints.append("if the run stopped because of an error, fix it and replay again")
    else:
        hints.append(
            f"to keep going live from here: agentreel replay {short} "
            f"--mode live-after-divergence {_COMMAND}"
        )
        hints.append(
            f"to serve what matches and run only the new calls live: agentreel replay {short} "
            f"--mode new-steps {_COMMAND}"
        )
    if recorded_step is not None:
        if kind == "mismatch":
            hints.append(
                f"to edit the recorded answer: agentreel replay {short} "
                f"--fork-at {recorded_step} {_COMMAND}"
            )
        hints.append(f"to see the recorded step: agentreel show {short} --step {recorded_step}")
    return tuple(hints)


def _expected_next(
    recording: Recording, consumed: Mapping[int, int], parent: int | None
) -> RecordedStep | None:
    for rs in recording.children.get(parent, ()):
        if rs.servable and rs.finished and rs.number not in consumed:
            return rs
    return None


def _candidates(
    recording: Recording,
    consumed: Mapping[int, int],
    pool: tuple[RecordedStep, ...],
    parent: int | None,
    placed: bool,
    kind: str,
    name: str,
    request: JSON,
) -> tuple[Candidate, ...]:
    found: list[Candidate] = []
    for rs in pool:
        if rs.number in consumed:
            if not diff_values(rs.request, request):
                found.append(
                    _candidate(rs, f"same request, already answered new step {consumed[rs.number]}")
                )
        elif not rs.finished:
            found.append(
                _candidate(rs, "the recorded step never finished (the recording was cut short)")
            )
        else:
            diff = diff_values(rs.request, request, "input")
            path = diff[0].path if diff else None
            found.append(_candidate(rs, f"the request differs at {path}", path))
    if placed:
        for rs in recording.children.get(parent, ()):
            if rs.kind == kind and rs.name != name and rs.number not in consumed:
                found.append(_candidate(rs, f"a different {kind} (the new call is `{name}`)"))
    for rs in recording.by_name.get((kind, name), ()):
        if (not placed or rs.parent != parent) and rs.number not in consumed:
            where = "the top level" if rs.parent is None else f"step {rs.parent}"
            found.append(_candidate(rs, f"recorded under {where}, not here"))
    return tuple(found[:MAX_CANDIDATES])


def _candidate(rs: RecordedStep, reason: str, path: str | None = None) -> Candidate:
    return Candidate(step=rs.number, kind=rs.kind, name=rs.name, reason=reason, path=path)
