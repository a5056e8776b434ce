"""The public face of agentreel.reelfile is exactly what the CLI codes against."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

import agentreel.reelfile as reelfile
from agentreel.reelfile import ExportSummary, ImportSummary, Reel


def test_all_is_sorted_and_complete() -> None:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    def group(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert reelfile.__all__ == sorted(reelfile.__all__, key=group)
    assert set(reelfile.__all__) == {
        "REEL_FORMAT_VERSION",
        "ExportSummary",
        "ImportSummary",
        "Reel",
        "export_reel",
        "import_reel",
        "read_reel",
    }
    public = {n for n in vars(reelfile) if not n.startswith(("_", "@"))} - {"annotations"}
    assert public == set(reelfile.__all__)


def test_format_version() -> None:
    assert reelfile.REEL_FORMAT_VERSION == 1


def test_signatures() -> None:
    def shape(fn: object) -> list[tuple[str, object, object]]:
        params = inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.kind, p.default) for p in params]

    empty = inspect.Parameter.empty
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert shape(reelfile.export_reel) == [
        ("store", positional, empty),
        ("session_ids", positional, empty),
        ("dest", positional, empty),
        ("compress", inspect.Parameter.KEYWORD_ONLY, None),
    ]
    assert shape(reelfile.import_reel) == [
        ("store", positional, empty),
        ("source", positional, empty),
    ]
    assert shape(reelfile.read_reel) == [("source", positional, empty)]


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (ExportSummary, {"sessions": 1, "steps": 2, "blobs": 3, "bytes": 4}),
        (ImportSummary, {"session_ids": ("a",), "steps": 2, "blobs": 3, "replaced": ()}),
        (Reel, {"format_version": 1, "sessions": (), "steps": (), "blobs": {}}),
    ],
)
def test_results_are_frozen_keyword_only_dataclasses(cls: type, values: dict[str, object]) -> None:
    assert [f.name for f in dataclasses.fields(cls)] == list(values)
    with pytest.raises(TypeError):
        cls(*values.values())
    result = cls(**values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.steps = 0
    assert not hasattr(result, "__dict__")  # slots
