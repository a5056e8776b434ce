"""``agentreel diff``: exact output, JSON, exit codes and reel files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentreel.reelfile import export_reel
from agentreel.storage import SQLiteStore

from ._build import S, batch, write
from ._run import run_cli
from ._small import A_ID, B_ID, session_a, session_b

SMALL = """\
A  fix-failing-test  a1b2c3d4e5f6  5 steps  ok     $0.0012
B  fix-failing-test  b1b2c3d4e5f6  6 steps  error  $0.0012

3 same, 2 changed, 1 added, 0 removed
First divergence: A step 2 ↔ B step 2, llm chat changed (input.messages[0].content)

A  kind   name          B  status   changes
─────────────────────────────────────────────────────────────────────────
1  agent  fixer         1  same
2  llm      chat        2  changed  input.messages[0].content
3  tool     read_file   3  same
-  tool     lint        4  added
4  tool     run_tests   5  changed  input.path, output, status and 1 more
5  event  done          6  same

A step 2 ↔ B step 2  llm  chat
  input.messages[0].content:
    @@ -1,3 +1,3 @@
     You are a careful engineer.
     Fix the failing test.
    -Never edit the tests.
    +Never edit the tests; explain.

A step 4 ↔ B step 5  tool  run_tests
  input.path: "tests/" → "tests/unit"
  output: {"passed":3} → null
  status: "ok" → "error"
  error: null → {"type":"AssertionError","message":"1 failed"}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path / "reel.db", session_a(), session_b())


def test_two_sessions_side_by_side(small: Path) -> None:
    run = run_cli(small, "diff", A_ID[:6], B_ID[:6])
    assert run.text == SMALL
    assert run.exit_code == 1
    assert run.err == run.stderr == ""


def test_identical_sessions_exit_0(small: Path) -> None:
    run = run_cli(small, "diff", A_ID, A_ID[:4])
    assert run.exit_code == 0
    assert run.text == (
        "A  fix-failing-test  a1b2c3d4e5f6  5 steps  ok  $0.0012\n"
        "B  fix-failing-test  a1b2c3d4e5f6  5 steps  ok  $0.0012\n"
        "\n"
        "5 same, 0 changed, 0 added, 0 removed\n"
        "No divergence: the sessions are the same step for step.\n"
    )
    listed = run_cli(small, "diff", A_ID, A_ID, "--all")
    assert listed.exit_code == 0
    assert "5  event  done          5  same" in listed.text.splitlines()


def _long(tmp_path: Path) -> Path:
    def steps(changed: int | None) -> list[S]:
        return [
            S(kind="tool", name=f"step-{n}", input={"n": n * 10 if n == changed else n})
            for n in range(1, 11)
        ]

    return write(tmp_path / "long.db", batch(A_ID, "a", steps(None)), batch(B_ID, "b", steps(6)))


def _table(text: str) -> list[str]:
    """The rows of the step table: the third block of the output, after its header."""
    return text.split("\n\n")[2].splitlines()[2:]


def test_same_steps_far_from_a_change_are_collapsed(tmp_path: Path) -> None:
    db = _long(tmp_path)
    assert _table(run_cli(db, "diff", A_ID[:3], B_ID[:3], "--context", "1").text) == [
        "         … 4 same steps",
        "5  tool  step-5          5  same",
        "6  tool  step-6          6  changed  input.n",
        "7  tool  step-7          7  same",
        "         … 3 same steps",
    ]
    # Three steps of context by default; hiding one step would save nothing.
    default = _table(run_cli(db, "diff", A_ID[:3], B_ID[:3]).text)
    assert [row.split()[0] for row in default] == ["…", "3", "4", "5", "6", "7", "8", "9", "10"]
    every = _table(run_cli(db, "diff", A_ID[:3], B_ID[:3], "--all", "--context", "0").text)
    assert [row.split()[0] for row in every] == [str(n) for n in range(1, 11)]


def test_json_has_a_stable_documented_shape(small: Path) -> None:
    run = run_cli(small, "diff", A_ID[:6], B_ID[:6], "--json")
    assert run.exit_code == 1
    doc = json.loads(run.out)
    assert list(doc) == ["identical", "a", "b", "counts", "first_divergence", "pairs"]
    assert doc["identical"] is False
    assert doc["a"]["id"] == A_ID and doc["b"]["id"] == B_ID
    assert doc["a"]["source"] == doc["b"]["source"] == str(small)
    assert doc["counts"] == {"same": 3, "changed": 2, "added": 1, "removed": 0}
    assert doc["first_divergence"] == {"index": 1, "status": "changed", "a": 2, "b": 2}
    assert [
        (p["status"], p["a"] and p["a"]["number"], p["b"] and p["b"]["number"])
        for p in doc["pairs"]
    ] == [
        ("same", 1, 1),
        ("changed", 2, 2),
        ("same", 3, 3),
        ("added", None, 4),
        ("changed", 4, 5),
        ("same", 5, 6),
    ]
    lint = doc["pairs"][3]
    assert lint["a"] is None and lint["b"]["name"] == "lint" and lint["b"]["parent"] == 1
    assert doc["pairs"][4]["changes"][0] == {
        "path": "input.path",
        "change": "changed",
        "before": "tests/",
        "after": "tests/unit",
        "text_diff": None,
    }
    prompt = doc["pairs"][1]["changes"][0]
    assert prompt["path"] == "input.messages[0].content"
    assert prompt["text_diff"].startswith("--- before\n+++ after\n@@ -1,3 +1,3 @@\n")


def test_usage_is_compared_when_asked(tmp_path: Path) -> None:
    db = write(
        tmp_path / "usage.db",
        batch(A_ID, "a", [S(kind="llm", name="ask", input={}, tokens=(10, 1), cost=0.5)]),
        batch(B_ID, "b", [S(kind="llm", name="ask", input={}, tokens=(10, 2), cost=0.5)]),
    )
    assert run_cli(db, "diff", A_ID[:4], B_ID[:4]).exit_code == 0
    run = run_cli(db, "diff", A_ID[:4], B_ID[:4], "--usage")
    assert run.exit_code == 1
    assert "  usage.output: 1 → 2" in run.text.splitlines()


def test_either_side_may_be_a_reel_file(small: Path, tmp_path: Path) -> None:
    one, both = tmp_path / "b.reel", tmp_path / "both.reel.gz"
    store = SQLiteStore(small, create=False)
    try:
        export_reel(store, [B_ID], one)
        export_reel(store, [A_ID, B_ID], both)
    finally:
        store.close()

    run = run_cli(small, "diff", A_ID[:6], str(one))
    assert run.exit_code == 1
    lines = run.text.splitlines()
    assert lines[0] == "A  fix-failing-test  a1b2c3d4e5f6  5 steps  ok     $0.0012"
    assert lines[1] == f"B  fix-failing-test  b1b2c3d4e5f6  6 steps  error  $0.0012  from {one}"
    assert run.text.splitlines()[2:] == SMALL.splitlines()[2:]

    # Both sides from files: no database is needed at all.
    nowhere = tmp_path / "missing.db"
    same = run_cli(nowhere, "diff", f"{both}#b1b2", str(one), "--json")
    assert same.exit_code == 0
    assert json.loads(same.out)["b"]["source"] == str(one)
    assert not nowhere.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ffff", B_ID], "no session matches 'ffff'; `agentreel ls` lists the recorded sessions"),
        (
            [A_ID, "{reel}"],
            "{reel} holds 2 sessions (a1b2c3d4e5f6, b1b2c3d4e5f6); name one as {reel}#ID",
        ),
        (
            [A_ID, "{reel}#c"],
            "no session in {reel} matches 'c'; it holds a1b2c3d4e5f6, b1b2c3d4e5f6",
        ),
        (
            [A_ID, "{missing}"],
            "{missing}: cannot be read (No such file or directory); check the path",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(
    small: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    reel, missing = tmp_path / "both.reel", tmp_path / "nope.reel"
    store = SQLiteStore(small, create=False)
    try:
        export_reel(store, [A_ID, B_ID], reel)
    finally:
        store.close()
    names = {"reel": str(reel), "missing": str(missing)}
    run = run_cli(small, "diff", *(a.format(**names) for a in args))
    assert run.exit_code == 2
    assert run.out == ""
    assert run.err == f"agentreel: error: {message.format(**names)}\n"


def test_a_missing_database_and_a_bad_option_exit_2(tmp_path: Path) -> None:
    run = run_cli(tmp_path / "none.db", "diff", A_ID, B_ID)
    assert run.exit_code == 2
    assert run.err.startswith("agentreel: error: cannot open the reel database ")
    assert run.err.count("\n") == 1
    usage = run_cli(tmp_path / "none.db", "diff", A_ID, B_ID, "--context", "-1")
    assert usage.exit_code == 2
    assert "Invalid value for '--context'" in usage.stderr


def _tools(*names: str) -> list[S]:
    return [S(kind="tool", name=n, input={"n": n}) for n in names]


@pytest.mark.parametrize(
    ("a", "b", "line"),
    [
        (["t1", "t2"], ["t1", "x", "t2"], "B step 2, tool x, added (not in A; after A step 1)"),
        (["t1", "x", "t2"], ["t1", "t2"], "A step 2, tool x, removed (not in B; after B step 1)"),
        (["t1"], ["x", "t1"], "B step 1, tool x, added (not in A; before A's first step)"),
    ],
)
def test_an_added_or_removed_first_divergence_says_where(
    tmp_path: Path, a: list[str], b: list[str], line: str
) -> None:
    db = write(tmp_path / "r.db", batch(A_ID, "a", _tools(*a)), batch(B_ID, "b", _tools(*b)))
    run = run_cli(db, "diff", A_ID[:2], B_ID[:2])
    assert run.exit_code == 1
    assert run.text.splitlines()[4] == f"First divergence: {line}"


def test_long_change_lists_are_cut_in_text_but_not_in_json(tmp_path: Path) -> None:
    before = {f"k{i:02d}": i for i in range(25)}
    after = {k: v + 1 for k, v in before.items()}
    db = write(
        tmp_path / "r.db",
        batch(A_ID, "a", [S(kind="tool", name="t", input={}, output=before)]),
        batch(B_ID, "b", [S(kind="tool", name="t", input={}, output=after)]),
    )
    lines = run_cli(db, "diff", A_ID[:2], B_ID[:2]).text.splitlines()
    assert lines[-2:] == ["  output.k19: 19 → 20", "  … 5 more changes (--json shows all)"]
    doc = json.loads(run_cli(db, "diff", A_ID[:2], B_ID[:2], "--json").out)
    assert len(doc["pairs"][0]["changes"]) == 25


def test_ctrl_c_exits_2_not_1(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("agentreel.cli._diff.diff_sessions", interrupted)
    run = run_cli(small, "diff", A_ID[:4], B_ID[:4])
    assert run.exit_code == 2
    assert run.err == "agentreel: error: interrupted before the diff was made\n"
