"""The agent of ``_agent.py`` recorded once per module in every variant the tests diff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentreel.storage import SQLiteStore

from ._agent import Fixer, record

EDITED_SYSTEM = (
    "You are a careful engineer.\nFix the failing test.\nNever edit the tests; explain each change."
)
NEW_CONTENT = "def divide(a, b):\n    if b == 0:\n        raise ValueError\n    return a / b\n"

VARIANTS = {
    "base": (Fixer(), {}),
    "again": (Fixer(), {}),
    "lint": (Fixer(lint=True), {}),
    "no-tests": (Fixer(tests=False), {}),
    "target": (Fixer(target="calc/ops.py"), {}),
    "prompt": (Fixer(system=EDITED_SYSTEM), {}),
    "content": (Fixer(), {"files": {"calc/arith.py": NEW_CONTENT}}),
    "failing": (Fixer(), {"fail": True}),
    "nested": (Fixer(nested_tests=True), {}),
}


@dataclass(frozen=True, slots=True)
class Recorded:
    path: Path
    store: SQLiteStore
    ids: dict[str, str]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    path = tmp_path_factory.mktemp("diff") / "reel.db"
    ids = record(path, VARIANTS)
    store = SQLiteStore(path, create=False)
    try:
        yield Recorded(path, store, ids)
    finally:
        store.close()
