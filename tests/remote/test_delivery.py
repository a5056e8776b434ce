"""Delivery: outages, restarts, Retry-After, refusals, the spool's limits, a bounded close."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

import agentreel
from agentreel.remote import SESSION_SPAN, RemoteStore

from ._receiver import Receiver, Reply, partial_success

LOSSES = ("dropped_spool_full", "dropped_rejected", "spool_errors", "encode_errors")


def _steps(prefix: str, n: int) -> None:
    for i in range(n):
        with agentreel.step("tool", f"{prefix}-{i}", input={"i": i}) as st:
            st.set_output(i * i)


def _spooled_files(store: RemoteStore) -> list[str]:
    return sorted(p.name for p in store.spool_dir.iterdir() if not p.name.startswith("."))


def test_server_stopped_mid_run_then_restarted_gets_every_step(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("long run") as session:
        _steps("before", 5)
        agentreel.flush()
        receiver.wait_for(lambda: store.stats()["spans_sent"] == store.stats()["spans_spooled"])
        receiver.stop()
        _steps("during", 20)
        agentreel.flush()
        # The sender has met the closed port and is backing off with 20 steps spooled.
        receiver.wait_for(lambda: store.stats()["retried"] >= 1)
        assert store.stats()["spans_sent"] < store.stats()["spans_spooled"]
        receiver.start()  # same port
        _steps("after", 5)
    agentreel.shutdown()
    store.close(timeout=5.0)

    recorded = agentreel.stats()
    stats = store.stats()
    accepted = receiver.accepted()
    # Every row the recorder wrote became one span in the spool ...
    assert stats["spans_spooled"] == recorded["steps"] + recorded["sessions"]
    # ... and every spooled span was sent and received, none lost, none twice.
    assert stats["spans_sent"] == stats["spans_spooled"] == len(accepted)
    assert {k: stats[k] for k in (*LOSSES, "left_in_spool")} == dict.fromkeys(
        (*LOSSES, "left_in_spool"), 0
    )
    copies = [
        (
            s.span_id,
            s.attributes.get("agentreel.step.state"),
            s.attributes.get("agentreel.session.state"),
        )
        for s in accepted
    ]
    assert len(set(copies)) == len(copies)
    ended = {
        s.attributes["agentreel.step.number"]: s.name
        for s in accepted
        if s.attributes.get("agentreel.step.state") == "ended"
    }
    assert sorted(ended) == list(range(1, 31))
    assert [ended[n] for n in (1, 6, 25, 26)] == ["before-0", "during-0", "during-19", "after-0"]
    final = [s for s in accepted if s.name == SESSION_SPAN][-1]
    assert final.attributes["agentreel.session.state"] == "ok"
    assert final.trace_id == session.id
    assert _spooled_files(store) == []


def test_the_spool_outlives_the_process_and_the_next_store_sends_it(
    receiver: Receiver, make_store: Callable[..., RemoteStore], caplog: pytest.LogCaptureFixture
) -> None:
    receiver.stop()  # the server is down for the whole first run
    first = make_store(receiver.url)
    agentreel.configure(store=first, flush_interval=0.02)
    with agentreel.session("offline"):
        _steps("offline", 3)
    agentreel.shutdown()
    receiver.wait_for(lambda: first.stats()["retried"] >= 3)
    # Retrying is logged once, not once per attempt.
    assert len([r for r in caplog.records if "cannot reach" in r.getMessage()]) == 1
    started = time.monotonic()
    first.close(timeout=0.3)
    assert time.monotonic() - started < 1.0
    left = first.stats()["left_in_spool"]
    assert left == first.stats()["spans_spooled"] > 0
    assert first.stats()["spans_sent"] == 0
    assert _spooled_files(first)

    receiver.start()
    second = make_store(receiver.url)  # same spool directory: a restarted program
    receiver.wait_for(lambda: len(receiver.accepted()) == left)
    second.close()
    assert second.stats()["spans_sent"] == left
    assert _spooled_files(second) == []
    names = [s.name for s in receiver.accepted()]
    # In the order they were recorded: the session's start, then its steps.
    assert names[0] == SESSION_SPAN
    assert [n for n in names if n != SESSION_SPAN][-1] == "offline-2"


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(
    receiver: Receiver, make_store: Callable[..., RemoteStore], status: int
) -> None:
    receiver.replies.append(Reply(status, {"Retry-After": "1"}))
    store = make_store(receiver.url)  # backoff alone would retry after ~0.05 s
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("busy server"):
        _steps("busy", 2)
    agentreel.shutdown()
    receiver.wait_for(lambda: len(receiver.requests) >= 2, timeout=4.0)
    first, second = receiver.requests[:2]
    assert (first.status, second.status) == (status, 200)
    assert 0.95 <= second.at - first.at < 2.0
    store.close()
    assert store.stats()["retried"] == 1
    assert store.stats()["spans_sent"] == store.stats()["spans_spooled"]


def test_close_is_bounded_when_the_server_does_not_answer(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    receiver.delay = 3.0  # a server that accepts the connection and sits on it
    store = make_store(receiver.url, timeout=10.0)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("hung server"):
        _steps("hung", 2)
    agentreel.shutdown()
    started = time.monotonic()
    store.close(timeout=0.5)
    assert time.monotonic() - started < 1.0
    stats = store.stats()
    assert stats["left_in_spool"] == stats["spans_spooled"] > 0
    assert stats["spans_sent"] == 0


def test_partial_success_counts_the_rejected_spans(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    receiver.replies.append(Reply(200, body=partial_success(2, "2 spans had no trace id")))
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("partly bad"):
        _steps("p", 3)
    agentreel.shutdown()
    store.close()
    stats = store.stats()
    assert stats["rejected_by_server"] == 2
    assert stats["spans_sent"] == stats["spans_spooled"] - 2
    assert _spooled_files(store) == []


def test_a_batch_the_server_refuses_for_good_is_dropped_and_counted(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    for _ in range(50):
        receiver.replies.append(Reply(400, body=b"bad"))
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("refused"):
        _steps("r", 2)
    agentreel.shutdown()
    store.close()
    stats = store.stats()
    assert stats["dropped_rejected"] == stats["dropped_http_400"] == stats["spans_spooled"] > 0
    assert stats["retried"] == stats["spans_sent"] == 0
    # Each span was offered exactly once: a refusal is final, not retried.
    assert sum(len(r.spans) for r in receiver.requests) == stats["spans_spooled"]
    assert _spooled_files(store) == []


def test_a_full_spool_drops_new_batches_and_counts_them(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    receiver.stop()
    store = make_store(receiver.url, max_spool_bytes=3000)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("no room"):
        for i in range(10):
            _steps(f"b{i}", 2)
            agentreel.flush()
    agentreel.shutdown()
    store.close(timeout=0.2)
    recorded = agentreel.stats()
    stats = store.stats()
    assert stats["dropped_spool_full"] > 0
    assert stats["spans_spooled"] + stats["dropped_spool_full"] == (
        recorded["steps"] + recorded["sessions"]
    )
    assert sum(p.stat().st_size for p in store.spool_dir.glob("*.otlp")) <= 3000


def test_a_redirect_keeps_the_batch_instead_of_losing_the_body(
    receiver: Receiver, make_store: Callable[..., RemoteStore]
) -> None:
    # urllib would follow a 301/302 with a body-less GET; we keep the batch and retry.
    receiver.replies.append(Reply(302, {"Location": receiver.url + "/elsewhere"}))
    store = make_store(receiver.url)
    agentreel.configure(store=store, flush_interval=0.02)
    with agentreel.session("moved"):
        _steps("m", 1)
    agentreel.shutdown()
    store.close(timeout=2.0)
    stats = store.stats()
    assert stats["retried"] == 1
    assert stats["dropped_rejected"] == 0
    assert stats["spans_sent"] == stats["spans_spooled"]
    assert [r.status for r in receiver.requests] == [302, 200]
