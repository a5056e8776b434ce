"""docs/reports.md: its example is what the command prints, and every JSON key is in it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from agentreel.reports import build_postmortem, build_rca, postmortem_json, rca_json
from agentreel.storage import SQLiteStore

from ._run import run_cli
from ._small import FAILED, write_small
from .conftest import Demo

DOC = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
#: Values whose keys are the recording's own (payloads, evidence, ids, counts by status).
FREE_FORM = {
    "input",
    "arguments",
    "evidence",
    "session_names",
    "counts",
    "tokens",
    "error",
}


def _keys(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield path, key
            if key not in FREE_FORM:
                yield from _keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, path)


def test_the_example_is_real_output(tmp_path: Path) -> None:
    match = re.search(
        r"\$ agentreel rca (\S+)\n```\n\n<!-- example[^\n]*-->\n````markdown\n(.*?)````\n",
        DOC,
        re.DOTALL,
    )
    assert match is not None
    prefix, shown = match.groups()
    run = run_cli(write_small(tmp_path / "reel.db"), "rca", prefix, now=time.time_ns())
    assert run.exit_code == 0
    assert run.out == shown


@pytest.mark.parametrize("kind", ["rca", "postmortem"])
def test_every_json_key_is_documented(demo: Demo, tmp_path: Path, kind: str) -> None:
    store = SQLiteStore(write_small(tmp_path / "reel.db"), create=False)
    if kind == "rca":
        docs = [
            rca_json(build_rca(store, FAILED)),
            rca_json(build_rca(demo.store, demo.ids["fix-flaky-import"])),
        ]
    else:
        docs = [postmortem_json(build_postmortem(s)) for s in (store, demo.store)]
    missing = sorted(
        {f"{path}.{key}" for doc in docs for path, key in _keys(doc) if f'"{key}"' not in DOC}
    )
    assert missing == []
