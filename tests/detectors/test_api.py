"""The public face of agentreel.detectors: the names the reports code against, and their shapes."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

import agentreel.detectors as detectors
from agentreel.detectors import (
    DETECTORS,
    KINDS,
    SEVERITIES,
    DetectorConfig,
    FailureGroup,
    Finding,
    Rule,
    SessionReport,
    analyze,
    analyze_sessions,
    load_view,
)
from agentreel.errors import ConfigurationError, UnknownSession
from agentreel.storage import SQLiteStore

from ._write import S, answer, chat, write_session
from .conftest import Measured


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def test_the_designed_names_are_exported() -> None:
    designed = {
        "Finding",
        "DetectorConfig",
        "Rule",
        "SessionReport",
        "analyze",
        "fingerprint_failure",
        "FailureGroup",
        "recurring_failures",
        "load_view",
        "SessionView",
    }
    assert designed <= set(detectors.__all__)


def test_the_records_have_the_designed_fields() -> None:
    assert _fields(Finding) == [
        "detector", "kind", "severity", "session_id", "steps", "message", "evidence",
        "recorded_at", "offline",
    ]  # fmt: skip
    assert _fields(SessionReport) == ["session_id", "findings", "unchecked"]
    assert _fields(FailureGroup) == [
        "fingerprint", "error_type", "message", "tool", "step_path", "count", "sessions",
        "first_seen", "last_seen",
    ]  # fmt: skip
    assert {
        "rules",
        "tool_schemas",
        "baseline_sessions",
        "spike_factor",
        "daily_budget_usd",
    } <= set(_fields(DetectorConfig))
    assert _fields(Rule)[:4] == ["name", "pattern", "check", "applies_to"]
    assert Rule("r", pattern="x").applies_to == "output"


def test_every_finding_is_well_formed_and_batch_analysis_agrees(measured: Measured) -> None:
    corpus = measured.corpus
    store = SQLiteStore(corpus.path, create=False)
    try:
        for project in corpus.configs.keys() | {"webapp", "pipeline", "research"}:
            entries = [e for e in corpus.entries if e.project == project]
            ids = [e.record.session_id for e in entries]
            config = corpus.configs.get(project, DetectorConfig())
            batch = analyze_sessions(store, ids, config=config)
            for entry, report in zip(entries, batch, strict=True):
                assert report == analyze(store, entry.record.session_id, config=config)
                numbers = {s.number for s in store.get_steps(report.session_id)}
                for finding in report.findings:
                    assert finding.detector in DETECTORS
                    assert finding.kind in KINDS[finding.detector]
                    assert finding.severity in SEVERITIES
                    assert finding.session_id == report.session_id
                    assert set(finding.steps) <= numbers
                    assert "\n" not in finding.message and finding.message
                    orjson.dumps(dict(finding.evidence))
    finally:
        store.close()


def test_an_id_prefix_is_enough_and_an_unknown_id_says_so(store: SQLiteStore) -> None:
    session_id = write_session(store, [S(kind="llm", input=chat("Be brief."), output=answer("ok"))])
    assert analyze(store, session_id[:10]).session_id == session_id
    with pytest.raises(UnknownSession):
        analyze(store, "f" * 32)


def test_unknown_detectors_are_refused_with_the_list(store: SQLiteStore) -> None:
    session_id = write_session(store, [S(kind="tool")])
    with pytest.raises(ConfigurationError, match="context-drift, tool-misuse, loop"):
        analyze(store, session_id, detectors=["loops"])


def test_a_subset_of_detectors_runs_only_those(store: SQLiteStore) -> None:
    failing = {"kind": "tool", "name": "t", "input": {"a": 1}, "status": "error"}
    session_id = write_session(store, [S(**failing), S(**failing), S(**failing)])  # type: ignore[arg-type]
    everything = {f.detector for f in analyze(store, session_id).findings}
    assert everything == {"tool-misuse"}
    assert analyze(store, session_id, detectors=["loop", "cost-spike"]).findings == ()


def test_the_view_reads_each_vendor_shape(store: SQLiteStore) -> None:
    anthropic_in = {
        "model": "claude-haiku-4-5",
        "system": [{"type": "text", "text": "Be careful."}, {"type": "text", "text": "Be kind."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Fix it."}]}],
        "tools": [{"name": "read", "input_schema": {"type": "object"}}],
    }
    anthropic_out = {
        "type": "message",
        "content": [
            {"type": "text", "text": "Reading."},
            {"type": "tool_use", "id": "tu_1", "name": "read", "input": {"path": "a"}},
        ],
    }
    responses_in = {"instructions": "Answer in French.", "input": "Bonjour ?", "tools": []}
    responses_out = {
        "object": "response",
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "Salut."}]},
            {"type": "function_call", "name": "lookup", "arguments": '{"q": 1}', "call_id": "c"},
        ],
    }
    session_id = write_session(
        store,
        [
            S(kind="llm", input=anthropic_in, output=anthropic_out),
            S(kind="llm", input=responses_in, output=responses_out),
            S(kind="llm", input=chat("Sys.", {"role": "user", "content": "Hi"}), output="plain"),
        ],
    )
    view = load_view(store, session_id)
    first, second, third = view.steps
    assert view.request(first) is not None
    assert view.request(first).instructions == ("Be careful.\nBe kind.",)  # type: ignore[union-attr]
    assert view.request(first).task == "Fix it."  # type: ignore[union-attr]
    assert view.request(first).tools == {"read": {"type": "object"}}  # type: ignore[union-attr]
    reply = view.reply(first)
    assert reply is not None and reply.text == "Reading."
    assert [(c.name, c.arguments, c.call_id) for c in reply.tool_calls] == [
        ("read", {"path": "a"}, "tu_1")
    ]
    request = view.request(second)
    assert request is not None and request.instructions == ("Answer in French.",)
    assert (request.task, request.tools) == ("Bonjour ?", {})
    reply = view.reply(second)
    assert reply is not None and reply.text == "Salut."
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("lookup", {"q": 1})]
    assert view.reply(third) is not None and view.reply(third).text == "plain"  # type: ignore[union-attr]
    assert view.input(third) == chat("Sys.", {"role": "user", "content": "Hi"})
