"""Two server apps on one PostgreSQL database work as one (nothing only in memory)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from agentreel.server import ServerSettings, create_app

from ._otlp import chat_request

pytestmark = pytest.mark.anyio

BASE_DSN = "postgresql://127.0.0.1:5432/test"


@pytest.fixture
def dsn() -> Iterator[str]:
    """A fresh schema of the test database, dropped afterwards."""
    schema = f"server_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(BASE_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        raise AssertionError(
            f"PostgreSQL is not reachable at {BASE_DSN} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        ) from exc
    yield f"{BASE_DSN}?options=-csearch_path%3D{schema}"
    with psycopg.connect(BASE_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def test_two_apps_share_sessions_and_keys(dsn: str) -> None:
    settings = ServerSettings(auth=True, metrics_ttl=0.0)
    one, two = create_app(dsn, settings=settings), create_app(dsn, settings=settings)
    try:
        key = one.state.agentreel.store.create_api_key("shared", "replicas")[1]
        headers = {"X-Api-Key": key}
        async with _client(one) as a, _client(two) as b:
            body = chat_request("conv-pg")
            r = await a.post(
                "/v1/traces",
                content=body,
                headers={**headers, "Content-Type": "application/x-protobuf"},
            )
            assert r.status_code == 200
            listed = (await b.get("/api/sessions", headers=headers)).json()
            assert listed["total"] == 1
            session = listed["sessions"][0]
            assert session["project"] == "shared"
            steps = (
                await b.get(f"/api/sessions/{session['id'][:6]}/steps", headers=headers)
            ).json()
            assert [s["model"] for s in steps["steps"]] == ["gpt-4o"]
            # A retried batch, sent to the other replica, stores its spans once.
            r = await b.post(
                "/v1/traces",
                content=body,
                headers={**headers, "Content-Type": "application/x-protobuf"},
            )
            assert r.status_code == 200
            again = (await a.get(f"/api/sessions/{session['id']}", headers=headers)).json()
            assert again["session"]["steps"] == 1
            metrics = (await b.get("/metrics")).text
            assert 'agentreel_model_calls{model="gpt-4o",project="shared"} 1.0' in metrics
    finally:
        one.state.agentreel.store.close()
        two.state.agentreel.store.close()
