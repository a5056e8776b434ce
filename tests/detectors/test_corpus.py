"""Precision and recall of every detector over the labelled corpus, and the docs that quote them.

A finding matches a label when detector, kind and session agree and their
step numbers overlap (both empty for session-wide findings); each label
takes one finding at most, so a duplicate finding counts against precision.
"""

from __future__ import annotations

import re
from pathlib import Path

from agentreel.detectors import DETECTORS

from ._corpus import composition, table
from .conftest import Measured

DOC = Path(__file__).parents[2] / "docs" / "detectors.md"
FLOOR = 0.9


def measured_block(measured: Measured) -> str:
    corpus = measured.corpus
    kinds = composition(corpus)
    clean = sum(n for name, n in kinds.items() if name == "clean" or name.startswith("clean:"))
    labels = sum(len(e.truths) for e in corpus.entries)
    head = (
        f"Corpus: {len(corpus.entries)} sessions in {len({e.project for e in corpus.entries})} "
        "projects "
        f"({clean} clean, {len(corpus.entries) - clean} with failures injected), "
        f"{labels} labelled findings."
    )
    return head + "\n\n" + table(measured.scores)


def test_every_detector_is_precise_and_finds_what_was_injected(measured: Measured) -> None:
    print("\n" + measured_block(measured))
    for miss in measured.scores.misses:
        print(miss)
    assert not measured.scores.crashes
    for detector in DETECTORS:
        score = measured.scores.by_detector[detector]
        assert score.tp + score.fn >= 15, f"{detector}: too few labels to measure"
        assert score.precision >= FLOOR, (detector, score)
        assert score.recall >= FLOOR, (detector, score)


def test_every_kind_is_labelled_and_measured(measured: Measured) -> None:
    for (detector, kind), score in measured.scores.by_kind.items():
        assert score.tp + score.fn >= 5, f"{detector}/{kind}: fewer than 5 labelled cases"
        assert score.precision >= FLOOR, (detector, kind, score)


def test_the_corpus_is_sized_to_measure_quickly(measured: Measured) -> None:
    assert 150 <= len(measured.corpus.entries) <= 320


def test_the_documented_figures_are_the_measured_ones(measured: Measured) -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(r"<!-- measured -->\n(.*?)\n<!-- /measured -->", text, re.DOTALL)
    assert found is not None, "docs/detectors.md lacks the measured block"
    assert found.group(1).strip() == measured_block(measured), (
        "docs/detectors.md quotes other figures than the corpus measures; paste this:\n"
        + measured_block(measured)
    )
