"""Helpers of the fault builders: a normal run to start from, and turns put into it."""

from __future__ import annotations

import random
from dataclasses import replace

from ._scenarios import Project, fixer, investigator, verifier
from ._script import Run, Turn

INV, FIX, VER = 0, 1, 2


def insert(run: Run, at: int, turns: list[Turn], *tools: str) -> Run:
    return replace(
        run,
        turns=run.turns[:at] + tuple(turns) + run.turns[at:],
        tools=tuple(dict.fromkeys((*run.tools, *tools))),
    )


def three(rng: random.Random, project: Project, reads: int = 2) -> list[Run]:
    return [investigator(rng, project, reads=reads), fixer(rng, project), verifier(rng, project)]
