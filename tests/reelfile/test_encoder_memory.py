"""An encoder's memory of chain links never changes a digest, only saves work."""

from __future__ import annotations

import pytest

from agentreel.payloads import PayloadEncoder, _blobs


def _conversation(n: int) -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": f"turn {i}"} for i in range(n)]}


def test_a_reused_encoder_gives_the_digests_of_a_fresh_one() -> None:
    reused = PayloadEncoder()
    for n in range(1, 30):
        value = _conversation(n)
        assert reused.encode(value).root == PayloadEncoder().encode(value).root
        assert reused.root_of(value) == PayloadEncoder().root_of(value)


def test_the_memory_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blobs, "_MAX_LINKS", 5)
    encoder = PayloadEncoder()
    for n in range(1, 12):
        value = _conversation(n)
        assert encoder.root_of(value) == PayloadEncoder().root_of(value)
        assert len(encoder._links) <= 5 + n  # cleared, then filled by one call at most


@pytest.mark.parametrize(
    "value",
    [
        {"path": "calc.py", "line": 3},
        {"hits": [{"id": 1}, {"id": 2}]},
        {"text": "a [{ in prose", "n": 1},
        {"@blob": "x"},
        [1, 2, {"a": [3]}],
        "plain",
    ],
)
def test_the_shortcut_for_plain_values_gives_the_walked_digest(value: object) -> None:
    walked = _blobs.digest_of(_blobs.dump_blob(PayloadEncoder()._encode(value, {}, chain=True)))
    assert PayloadEncoder().encode(value).root == walked
    assert PayloadEncoder().root_of(value) == walked
