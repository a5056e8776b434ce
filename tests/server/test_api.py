"""The JSON API over a reel recorded by the SDK, through httpx's ASGI transport."""

from __future__ import annotations

import io

import httpx
import pytest

from agentreel.reelfile import import_reel
from agentreel.storage import MemoryStore

from ._reel import SYSTEM, Recorded

pytestmark = pytest.mark.anyio


async def _names(client: httpx.AsyncClient, query: str) -> list[str]:
    r = await client.get(f"/api/sessions?{query}")
    assert r.status_code == 200, r.text
    return [s["name"] for s in r.json()["sessions"]]


async def test_sessions_list_has_totals_and_the_cli_shape(
    client: httpx.AsyncClient, ids: Recorded
) -> None:
    r = await client.get("/api/sessions")
    body = r.json()
    assert r.headers["content-type"] == "application/json"
    assert (body["total"], body["limit"], body["offset"]) == (4, 50, 0)
    first = {s["id"]: s for s in body["sessions"]}[ids.triage]
    assert first["steps"] == 4
    assert first["tokens"]["total"] == 360
    assert first["cost"] == pytest.approx(0.0025)
    assert first["tags"] == ["nightly", "ci"]
    assert first["status"] == "ok"
    assert first["started_at"].endswith("Z")


async def test_sessions_filter_search_sort_and_page(client: httpx.AsyncClient) -> None:
    assert await _names(client, "project=beta") == ["billing run"]
    assert await _names(client, "status=error") == ["write notes"]
    assert sorted(await _names(client, "tag=nightly&tag=ci")) == ["triage flaky import"] * 2
    assert await _names(client, "name=NOTES") == ["write notes"]
    # Full-text search reaches into payloads.
    assert await _names(client, "q=ModuleNotFoundError") == ["triage flaky import"]
    assert await _names(client, "sort=cost&order=desc&limit=1") == ["billing run"]
    assert await _names(client, "sort=name&order=asc") == [
        "billing run",
        "triage flaky import",
        "triage flaky import",
        "write notes",
    ]
    page = (await client.get("/api/sessions?sort=name&order=asc&limit=2&offset=2")).json()
    assert [s["name"] for s in page["sessions"]] == ["triage flaky import", "write notes"]
    assert page["total"] == 4
    assert (await client.get("/api/sessions?since=1h")).json()["total"] == 4
    assert (await client.get("/api/sessions?until=2000-01-01")).json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    ["sort=colour", "order=up", "limit=0", "limit=501", "offset=-1", "status=bad", "since=soon"],
)
async def test_bad_list_queries_are_400_with_a_message(
    client: httpx.AsyncClient, query: str
) -> None:
    r = await client.get(f"/api/sessions?{query}")
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "BadRequest"
    assert r.json()["error"]["message"]


async def test_one_session_by_prefix_and_unknown_ids(
    client: httpx.AsyncClient, ids: Recorded
) -> None:
    r = await client.get(f"/api/sessions/{ids.notes[:10]}")
    assert r.json()["session"]["id"] == ids.notes
    assert r.json()["session"]["error"]["type"] == "OSError"
    for bad in ("ffffffffffffffff", "not-hex", "%27%20OR%201%3D1--"):
        r = await client.get(f"/api/sessions/{bad}")
        assert r.status_code == 404, bad
        assert r.json()["error"]["type"] == "UnknownSession"


async def test_steps_come_in_number_order_with_depth(
    client: httpx.AsyncClient, ids: Recorded
) -> None:
    body = (await client.get(f"/api/sessions/{ids.triage}/steps")).json()
    steps = body["steps"]
    assert body["session"]["id"] == ids.triage
    assert [(s["number"], s["kind"], s["depth"], s["parent"]) for s in steps] == [
        (1, "agent", 0, None),
        (2, "llm", 1, 1),
        (3, "tool", 1, 1),
        (4, "llm", 1, 1),
    ]
    assert "input" not in steps[1]
    tail = (await client.get(f"/api/sessions/{ids.triage}/steps?from=3&limit=1")).json()
    assert [s["number"] for s in tail["steps"]] == [3]


async def test_step_detail_has_payloads_messages_and_children(
    client: httpx.AsyncClient, ids: Recorded
) -> None:
    agent = (await client.get(f"/api/sessions/{ids.triage}/steps/1")).json()
    assert agent["children"] == [2, 3, 4]
    assert agent["messages"] is None
    llm = (await client.get(f"/api/sessions/{ids.triage}/steps/4")).json()
    assert llm["step"]["model"] == "gpt-4o-mini"
    assert llm["output"] == {"role": "assistant", "content": "Fixed the import."}
    assert llm["messages"][0] == {"role": "system", "content": SYSTEM}
    assert llm["messages"][-1] == {
        "role": "tool",
        "content": "1 failed: ImportError",
        "tool_call_id": "call_1",
    }
    tool = (await client.get(f"/api/sessions/{ids.triage}/steps/3")).json()
    assert tool["input"] == {"k": "import"}
    assert tool["messages"] is None
    missing = await client.get(f"/api/sessions/{ids.triage}/steps/99")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "UnknownStep"


async def test_diff_pairs_the_steps_and_finds_the_divergence(
    client: httpx.AsyncClient, ids: Recorded
) -> None:
    r = await client.get(f"/api/diff?a={ids.triage[:8]}&b={ids.triage_again}")
    body = r.json()
    assert (body["a"]["id"], body["b"]["id"]) == (ids.triage, ids.triage_again)
    assert [row["change"] for row in body["rows"]] == ["same", "same", "changed", "changed"]
    first = body["first_divergence"]
    assert first["a"]["number"] == 3
    assert any(d["path"] == "output.log" for d in first["detail"])
    same = (await client.get(f"/api/diff?a={ids.triage}&b={ids.triage}")).json()
    assert same["first_divergence"] is None
    assert (await client.get("/api/diff?a=abc")).status_code == 400


async def test_export_is_a_reel_file_that_imports(client: httpx.AsyncClient, ids: Recorded) -> None:
    r = await client.get(f"/api/sessions/{ids.triage}/export")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-ndjson"
    assert r.headers["content-disposition"] == f'attachment; filename="{ids.triage[:12]}.reel"'
    target = MemoryStore()
    summary = import_reel(target, io.BytesIO(r.content))
    assert summary.session_ids == (ids.triage,)
    assert len(target.get_steps(ids.triage)) == 4


async def test_costs_by_day_model_and_agent(client: httpx.AsyncClient, ids: Recorded) -> None:
    body = (await client.get("/api/costs?since=2d")).json()
    assert len(body["by_day"]) in (3, 4)  # three days, four across midnight UTC
    assert sum(d["sessions"] for d in body["by_day"]) == 4
    models = {m["model"]: m for m in body["by_model"]}
    assert models["gpt-4o"]["calls"] == 2
    assert models["gpt-4o"]["cost"] == pytest.approx(0.004)
    assert models["claude-3-5-haiku"]["tokens"] == 100
    agents = {a["agent"]: a for a in body["by_agent"]}
    assert agents["fixer"]["cost"] == pytest.approx(0.005)
    assert body["top_sessions"][0]["id"] == ids.other_project
    beta = (await client.get("/api/costs?project=beta")).json()
    assert [m["model"] for m in beta["by_model"]] == ["claude-3-5-haiku"]


async def test_openapi_health_and_headers(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    for path in ("/api/sessions", "/api/sessions/{session_id}/stream", "/v1/traces", "/api/diff"):
        assert path in schema["paths"], path
    health = await client.get("/healthz")
    assert health.json() == {"ok": True, "sessions": 4}
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in health.headers


async def test_html_pages_get_a_strict_csp_and_the_csrf_cookie(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "agentreel_csrf=" in r.headers["set-cookie"]
    assert "SameSite=Strict" in r.headers["set-cookie"]
    again = await client.get("/", headers={"Cookie": "agentreel_csrf=kept"})
    assert "set-cookie" not in again.headers
