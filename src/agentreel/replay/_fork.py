"""Forking a recorded run at a step: serve an edited answer there, run the rest live."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from agentreel.errors import ConfigurationError
from agentreel.model import JSON, ErrorInfo
from agentreel.recording import Answer

from ._exceptions import rebuild
from ._recording import RecordedStep

#: What answered a forked step, on the step as ``agentreel.answered_by``.
FORK_SOURCE = "replay-fork"


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """The change a fork makes at its step; give exactly one field.

    ``output``: serve this instead of the recorded output. ``input``: run the
    step live with these arguments — for a decorated function, parameters by
    name replacing the caller's; for a model call captured over HTTP, fields
    merged into the request body. ``error``: make the step fail with this
    error (rebuilt like a recorded one).

    ``Edit(output=None)`` cannot be told apart from no edit: to make a step
    return None, fork without an edit and let it run live.
    """

    output: JSON | None = None
    input: JSON | None = None
    error: ErrorInfo | None = None

    @property
    def field(self) -> str:
        """Which of the three fields is set."""
        return next(
            name for name in ("output", "input", "error") if getattr(self, name) is not None
        )


def check_edit(edit: Edit | None, fork_at: int | None) -> None:
    if edit is None:
        return
    if fork_at is None:
        raise ConfigurationError("an edit needs fork_at=N: the step to apply it to")
    given = [n for n in ("output", "input", "error") if getattr(edit, n) is not None]
    if len(given) != 1:
        raise ConfigurationError(
            f"an Edit takes exactly one of output=, input= or error= (got {len(given)})"
        )
    if edit.input is not None and not isinstance(edit.input, dict):
        raise ConfigurationError(
            "Edit(input=...) takes a dict of argument names (or request body fields) to values"
        )
    if edit.error is not None and not isinstance(edit.error, ErrorInfo):
        raise ConfigurationError("Edit(error=...) takes an agentreel.model.ErrorInfo")


def fork_answer(edit: Edit | None, recorded: RecordedStep, session_id: str) -> Answer | None:
    """How the forked step is answered; None runs it live as it is."""
    if edit is None:
        return None
    if edit.input is not None:
        return Answer(arguments=dict(edit.input), source=FORK_SOURCE)
    if edit.error is not None:
        note = f"agentreel: the error of step {recorded.number} as edited by a fork of {session_id}"
        return Answer(exception=rebuild(edit.error, note), source=FORK_SOURCE)
    # A copy: the program may mutate what it is given, the Edit stays as written.
    return Answer(output=copy.deepcopy(edit.output), source=FORK_SOURCE)
