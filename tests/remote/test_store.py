"""RemoteStore as a store: construction errors, reads, payload bounds, message shapes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import agentreel
from agentreel.errors import ConfigurationError, StoreError
from agentreel.model import Session, StepRow
from agentreel.remote import INSTALL_HINT, RemoteReadError, RemoteStore, default_spool_dir
from agentreel.remote._genai import input_messages, output_messages
from agentreel.remote._wire import proto
from agentreel.storage import Store, WriteBatch

from ._receiver import Receiver

SID = "0123456789abcdef0123456789abcdef"


def test_reads_say_they_belong_to_the_server(make_store: Callable[..., RemoteStore]) -> None:
    store = make_store("http://127.0.0.1:9/")
    assert isinstance(store, Store)
    assert store.location == "http://127.0.0.1:9/v1/traces"
    with pytest.raises(RemoteReadError, match="only sends") as caught:
        store.get_session(SID)
    assert isinstance(caught.value, StoreError)
    with pytest.raises(RemoteReadError, match="agentreel ls --server"):
        store.list_sessions()


@pytest.mark.parametrize("endpoint", ["127.0.0.1:8321", "ftp://host/x", "http://", ""])
def test_an_endpoint_that_is_not_an_http_url_is_refused(
    endpoint: str, make_store: Callable[..., RemoteStore]
) -> None:
    with pytest.raises(ConfigurationError, match="http:// or https://"):
        make_store(endpoint)


def test_the_default_spool_is_beside_the_default_reel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AGENTREEL_DB", raising=False)
    assert default_spool_dir() == Path(".agentreel") / "spool"
    monkeypatch.setenv("AGENTREEL_DB", str(tmp_path / "x" / "reel.db"))
    assert default_spool_dir() == tmp_path / "x" / "spool"


@pytest.fixture
def no_proto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The one way to see the missing-extra message without uninstalling the
    # package: make its import fail the way a missing package does.
    proto.cache_clear()
    monkeypatch.setitem(sys.modules, "opentelemetry.proto.collector.trace.v1", None)
    yield
    monkeypatch.undo()
    proto.cache_clear()


@pytest.mark.usefixtures("no_proto")
def test_without_the_export_extra_the_error_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RemoteStore("http://127.0.0.1:9", spool_dir=tmp_path)
    assert INSTALL_HINT in str(caught.value)
    assert "\n" not in str(caught.value)


def _row(number: int, *, input_ref: str | None, ended: bool = True) -> StepRow:
    now = time.time_ns()
    return StepRow(
        SID, number, f"{number:016x}", None, None, "llm", "ask", "ok" if ended else "running",
        now, now + 5 if ended else None, b"{}", "gpt-4o-mini", 1, 1, 0, 0, None,
        input_ref, None, None,
    )  # fmt: skip


def test_big_payloads_are_cut_flagged_and_counted(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    from agentreel.payloads import PayloadEncoder

    messages = [{"role": "user", "content": "x" * 5000}, {"role": "user", "content": "y"}]
    encoded = PayloadEncoder().encode({"messages": messages})
    store = make_store(receiver.url, max_payload_bytes=1024)
    session = Session(id=SID, name="big", started_at=time.time_ns())
    store.write(
        WriteBatch(sessions=[session], steps=[_row(1, input_ref=encoded.root)], blobs=encoded.blobs)
    )
    store.close()
    (span,) = [s for s in receiver.accepted() if s.name == "ask"]
    text = span.attributes["agentreel.step.input"]
    assert len(text.encode()) <= 1024
    assert span.attributes["agentreel.step.input_truncated"] > 5000
    assert "gen_ai.input.messages" not in span.attributes  # cut JSON would not parse
    assert store.stats()["truncated"] >= 1


def test_a_payload_whose_blobs_are_not_at_hand_goes_out_as_its_digest(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url)
    store.write(WriteBatch(steps=[_row(1, input_ref="ab" * 32)]))
    store.close()
    (span,) = receiver.accepted()
    assert span.attributes["agentreel.step.input_ref"] == "ab" * 32
    assert "agentreel.step.input" not in span.attributes
    assert span.trace_id == SID  # no session row seen: the session id is the trace id
    assert store.stats()["payload_missing"] == 1


def test_two_stores_on_one_spool_send_each_file_once(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    a = make_store(receiver.url)
    b = make_store(receiver.url)  # same spool_dir: two workers of one app
    for n in range(1, 21):
        (a if n % 2 else b).write(WriteBatch(steps=[_row(n, input_ref=None)]))
    receiver.wait_for(lambda: len(receiver.accepted()) >= 20)
    a.close()
    b.close()
    numbers = sorted(s.attributes["agentreel.step.number"] for s in receiver.accepted())
    assert numbers == list(range(1, 21))


def test_a_session_inside_a_host_trace_keeps_its_trace_and_parent(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("host-app")
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with tracer.start_as_current_span("http request") as host:
        with agentreel.session("joined"), agentreel.step("tool", "t"):
            pass
    agentreel.shutdown()
    store.close()
    ctx = host.get_span_context()
    spans = receiver.accepted()
    assert {s.trace_id for s in spans} == {f"{ctx.trace_id:032x}"}
    assert {s.parent_span_id for s in spans} == {f"{ctx.span_id:016x}"}


ANTHROPIC_REQUEST = {
    "system": "be brief",
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "add 2 and 2"}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "tu_1", "name": "add", "input": {"a": 2}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "4"}],
        },
    ],
}


def test_anthropic_and_captured_http_shapes_become_genai_messages() -> None:
    # An integration's step input is the captured request, its output the response record.
    captured = {"method": "POST", "url": "/v1/messages", "body": ANTHROPIC_REQUEST}
    assert input_messages(captured) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "add 2 and 2"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "tu_1", "name": "add", "arguments": {"a": 2}}],
        },
        {"role": "user", "parts": [{"type": "tool_call_response", "id": "tu_1", "response": "4"}]},
    ]
    reply = {
        "role": "assistant",
        "content": [{"type": "text", "text": "4"}],
        "stop_reason": "end_turn",
    }
    record = {"status": 200, "headers": {}, "body": json.dumps(reply)}
    assert output_messages(record) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "4"}],
            "finish_reason": "end_turn",
        }
    ]
    assert output_messages("plain text") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "plain text"}],
            "finish_reason": "stop",
        }
    ]
    assert input_messages({"query": "not a chat"}) is None
    assert input_messages([{"no": "role"}]) is None
    assert output_messages({"status": 200, "chunks": [[0, "data: {}"]]}) is None
    assert output_messages({"status": 200, "body": "<html>not json"}) is None


def test_a_failed_session_ends_with_an_error_status(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with pytest.raises(KeyError), agentreel.session("doomed"):
        raise KeyError("gone")
    agentreel.shutdown()
    store.close()
    last = receiver.accepted()[-1]
    assert last.attributes["agentreel.session.state"] == "error"
    assert (last.status_code, last.attributes["error.type"]) == (2, "KeyError")


def test_a_row_with_a_foreign_span_id_costs_that_row_only(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url)
    bad = _row(1, input_ref=None)._replace(span_id="not-hex")
    store.write(WriteBatch(steps=[bad, _row(2, input_ref=None)]))
    store.close()
    assert [s.attributes["agentreel.step.number"] for s in receiver.accepted()] == [2]
    assert store.stats()["encode_errors"] == 1


def test_a_spool_directory_removed_underfoot_is_made_again(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    import shutil

    receiver.stop()
    store = make_store(receiver.url)
    shutil.rmtree(store.spool_dir)
    store.write(WriteBatch(steps=[_row(1, input_ref=None)]))
    assert store.stats()["spans_spooled"] == 1
    receiver.start()
    receiver.wait_for(lambda: len(receiver.accepted()) == 1)
