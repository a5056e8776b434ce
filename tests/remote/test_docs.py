"""docs/export.md is the contract with the ingest side: everything we emit is in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from agentreel.remote import REASONS, RemoteStore

from ._receiver import Receiver
from ._sessions import record_triage

DOC = Path(__file__).parents[2] / "docs" / "export.md"


def _table_names(heading: str) -> set[str]:
    """Backquoted names in the first column of the first table under ``heading``."""
    text = DOC.read_text()
    section = text[text.index(heading) :]
    names: set[str] = set()
    for line in section.splitlines()[2:]:
        if names and not line.startswith("|"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            names.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def test_every_attribute_sent_is_in_the_attribute_table(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    record_triage(make_store(receiver.url))
    documented = _table_names("### Attributes")
    sent = {
        re.sub(r"^agentreel\.attr\..*", "agentreel.attr.<key>", key)
        for span in receiver.accepted()
        for key in span.attributes
    }
    assert sent - documented == set()
    # The table documents nothing we never send (a few appear only in cases
    # tested elsewhere: forks, cut payloads, reasoning models).
    rare = {
        "agentreel.session.forked_from.session_id",
        "agentreel.session.forked_from.step",
        "agentreel.step.input_truncated",
        "agentreel.step.output_truncated",
        "gen_ai.usage.reasoning.output_tokens",
    }
    assert documented - sent - rare == set()


def test_every_counter_is_documented() -> None:
    assert set(REASONS) - _table_names("### Counters") == set()
