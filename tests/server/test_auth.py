"""API keys (every route checked), project scoping, and the CSRF middleware."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from agentreel.server import ServerSettings, create_app
from agentreel.storage import SQLiteStore

from ._otlp import chat_request
from ._reel import Recorded

pytestmark = pytest.mark.anyio

#: Routes that answer without a key even with auth on: no session data behind them.
PUBLIC = {"/healthz", "/metrics", "/api/openapi.json"}


@pytest.fixture
def store(recorded_reel: tuple[Path, Recorded], tmp_path: Path) -> Iterator[SQLiteStore]:
    """A private copy of the shared reel: these tests write keys and spans."""
    copy = tmp_path / "reel.db"
    source, target = sqlite3.connect(recorded_reel[0]), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    opened = SQLiteStore(copy)
    yield opened
    opened.close()


@pytest.fixture
def settings() -> ServerSettings:
    return ServerSettings(auth=True, metrics_ttl=0.0)


@pytest.fixture
def alpha_key(store: SQLiteStore) -> str:
    return store.create_api_key("alpha", "tests")[1]


def _routes(routes: list[Any]) -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        elif getattr(route, "methods", None):
            yield route.path, set(route.methods) - {"HEAD"}
        elif hasattr(route, "path"):
            yield route.path, {"GET"}


def _concrete(path: str) -> str:
    path = re.sub(r"\{number(:int)?\}", "1", path)
    return re.sub(r"\{[^}]+\}", "abc", path)


async def test_every_route_is_public_or_needs_a_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checked = 0
    for path, methods in _routes(app.routes):
        protected = path.startswith(("/api", "/v1")) and path not in PUBLIC
        for method in methods:
            for headers in ({}, {"X-Api-Key": "agr_0000000000000000_wrong"}):
                r = await client.request(method, _concrete(path), headers=headers)
                if protected:
                    assert r.status_code == 401, (method, path, headers, r.status_code)
                    assert r.json()["error"]["type"] == "Unauthorized"
                else:
                    assert r.status_code != 401, (method, path)
                checked += 1
    assert checked >= 20
    r = await client.get("/api/sessions")
    assert "agentreel keys create" in r.json()["error"]["message"]
    assert r.headers["www-authenticate"] == "Bearer"


async def test_a_key_reads_its_own_project_only(
    client: httpx.AsyncClient, alpha_key: str, ids: Recorded
) -> None:
    bearer = {"Authorization": f"Bearer {alpha_key}"}
    listed = (await client.get("/api/sessions", headers=bearer)).json()
    assert {s["project"] for s in listed["sessions"]} == {"alpha"}
    assert listed["total"] == 3
    asked = await client.get("/api/sessions?project=beta", headers={"X-Api-Key": alpha_key})
    assert asked.json()["total"] == 0
    foreign = await client.get(f"/api/sessions/{ids.other_project}", headers=bearer)
    assert foreign.status_code == 404
    for path in ("steps", "steps/1", "export", "stream"):
        r = await client.get(f"/api/sessions/{ids.other_project}/{path}", headers=bearer)
        assert r.status_code == 404, path
    diff = await client.get(f"/api/diff?a={ids.triage}&b={ids.other_project}", headers=bearer)
    assert diff.status_code == 404
    costs = (await client.get("/api/costs?project=beta", headers=bearer)).json()
    assert {m["model"] for m in costs["by_model"]} == {"gpt-4o", "gpt-4o-mini"}


async def test_a_revoked_key_is_refused(client: httpx.AsyncClient, store: SQLiteStore) -> None:
    key_id, secret = store.create_api_key("alpha", "short-lived")
    headers = {"X-Api-Key": secret}
    assert (await client.get("/api/sessions", headers=headers)).status_code == 200
    assert store.revoke_api_key(key_id)
    r = await client.get("/api/sessions", headers=headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]["message"]


async def test_ingest_goes_to_the_keys_project(
    client: httpx.AsyncClient, store: SQLiteStore
) -> None:
    beta_key = store.create_api_key("beta", "collector")[1]
    body = chat_request("conv-auth", bad_spans=2)
    headers = {"Content-Type": "application/x-protobuf"}
    assert (await client.post("/v1/traces", content=body, headers=headers)).status_code == 401
    r = await client.post("/v1/traces", content=body, headers={**headers, "X-Api-Key": beta_key})
    assert r.status_code == 200
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert answer.partial_success.rejected_spans == 2
    assert answer.partial_success.error_message
    listed = (await client.get("/api/sessions", headers={"X-Api-Key": beta_key})).json()
    projects = {s["project"] for s in listed["sessions"]}
    assert projects == {"beta"}
    assert listed["total"] == 2  # the recorded beta session and the ingested one
    metrics = (await client.get("/metrics")).text
    assert 'agentreel_ingest_spans_total{project="beta"} 1.0' in metrics
    assert 'agentreel_ingest_requests_rejected_total{reason="unauthorized"} 1.0' in metrics
    usage = 'gen_ai_request_model="gpt-4o",gen_ai_token_type="input"'
    assert f"gen_ai_client_token_usage_count{{{usage}}} 1.0" in metrics


# -- CSRF ---------------------------------------------------------------------


@pytest.fixture
async def open_client(store: SQLiteStore) -> AsyncIterator[httpx.AsyncClient]:
    """An app without auth, with one state-changing route to guard."""
    app = create_app(store, settings=ServerSettings())

    @app.post("/api/test-echo")
    async def echo() -> dict[str, bool]:
        return {"done": True}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:7723") as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({"Cookie": "agentreel_csrf=tok"}, 403),
        ({"X-CSRF-Token": "tok"}, 403),
        ({"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "other"}, 403),
        ({"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok"}, 200),
        (
            {"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok", "Origin": "http://evil.test"},
            403,
        ),
        ({"Cookie": "agentreel_csrf=tok", "X-CSRF-Token": "tok", "Origin": "null"}, 403),
        (
            {
                "Cookie": "agentreel_csrf=tok",
                "X-CSRF-Token": "tok",
                "Origin": "http://127.0.0.1:7723",
            },
            200,
        ),
        ({"X-Api-Key": "anything"}, 200),
        ({"Authorization": "Bearer anything"}, 200),
    ],
)
async def test_state_changing_api_requests_need_the_csrf_token(
    open_client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    r = await open_client.post("/api/test-echo", headers=headers)
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["error"]["type"] == "CsrfRejected"


async def test_the_ui_cookie_round_trips_into_a_post(open_client: httpx.AsyncClient) -> None:
    page = await open_client.get("/")
    token = page.cookies["agentreel_csrf"]
    r = await open_client.post("/api/test-echo", headers={"X-CSRF-Token": token})
    assert r.status_code == 200
