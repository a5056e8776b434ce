"""The Markdown report, exactly, for sessions built to order (one per kind of verdict).

The detectors' own sentences (their finding messages and what they could not
check) are theirs to word: they are read from ``analyze`` and put in place,
and everything around them is checked to the character.
"""

# The expected reports keep the reports' own lines, however long.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

from agentreel.detectors import analyze
from agentreel.model import Status
from agentreel.reports import build_rca, rca_markdown
from agentreel.storage import SQLiteStore

from ._build import MS, T0, S, batch, err, openai_call, write
from ._small import REQUEST, WORKED, write_small

NOW = T0 + 60_000 * MS


def _report(path: Path, session_id: str, expected: str) -> tuple[str, str]:
    """The report of ``session_id``, and ``expected`` with the detectors' sentences in place."""
    store = SQLiteStore(path, create=False)
    try:
        analysis = analyze(store, store.resolve_session_id(session_id))
        text = rca_markdown(build_rca(store, session_id, now=NOW))
    finally:
        store.close()
    notes = "".join(f"- {note}\n" for note in analysis.unchecked)
    messages = [f.message for f in analysis.findings]
    return text, expected.format(*messages, notes=notes)


def test_a_session_that_failed_outside_its_steps(tmp_path: Path) -> None:
    steps = [
        S(kind="agent", name="reporter"),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o-mini",
            tokens=(300, 40),
            cost=0.0002,
            input={"messages": [{"role": "user", "content": "Summarise <b>today</b>"}]},
            output={"role": "assistant", "content": "Done."},
        ),
        S(kind="tool", name="send_mail", parent=1, input={"to": "team"}, output="sent"),
    ]
    error = err("TimeoutError", "the mail server did not answer in 30 s")
    session = batch("d4" * 16, "nightly-report", steps, status=Status.ERROR, error=error)
    text, expected = _report(write(tmp_path / "reel.db", session), "d4", EXPECTED_OUTSIDE)
    assert text == expected


EXPECTED_OUTSIDE = """\
# Root-cause report: nightly-report

Session `d4d4d4d4d4d4` · project default · error · 3 steps, 0 failed · 340 tokens · $0.0002 · started 2025-01-02 14:03 UTC

**Failed.** Session nightly-report ended in error outside any recorded step: TimeoutError: the mail server did not answer in 30 s.

## Failing step

No step failed: the session itself ended in error, `TimeoutError: the mail server did not answer in 30 s`.

## Detector findings

No detector found anything.

## Compared with a successful session

Nothing to compare with: no session of project 'default' ended ok to compare with.

## Next commands

- `agentreel show d4d4d4d4d4d4`: the whole session, step by step

## Not checked

{notes}"""


def test_a_flagged_session(tmp_path: Path) -> None:
    steps = [
        S(kind="agent", name="janitor"),
        S(
            kind="llm",
            name="chat",
            parent=1,
            model="gpt-4o-mini",
            tokens=(120, 20),
            cost=0.0001,
            input=REQUEST,
            output=openai_call("call_9", "delete_repo", '{"force": true}'),
        ),
        S(kind="tool", name="delete_repo", parent=1, input={"force": True}, output="deleted"),
    ]
    path = write(tmp_path / "reel.db", batch("e5" * 16, "cleanup", steps))
    text, expected = _report(path, "e5", EXPECTED_FLAGGED)
    assert text == expected


EXPECTED_FLAGGED = """\
# Root-cause report: cleanup

Session `e5e5e5e5e5e5` · project default · ok · 3 steps, 0 failed · 140 tokens · $0.0001 · started 2025-01-02 14:03 UTC

**Flagged.** Session cleanup ended ok without errors, but the detectors flagged 1 problem; the most severe: {0}

## Flagged step

The most severe finding is at step 2 (llm `chat` in janitor).

## Causal chain

Step 2 is itself the model call on `gpt-4o-mini`.

What the model was shown (2 messages; tools offered: `run_tests`):

- System prompt (head):

  ```
  You are a careful engineer. Fix the failing test; never edit the tests.
  ```
- Last user message (head):

  ```
  tests/test_arith.py::test_divide_by_zero fails. Make it pass.
  ```
- No tool results.

## Detector findings

| Severity | Detector | Kind | Steps | Finding |
| --- | --- | --- | --- | --- |
| error | tool-misuse | unknown-tool | 2, 3 | {0} |

## Compared with a successful session

Nothing to compare with: no session of project 'default' ended ok to compare with.

## Next commands

- `agentreel show e5e5e5e5e5e5 --step 2`: step 2 in full: its input, output and error
- `agentreel debug e5e5e5e5e5e5 --step 2`: step through the session from step 2
- `agentreel replay e5e5e5e5e5e5 --fork-at 2`: re-run from step 2 with an edit, the rest live

## Not checked

{notes}"""


def test_a_clean_session(tmp_path: Path) -> None:
    text, expected = _report(write_small(tmp_path / "reel.db"), WORKED, EXPECTED_CLEAN)
    assert text == expected


EXPECTED_CLEAN = """\
# Root-cause report: fix-divide

Session `b2b2b2b2b2b2` · project default · ok · 3 steps, 0 failed · 140 tokens · $0.0001 · started 2025-01-02 14:03 UTC

**Clean.** Session fix-divide ended ok with no failure and no detector warning.

## Detector findings

No detector found anything.

## Next commands

- `agentreel show b2b2b2b2b2b2`: the whole session, step by step

## Not checked

{notes}"""
