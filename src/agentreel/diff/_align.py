"""Aligning two sequences whose items match exactly, loosely, or not at all.

Both step lists and JSON lists are aligned the same way. Each item carries two
keys: an *exact* key (two items with equal exact keys are the same thing) and
a *loose* key (equal loose keys mean "the same kind of thing, changed"). The
alignment maximises two points per exact match plus one per loose match, so
that a changed item pairs with its counterpart instead of becoming a removal
plus an addition, and an inserted item shifts nothing after it.

The optimum costs time proportional to the product of the lengths. Common
prefixes and suffixes are matched first (that is always optimal), so typical
diffs only pay for the part that differs; a middle part too large for the
table is split at exact matches found by :class:`difflib.SequenceMatcher`,
and what remains too large is paired on loose keys by the same heuristic.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from difflib import SequenceMatcher

__all__ = ["MAX_CELLS", "Keys", "Pairing", "align"]

#: One item's (exact, loose) keys.
Keys = tuple[Hashable, Hashable]
#: Indices into the two sequences: both for a match, one for a removal or addition.
Pairing = tuple[int | None, int | None]

#: The largest table the exact alignment fills (a tenth of a second or so in CPython).
MAX_CELLS = 1_000_000

_EXACT = 2
_LOOSE = 1


def align(a: Sequence[Keys], b: Sequence[Keys], *, max_cells: int = MAX_CELLS) -> list[Pairing]:
    """Pair up the items of ``a`` and ``b`` in order.

    Every index of both sequences appears exactly once. Matched pairs keep the
    order of both sequences; where items are removed and added at the same
    place, removals come first, and at equal score an item pairs with the
    earliest counterpart it can.
    """
    n, m = len(a), len(b)
    start = 0
    while start < n and start < m and a[start][0] == b[start][0]:
        start += 1
    end_a, end_b = n, m
    while end_a > start and end_b > start and a[end_a - 1][0] == b[end_b - 1][0]:
        end_a -= 1
        end_b -= 1
    out: list[Pairing] = [(i, i) for i in range(start)]
    out.extend(_middle(a, b, start, end_a, start, end_b, max_cells))
    out.extend((end_a + k, end_b + k) for k in range(n - end_a))
    return out


def _middle(
    a: Sequence[Keys], b: Sequence[Keys], a0: int, a1: int, b0: int, b1: int, max_cells: int
) -> list[Pairing]:
    if a0 == a1 or b0 == b1:
        return [(i, None) for i in range(a0, a1)] + [(None, j) for j in range(b0, b1)]
    if (a1 - a0) * (b1 - b0) <= max_cells:
        return _optimal(a, b, a0, a1, b0, b1)
    return _anchored(a, b, a0, a1, b0, b1, max_cells)


def _optimal(
    a: Sequence[Keys], b: Sequence[Keys], a0: int, a1: int, b0: int, b1: int
) -> list[Pairing]:
    n, m = a1 - a0, b1 - b0
    # best[i][j]: the best score aligning a[a0+i:a1] with b[b0+j:b1]. Working
    # on suffixes lets the walk below go forwards and prefer early pairings.
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        exact_a, loose_a = a[a0 + i]
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            exact_b, loose_b = b[b0 + j]
            score = below[j] if below[j] >= row[j + 1] else row[j + 1]
            if exact_a == exact_b:
                score = max(score, below[j + 1] + _EXACT)
            elif loose_a == loose_b:
                score = max(score, below[j + 1] + _LOOSE)
            row[j] = score
    out: list[Pairing] = []
    i = j = 0
    while i < n and j < m:
        exact_a, loose_a = a[a0 + i]
        exact_b, loose_b = b[b0 + j]
        gain = _EXACT if exact_a == exact_b else _LOOSE if loose_a == loose_b else 0
        if gain and best[i][j] == best[i + 1][j + 1] + gain:
            out.append((a0 + i, b0 + j))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            out.append((a0 + i, None))
            i += 1
        else:
            out.append((None, b0 + j))
            j += 1
    out.extend((a0 + k, None) for k in range(i, n))
    out.extend((None, b0 + k) for k in range(j, m))
    return out


def _anchored(
    a: Sequence[Keys], b: Sequence[Keys], a0: int, a1: int, b0: int, b1: int, max_cells: int
) -> list[Pairing]:
    matcher = SequenceMatcher(
        None, [k[0] for k in a[a0:a1]], [k[0] for k in b[b0:b1]], autojunk=False
    )
    out: list[Pairing] = []
    i, j = a0, b0
    for block in matcher.get_matching_blocks():
        bi, bj = a0 + block.a, b0 + block.b
        # Between two exact matches nothing matches exactly any more.
        if (bi - i) * (bj - j) <= max_cells:
            out.extend(_middle(a, b, i, bi, j, bj, max_cells))
        else:
            out.extend(_loose(a, b, i, bi, j, bj))
        out.extend((bi + k, bj + k) for k in range(block.size))
        i, j = bi + block.size, bj + block.size
    return out


def _loose(
    a: Sequence[Keys], b: Sequence[Keys], a0: int, a1: int, b0: int, b1: int
) -> list[Pairing]:
    matcher = SequenceMatcher(
        None, [k[1] for k in a[a0:a1]], [k[1] for k in b[b0:b1]], autojunk=False
    )
    out: list[Pairing] = []
    i, j = a0, b0
    for block in matcher.get_matching_blocks():
        bi, bj = a0 + block.a, b0 + block.b
        out.extend((k, None) for k in range(i, bi))
        out.extend((None, k) for k in range(j, bj))
        out.extend((bi + k, bj + k) for k in range(block.size))
        i, j = bi + block.size, bj + block.size
    return out
