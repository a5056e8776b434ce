"""The C extension agentreel._speedups: built here, and the same answers as its Python twin."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentreel
from agentreel import _redact
from agentreel._redact import TOKEN_CHARS, py_has_token_run
from agentreel.recording import MASK, _writer
from agentreel.storage import SQLiteStore


def _speedups() -> object:
    try:
        return importlib.import_module("agentreel._speedups")
    except ImportError as exc:  # pragma: no cover - the message is the point
        pytest.fail(
            "agentreel._speedups was not built: the tests need the C extension. Install a "
            f"C compiler and Python's headers, then `make` again ({exc})"
        )


def _c_has_token_run() -> Callable[[bytes | str, int], bool]:
    return _speedups().has_token_run  # type: ignore[attr-defined, no-any-return]


def _truth(text: bytes | str, length: int) -> bool:
    # The definition, by regular expression over the UTF-8 bytes.
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    pattern = b"[" + re.escape(TOKEN_CHARS.encode()) + b"]{%d}" % length
    return re.search(pattern, data) is not None


def test_the_extension_is_built_and_used() -> None:
    module = _speedups()
    assert sorted(module.TOKEN_CHARS) == sorted(TOKEN_CHARS)  # type: ignore[attr-defined]
    assert _redact.has_token_run is module.has_token_run  # type: ignore[attr-defined]
    assert _writer._has_run is module.has_token_run  # type: ignore[attr-defined]


# Text made mostly of token characters, with separators (one of which, "é",
# is two bytes in UTF-8) and a few characters beyond Latin-1.
_ALPHABET = "aZ09_-+/=.~" * 6 + ' "{}:,\n@é\x80\xff' + "€\U0001f600"


@settings(max_examples=600, deadline=None)
@given(text=st.text(alphabet=_ALPHABET, max_size=300), length=st.integers(1, 64))
def test_agrees_with_the_python_twin_on_text(text: str, length: int) -> None:
    expected = _truth(text, length)
    assert py_has_token_run(text, length) is expected
    assert _c_has_token_run()(text, length) is expected
    encoded = text.encode()
    assert _c_has_token_run()(encoded, length) is expected
    assert py_has_token_run(encoded, length) is expected


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300), length=st.integers(1, 64))
def test_agrees_with_the_python_twin_on_any_bytes(data: bytes, length: int) -> None:
    expected = _truth(data, length)
    assert _c_has_token_run()(data, length) is py_has_token_run(data, length) is expected


@pytest.mark.parametrize("length", [1, 2, 14, 15, 16, 31, 32, 33, 63, 64])
@pytest.mark.parametrize("start", [0, 1, 40, 49, 50, 63, 64, 65, 120, 127, 128, 190])
@pytest.mark.parametrize("short_by", [0, 1])
def test_runs_at_every_place_around_the_64_byte_blocks(
    length: int, start: int, short_by: int
) -> None:
    # The C function reads 64 bytes at a time: a run may sit inside a block,
    # straddle one or two boundaries, or end the text in a short last block.
    run = "k" * (length - short_by)
    for tail in ("", " ", ' "}, {' * 20):
        text = " " * start + run + tail
        expected = short_by == 0
        assert _c_has_token_run()(text, length) is expected, (start, tail)
        assert _c_has_token_run()(text.encode(), length) is expected, (start, tail)
        assert py_has_token_run(text, length) is expected


def test_long_runs_of_whole_blocks_and_wide_text() -> None:
    has_run = _c_has_token_run()
    assert has_run(b"x" * 64 * 5, 64)
    assert has_run("é" + "x" * 200, 64)
    assert not has_run(("x" * 63 + " ") * 10, 64)
    assert not has_run(("x" * 14 + "€") * 10, 15)  # a str of two-byte characters
    assert has_run("€" + "x" * 15, 15)
    assert not has_run("", 1)
    assert not has_run(b"", 1)


def test_wrong_arguments_are_refused() -> None:
    has_run = _c_has_token_run()
    with pytest.raises(TypeError, match="bytes or str"):
        has_run(bytearray(b"abc"), 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="between 1 and 64"):
        has_run(b"abc", 0)
    with pytest.raises(ValueError, match="between 1 and 64"):
        has_run(b"abc", 65)
    with pytest.raises(TypeError):
        has_run(b"abc")  # type: ignore[call-arg]


@pytest.mark.parametrize("twin", ["c", "python"])
def test_the_recorder_masks_secrets_with_either(
    twin: str, db_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A secret buried in a kilobyte of prose, as the benchmark's attribute,
    # found by the prefilter whichever implementation it uses.
    if twin == "python":
        monkeypatch.setattr(_writer, "_has_run", py_has_token_run)
        monkeypatch.setattr(_redact, "has_token_run", py_has_token_run)
    prose = "lorem ipsum dolor sit amet consectetur adipiscing elit " * 18
    secret = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    agentreel.configure(db=db_path)
    with agentreel.session("s"):
        with agentreel.step("tool", "t", attributes={"doc": prose + secret + " " + prose}):
            pass
        with agentreel.step("tool", "clean", attributes={"doc": prose}):
            pass
    agentreel.shutdown()
    store = SQLiteStore(db_path)  # type: ignore[arg-type]
    (summary,) = store.list_sessions()
    leaky, clean = store.get_steps(summary.session.id)
    store.close()
    assert leaky.attributes == {"doc": prose + MASK + " " + prose}
    assert clean.attributes == {"doc": prose}
