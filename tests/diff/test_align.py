"""The alignment under both step and list diffs."""

from __future__ import annotations

import random
from collections.abc import Hashable

import pytest

from agentreel.diff._align import Keys, Pairing, align


def _keys(text: str) -> list[Keys]:
    """``"A b C"``: letters are items; the loose key is the letter, case-folded."""
    return [(c, c.lower()) for c in text.split()]


def _render(a: list[Keys], b: list[Keys], pairing: list[Pairing]) -> list[str]:
    out = []
    for i, j in pairing:
        if i is not None and j is not None:
            out.append(f"{a[i][0]}={b[j][0]}" if a[i][0] == b[j][0] else f"{a[i][0]}~{b[j][0]}")
        elif i is not None:
            out.append(f"-{a[i][0]}")
        else:
            assert j is not None
            out.append(f"+{b[j][0]}")
    return out


def _check_valid(a: list[Keys], b: list[Keys], pairing: list[Pairing]) -> None:
    assert sorted(i for i, _ in pairing if i is not None) == list(range(len(a)))
    assert sorted(j for _, j in pairing if j is not None) == list(range(len(b)))
    matched = [(i, j) for i, j in pairing if i is not None and j is not None]
    assert matched == sorted(matched)
    assert [j for _, j in matched] == sorted(j for _, j in matched)
    for i, j in matched:
        assert a[i][1] == b[j][1]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a b c", "a b c", ["a=a", "b=b", "c=c"]),
        ("a b c", "a x b c", ["a=a", "+x", "b=b", "c=c"]),
        ("a b c", "a c", ["a=a", "-b", "c=c"]),
        # A changed item pairs with its counterpart (same loose key).
        ("a b c", "a B c", ["a=a", "b~B", "c=c"]),
        # Items of another kind are removed and added, removals first.
        ("a b c", "a x c", ["a=a", "-b", "+x", "c=c"]),
        # A repeated exact item does not pull the alignment away from a change.
        ("r q r", "Q r", ["-r", "q~Q", "r=r"]),
        # At equal score, the earliest counterpart wins.
        ("t", "T t2", ["t~T", "+t2"]),
        ("", "a b", ["+a", "+b"]),
        ("a b", "", ["-a", "-b"]),
    ],
)
def test_alignments(a: str, b: str, expected: list[str]) -> None:
    ka, kb = _keys(a), _keys(b)
    pairing = align(ka, kb)
    _check_valid(ka, kb, pairing)
    assert _render(ka, kb, pairing) == expected


def test_a_replaced_run_pairs_each_step_with_its_counterpart() -> None:
    ka = _keys("p l1 t1 l2 t2 l3")
    kb = _keys("p L1 T1 x L2 t2 L3")
    assert _render(ka, kb, align(ka, kb)) == [
        "p=p",
        "l1~L1",
        "t1~T1",
        "+x",
        "l2~L2",
        "t2=t2",
        "l3~L3",
    ]


def _random_keys(rng: random.Random, n: int) -> list[Keys]:
    out: list[tuple[Hashable, Hashable]] = []
    for _ in range(n):
        loose = rng.choice("abcdef")
        out.append((f"{loose}{rng.randrange(3)}", loose))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_the_fallback_for_large_inputs_is_a_valid_alignment(seed: int) -> None:
    rng = random.Random(seed)
    ka = _random_keys(rng, rng.randrange(0, 40))
    kb = _random_keys(rng, rng.randrange(0, 40))
    optimal = align(ka, kb)
    fallback = align(ka, kb, max_cells=4)
    _check_valid(ka, kb, optimal)
    _check_valid(ka, kb, fallback)

    def score(pairing: list[Pairing]) -> int:
        return sum(
            2 if ka[i][0] == kb[j][0] else 1 for i, j in pairing if i is not None and j is not None
        )

    assert score(fallback) <= score(optimal)


def test_the_fallback_still_finds_an_insertion_and_changed_ends() -> None:
    tools = [(f"s{i}", "tool") for i in range(50)]
    ka = [("start", "llm"), *tools, ("end", "llm")]
    kb = [("START", "llm"), *tools[:20], ("new", "lint"), *tools[20:], ("END", "llm")]
    # Changed ends leave no common prefix or suffix: the whole 52 x 53 table
    # would be needed, far more than the 10 cells allowed.
    pairing = align(ka, kb, max_cells=10)
    _check_valid(ka, kb, pairing)
    assert pairing == [(i, i) for i in range(21)] + [(None, 21)] + [
        (i, i + 1) for i in range(21, 52)
    ]
