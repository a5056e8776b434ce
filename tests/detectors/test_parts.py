"""The small parts: argument schemas, success claims, error results, settings."""

from __future__ import annotations

from typing import Any

import pytest

from agentreel.detectors import DetectorConfig, Rule
from agentreel.detectors._claims import error_result, success_claim
from agentreel.detectors._schema import check_arguments
from agentreel.errors import ConfigurationError

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "minLength": 1, "pattern": "^src/"},
        "line": {"type": "integer", "minimum": 1, "exclusiveMaximum": 1000},
        "mode": {"enum": ["r", "w"]},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "owner": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/user"}]},
        "flag": {"type": ["boolean", "null"]},
    },
    "required": ["path"],
    "additionalProperties": False,
    "$defs": {"user": {"type": "object", "required": ["id"]}},
}


@pytest.mark.parametrize(
    ("arguments", "problems"),
    [
        ({"path": "src/a.py"}, []),
        ({"path": "src/a.py", "line": 3, "mode": "r", "tags": ["x"], "owner": {"id": 1}}, []),
        ({"path": "src/a.py", "line": 4.0, "flag": None, "owner": None}, []),
        ({}, ["(arguments): missing required argument 'path'"]),
        ({"path": 7}, ["path: expected string, got 7"]),
        ({"path": "lib/a.py"}, ["path: 'lib/a.py' does not match '^src/'"]),
        (
            {"path": ""},
            ["path: is 0 characters, shorter than 1", "path: '' does not match '^src/'"],
        ),
        ({"path": "src/a", "line": 0}, ["line: 0 is less than 1"]),
        ({"path": "src/a", "line": 1000}, ["line: 1000 is not less than 1000"]),
        ({"path": "src/a", "line": True}, ["line: expected integer, got True"]),
        ({"path": "src/a", "mode": "x"}, ["mode: 'x' is not one of ['r', 'w']"]),
        ({"path": "src/a", "tags": ["a", 2]}, ["tags[1]: expected string, got 2"]),
        ({"path": "src/a", "tags": ["a", "b", "c"]}, ["tags: has 3 items, more than 2"]),
        ({"path": "src/a", "owner": {"name": "x"}}, ["owner: matches 0 of the anyOf alternatives"]),
        ({"path": "src/a", "extra": 1}, ["(arguments): unexpected argument 'extra'"]),
        ([1, 2], ["(arguments): expected object, got [1, 2]"]),
    ],
)
def test_arguments_are_checked_against_the_schema(arguments: Any, problems: list[str]) -> None:
    assert check_arguments(arguments, SCHEMA).errors == problems


def test_keywords_not_checked_are_named() -> None:
    result = check_arguments({"a": 1}, {"type": "object", "dependentRequired": {}, "not": {}})
    assert result.errors == []
    assert result.unsupported == {"dependentRequired", "not"}


@pytest.mark.parametrize(
    "text",
    [
        "All 12 tests pass.",
        "Tests pass now.",
        "The bug is fixed.",
        "I have fixed the failing test and the suite passes.",
        "Everything is green now.",
        "Done: the suite is green.",
        "Task complete.",
        "The build succeeded.",
        "It works now.",
    ],
)
def test_plain_success_claims(text: str) -> None:
    assert success_claim(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "The tests still fail.",
        "All tests pass except test_refund.",
        "Not fixed yet: test_refund fails.",
        "I could not get the tests to pass.",
        "If the tests pass, we are done.",
        "The build failed with 3 errors.",
        "test_add and test_divide pass.",
        "Giving up: the import still breaks.",
        "Reading the file now.",
    ],
)
def test_what_is_not_a_success_claim(text: str) -> None:
    assert success_claim(text) is None


@pytest.mark.parametrize(
    ("output", "failed"),
    [
        ({"ok": False}, True),
        ({"error": "boom"}, True),
        ({"errors": []}, False),
        ({"exit_code": 2}, True),
        ({"exit_code": 0, "output": "fine"}, False),
        ({"failed": ["test_a"], "passed": 3}, True),
        ({"failed": 0, "passed": 3}, False),
        ({"status": "FAILED"}, True),
        ("Error: no such file", True),
        ("Traceback (most recent call last):\n  ...", True),
        ("errors are handled in errors.py", False),
        (["error"], False),
        (None, False),
    ],
)
def test_results_that_report_an_error(output: Any, failed: bool) -> None:
    assert error_result(output) is failed


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Rule("r"), "neither a pattern nor a check"),
        (lambda: Rule("", pattern="x"), "needs a name"),
        (lambda: Rule("r", pattern="("), "not a valid regular expression"),
        (lambda: Rule("r", pattern="x", applies_to="both"), "use one of"),
        (lambda: DetectorConfig(spike_factor=0), "spike_factor must be a positive number"),
        (lambda: DetectorConfig(daily_budget_usd=-1), "daily_budget_usd must be positive"),
        (lambda: DetectorConfig(error_streak=1), "at least 2"),
        (lambda: DetectorConfig(rules=("x",)), "rules[0] is not a Rule"),  # type: ignore[arg-type]
        (lambda: DetectorConfig(tool_schemas={"t": 1}), "must be a JSON schema object"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_a_rule_breaks_by_pattern_or_by_check() -> None:
    strict = Rule("ts-strict", pattern=r'"strict"\s*:\s*false')
    assert strict.broken_by('{"strict": false}') and not strict.broken_by('{"strict": true}')
    no_force = Rule("no-force", check=lambda text: "--force" not in text)
    assert no_force.broken_by("git push --force") and not no_force.broken_by("git push")
    both = Rule("both", pattern="rm -rf", check=lambda text: "sudo" not in text)
    assert both.broken_by("rm -rf /") and both.broken_by("sudo ls") and not both.broken_by("ls")
