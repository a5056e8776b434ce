"""Recorded exceptions come back as exceptions: the same class where it is safe."""

from __future__ import annotations

import sys

import pytest

import agentreel
from agentreel.model import ErrorInfo
from agentreel.replay import ReplayedError
from agentreel.replay._exceptions import rebuild, resolve

from . import _agents
from ._agents import CALLS
from .conftest import Reel


class QuotaExceeded(Exception):
    """A program's own exception class, defined at module level."""


@agentreel.tool
def charge(amount: int) -> int:
    CALLS["charge"] += 1
    if amount > 10:
        raise QuotaExceeded(f"amount {amount} is over the quota of 10")
    return amount


def test_a_builtin_error_comes_back_with_its_class_and_message(reel: Reel) -> None:
    def run() -> None:
        with pytest.raises(FileNotFoundError):
            _agents.read_file("missing.txt")

    original = reel.record("missing", run)
    _agents.reset()
    _agents.FILES["missing.txt"] = "it exists now: a live read would succeed"
    with agentreel.replay(original, db=reel.path) as r:
        with pytest.raises(FileNotFoundError) as caught:
            _agents.read_file("missing.txt")
    assert str(caught.value) == "[Errno 2] No such file or directory: 'missing.txt'"
    assert type(caught.value) is FileNotFoundError
    assert any("replayed from step 1" in note for note in caught.value.__notes__)
    assert CALLS == {}
    assert r.result.ok and r.result.served == 1


def test_an_error_class_of_the_program_comes_back_as_that_class(reel: Reel) -> None:
    def run() -> None:
        with pytest.raises(QuotaExceeded):
            charge(50)

    original = reel.record("quota", run)
    CALLS.clear()
    with agentreel.replay(original, db=reel.path):
        with pytest.raises(QuotaExceeded, match="amount 50 is over the quota of 10"):
            charge(50)
    assert CALLS == {}


def test_an_error_class_that_cannot_be_found_comes_back_as_replayed_error(reel: Reel) -> None:
    class LocalError(Exception):
        pass

    @agentreel.tool
    def flaky() -> None:
        CALLS["flaky"] += 1
        raise LocalError("flaked")

    def run() -> None:
        with pytest.raises(LocalError):
            flaky()

    original = reel.record("flaky", run)
    CALLS.clear()
    with agentreel.replay(original, db=reel.path):
        with pytest.raises(ReplayedError) as caught:
            flaky()
    assert caught.value.type_name.endswith("<locals>.LocalError")
    assert caught.value.message == "flaked"
    assert CALLS == {}


def test_each_answer_is_a_new_exception_object(reel: Reel) -> None:
    def run() -> None:
        for _ in range(2):
            with pytest.raises(FileNotFoundError):
                _agents.read_file("gone")

    original = reel.record("twice", run)
    caught: list[BaseException] = []
    with agentreel.replay(original, db=reel.path):
        for _ in range(2):
            try:
                _agents.read_file("gone")
            except FileNotFoundError as exc:
                caught.append(exc)
    assert len(caught) == 2 and caught[0] is not caught[1]


def test_modules_named_by_a_recording_are_never_imported() -> None:
    name = "agentreel_never_imported_module"
    assert name not in sys.modules
    error = ErrorInfo(type=f"{name}.Boom", message="boom")
    exc = rebuild(error)
    assert type(exc) is ReplayedError and str(exc) == f"{name}.Boom: boom"
    assert name not in sys.modules


def test_only_exception_classes_are_built() -> None:
    # os.system is an attribute of an imported module, but not an exception class.
    assert resolve("os.system") is None
    assert resolve("builtins.print") is None
    assert resolve("print") is None
    assert resolve("ValueError") is ValueError
    assert resolve("json.JSONDecodeError") is __import__("json").JSONDecodeError


def test_a_class_that_needs_more_than_a_message_becomes_replayed_error() -> None:
    # JSONDecodeError(msg, doc, pos) cannot be rebuilt from its message alone.
    exc = rebuild(ErrorInfo(type="json.decoder.JSONDecodeError", message="Expecting value"))
    assert type(exc) is ReplayedError
    assert (exc.type_name, exc.message) == ("json.decoder.JSONDecodeError", "Expecting value")


def test_a_key_error_keeps_its_message() -> None:
    exc = rebuild(ErrorInfo(type="KeyError", message="'user_id'"))
    assert type(exc) is KeyError and str(exc) == "'user_id'" and exc.args == ("user_id",)
