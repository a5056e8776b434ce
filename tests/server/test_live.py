"""Through a real socket: the official OTLP exporter, and a live SSE stream."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import agentreel
from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore

from ._live import serving


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "reel.db")
    yield store
    store.close()


def test_the_official_otlp_exporter_lands_sessions(empty_store: SQLiteStore) -> None:
    key = empty_store.create_api_key("team", "exporter")[1]
    app = create_app(empty_store, settings=ServerSettings(auth=True, metrics_ttl=0.0))
    with serving(app) as url:
        exporter = OTLPSpanExporter(
            endpoint=f"{url}/v1/traces",
            headers={"x-api-key": key},
            compression=Compression.Gzip,
            timeout=5,
        )
        provider = TracerProvider(resource=Resource.create({"service.name": "checkout-bot"}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span(
            "invoke_agent planner",
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": "c-42"},
        ):
            with tracer.start_as_current_span(
                "chat gpt-4o",
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.conversation.id": "c-42",
                    "gen_ai.usage.input_tokens": 100,
                    "gen_ai.usage.output_tokens": 20,
                },
            ):
                pass
        provider.shutdown()
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=5) as client:
            listed = client.get("/api/sessions").json()
            assert listed["total"] == 1
            session = listed["sessions"][0]
            assert session["project"] == "team"
            steps = client.get(f"/api/sessions/{session['id']}/steps").json()["steps"]
            assert [(s["kind"], s["model"], s["depth"]) for s in steps] == [
                ("agent", None, 0),
                ("llm", "gpt-4o", 1),
            ]
            assert steps[1]["tokens"]["total"] == 120
            metrics = client.get("/metrics").text
    assert 'agentreel_ingest_spans_total{project="team"} 2.0' in metrics
    assert 'agentreel_ingest_batches_total{project="team"} 2.0' in metrics
    assert 'agentreel_model_calls{model="gpt-4o",project="team"} 1.0' in metrics
    assert 'agentreel_sessions{project="team",status=' in metrics
    assert (
        'agentreel_http_requests_total{method="POST",route="/v1/traces",status="200"} 2.0'
        in metrics
    )


Event = tuple[str, str, dict[str, object]]


class _Listener:
    """Reads an SSE stream in a thread; events land in a queue."""

    def __init__(self, url: str, last_id: str | None = None) -> None:
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.comments: list[str] = []
        self.status = 0
        headers = {"Last-Event-ID": last_id} if last_id else {}
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()

    def _run(self, url: str, headers: dict[str, str]) -> None:
        import orjson

        with httpx.Client(timeout=10) as client, client.stream("GET", url, headers=headers) as r:
            self.status = r.status_code
            fields: dict[str, str] = {}
            for line in r.iter_lines():
                if line.startswith(":"):
                    self.comments.append(line)
                elif line == "":
                    if "event" in fields:
                        data = orjson.loads(fields["data"])
                        self.events.put((fields["event"], fields.get("id", ""), data))
                    fields = {}
                else:
                    name, _, value = line.partition(": ")
                    fields[name] = value
        self.events.put(None)

    def until(self, done: Callable[[Event], bool], timeout: float = 10) -> list[Event]:
        seen: list[Event] = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            if event is None:
                raise AssertionError(f"stream ended before the condition; saw {seen}")
            seen.append(event)
            if done(event):
                return seen


def _step(number: int, status: str) -> Callable[[Event], bool]:
    return lambda e: e[0] == "step" and e[2]["number"] == number and e[2]["status"] == status


def test_the_stream_follows_a_session_as_it_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    agentreel.configure(db=db, flush_interval=0.02)
    server_store = SQLiteStore(db)
    settings = ServerSettings(poll_interval=0.05, heartbeat=0.2)
    try:
        with serving(create_app(server_store, settings=settings)) as url:
            with agentreel.session("live run") as s:
                agent = agentreel.step("agent", "orchestrator").start()
                agentreel.flush()
                listener = _Listener(f"{url}/api/sessions/{s.id[:8]}/stream")
                first = listener.until(_step(1, "running"))
                assert first[0][0] == "step"
                with agentreel.step("tool", "run-tests") as tool:
                    tool.set_output({"passed": 3})
                agentreel.flush()
                seen = listener.until(_step(2, "ok"))
                time.sleep(0.5)  # idle: heartbeats
                agent.finish()
            agentreel.flush()
            seen += listener.until(lambda e: e[0] == "end")
            assert listener.status == 200
            assert listener.comments, "no heartbeat comment while idle"
            finals = {e[2]["number"]: e[2]["status"] for e in seen if e[0] == "step"}
            assert finals == {1: "ok", 2: "ok"}
            sessions = [e[2] for e in seen if e[0] == "session"]
            assert sessions[-1]["status"] == "ok"
            assert sessions[-1]["steps"] == 2
            ids = [int(e[1]) for e in first + seen]
            assert ids == sorted(ids)
            assert ids[-1] == 2

            # Resuming: only what follows the id comes again.
            again = _Listener(f"{url}/api/sessions/{s.id}/stream", last_id="1")
            replayed = again.until(lambda e: e[0] == "end")
            assert [e[2]["number"] for e in replayed if e[0] == "step"] == [2]
            missing = httpx.get(f"{url}/api/sessions/ffff/stream", timeout=5)
            assert missing.status_code == 404
    finally:
        agentreel.shutdown()
        server_store.close()
