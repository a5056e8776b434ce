"""The demo package's public names."""

from __future__ import annotations

import agentreel.demo


def test_all_is_sorted_and_complete() -> None:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    def group(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    names = agentreel.demo.__all__
    assert names == sorted(names, key=group)
    # pytest's assertion rewriting (our pytest plugin marks the package) adds "@py_*" names.
    public = {n for n in vars(agentreel.demo) if not n.startswith(("_", "@"))} - {"annotations"}
    assert public == set(names)
