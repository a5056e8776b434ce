"""The virtual repository the demo's tools act on."""

from __future__ import annotations

import pytest

from agentreel.demo import VirtualRepo


def make() -> VirtualRepo:
    return VirtualRepo({"b.py": "x = 1\ny = 2\n", "a.py": "y = 3\n"})


def test_edit_replaces_the_one_occurrence() -> None:
    repo = make()
    repo.edit("b.py", "y = 2", "y = 20")
    assert repo.read("b.py") == "x = 1\ny = 20\n"


@pytest.mark.parametrize(("old", "problem"), [("z = 9", "does not occur"), ("= ", "occurs 2")])
def test_edit_refuses_text_that_is_not_there_exactly_once(old: str, problem: str) -> None:
    repo = make()
    with pytest.raises(ValueError, match=problem):
        repo.edit("b.py", old, "q")
    assert repo.read("b.py") == "x = 1\ny = 2\n"


def test_missing_files_raise_file_not_found() -> None:
    with pytest.raises(FileNotFoundError, match=r"'c\.py'"):
        make().read("c.py")
    with pytest.raises(FileNotFoundError):
        make().edit("c.py", "x", "y")


def test_search_lists_hits_in_path_order() -> None:
    assert make().search("y =") == ["a.py:1: y = 3", "b.py:2: y = 2"]


def test_the_files_view_is_read_only_and_live() -> None:
    repo = make()
    view = repo.files
    with pytest.raises(TypeError):
        view["a.py"] = "changed"  # type: ignore[index]
    repo.edit("a.py", "3", "4")
    assert view["a.py"] == "y = 4\n"


def test_dump_holds_every_file() -> None:
    assert make().dump() == "=== a.py ===\ny = 3\n\n=== b.py ===\nx = 1\ny = 2\n"
