"""diff_values: a structural JSON diff whose lists are aligned, not zipped."""

from __future__ import annotations

from agentreel.diff import FieldChange, diff_values, text_diff

SYSTEM = {"role": "system", "content": "You fix tests."}


def _msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def test_equal_values_have_no_changes() -> None:
    value = {"a": [1, {"b": None}], "c": "text", "d": 1.5, "e": True}
    assert diff_values(value, value) == ()
    assert diff_values(value, {"e": True, "d": 1.5, "c": "text", "a": [1, {"b": None}]}) == ()


def test_object_keys_added_removed_and_changed() -> None:
    before = {"path": "a.py", "limit": 10, "mode": "r"}
    after = {"path": "b.py", "mode": "r", "encoding": "utf-8"}
    assert diff_values(before, after, "input") == (
        FieldChange(path="input.path", before="a.py", after="b.py"),
        FieldChange(path="input.limit", before=10, after=None, change="removed"),
        FieldChange(path="input.encoding", before=None, after="utf-8", change="added"),
    )


def test_paths_without_a_root_and_with_awkward_keys() -> None:
    assert diff_values({"x-y": 1, "ok": {"a b": 1}}, {"x-y": 2, "ok": {"a b": 2}}) == (
        FieldChange(path='["x-y"]', before=1, after=2),
        FieldChange(path='ok["a b"]', before=1, after=2),
    )
    assert diff_values(1, 2) == (FieldChange(path="", before=1, after=2),)


def test_an_inserted_message_is_one_addition() -> None:
    before = [SYSTEM, _msg("user", "hi"), _msg("assistant", "a"), _msg("user", "more")]
    after = [*before[:2], _msg("assistant", "x"), _msg("tool", "y"), *before[2:]]
    assert diff_values({"messages": before}, {"messages": after}, "input") == (
        FieldChange(path="input.messages[2]", before=None, after=after[2], change="added"),
        FieldChange(path="input.messages[3]", before=None, after=after[3], change="added"),
    )


def test_a_removed_item_is_named_by_its_index_before() -> None:
    assert diff_values(["a", "b", "c", "d"], ["a", "c", "d"], "hits") == (
        FieldChange(path="hits[1]", before="b", after=None, change="removed"),
    )


def test_a_replaced_message_of_the_same_role_is_compared_inside() -> None:
    before = [SYSTEM, _msg("user", "fix it"), _msg("assistant", "ok")]
    after = [SYSTEM, _msg("user", "fix it now"), _msg("assistant", "ok")]
    assert diff_values(before, after, "messages") == (
        FieldChange(path="messages[1].content", before="fix it", after="fix it now"),
    )


def test_an_item_of_another_kind_is_a_removal_and_an_addition() -> None:
    before = [SYSTEM, _msg("user", "q")]
    after = [SYSTEM, _msg("assistant", "q")]
    assert [(c.path, c.change) for c in diff_values(before, after)] == [
        ("[1]", "removed"),
        ("[1]", "added"),
    ]


def test_type_changes_and_json_scalars() -> None:
    assert diff_values({"a": True}, {"a": 1}) == (FieldChange(path="a", before=True, after=1),)
    assert diff_values({"a": 1}, {"a": 1.0}) == ()
    assert diff_values({"a": None}, {"a": 0}) == (FieldChange(path="a", before=None, after=0),)
    assert diff_values({"a": [1]}, {"a": {"0": 1}}) == (
        FieldChange(path="a", before=[1], after={"0": 1}),
    )


def test_long_or_multiline_strings_get_a_unified_diff() -> None:
    before = "line one\nline two\nline three\n"
    after = "line one\nline 2\nline three\n"
    (change,) = diff_values({"prompt": before}, {"prompt": after})
    assert change.text_diff == (
        "--- before\n+++ after\n@@ -1,3 +1,3 @@\n line one\n-line two\n+line 2\n line three"
    )
    (short,) = diff_values("short", "shorter")
    assert short.text_diff is None
    long_a, long_b = "x" * 81, "x" * 80 + "y"
    (single,) = diff_values(long_a, long_b)
    assert single.text_diff == f"--- before\n+++ after\n@@ -1 +1 @@\n-{long_a}\n+{long_b}"


def test_text_diff_context() -> None:
    before = "\n".join(f"line {i}" for i in range(10))
    after = before.replace("line 5", "line five")
    assert text_diff(before, after, context=0).splitlines()[2:] == [
        "@@ -6 +6 @@",
        "-line 5",
        "+line five",
    ]
    assert len(text_diff(before, after).splitlines()) == 3 + 2 * 3 + 2


def test_a_redaction_mask_matches_itself_and_what_it_hides() -> None:
    masked = {"api_key": "[REDACTED]", "headers": {"auth": "Bearer [REDACTED]"}}
    assert diff_values(masked, masked) == ()
    plain = {"api_key": "sk-live-1234567890abcdef", "headers": {"auth": "Bearer abcdef0123456789"}}
    assert diff_values(masked, plain) == ()
    assert diff_values(plain, masked) == ()
    # The text around a mask still counts, and a mask never stands for nothing.
    assert len(diff_values({"auth": "Bearer [REDACTED]"}, {"auth": "Basic abc"})) == 1
    assert len(diff_values({"key": "[REDACTED]"}, {"key": ""})) == 1
