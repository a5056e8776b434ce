"""docs/server.md names every option, route and metric; the dashboard uses real metrics."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import orjson

from agentreel.cli._serve import serve
from agentreel.server import ServerSettings, create_app

DOCS = Path(__file__).parents[2] / "docs"
SERVER = (DOCS / "server.md").read_text(encoding="utf-8")
API = (DOCS / "api.md").read_text(encoding="utf-8")


def _metric_names() -> set[str]:
    app = create_app(":memory:", settings=ServerSettings())
    registry = app.state.agentreel.metrics.registry
    return {metric.name for metric in registry.collect()}


def test_every_serve_option_and_setting_is_documented() -> None:
    for param in serve.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                assert f"`{opt}" in SERVER, opt
    for field in dataclasses.fields(ServerSettings):
        documented = f"`{field.name}`" in SERVER or f"`--{field.name.replace('_', '-')}" in SERVER
        assert documented, field.name


def test_every_route_is_documented() -> None:
    schema = create_app(":memory:").openapi()
    for path in schema["paths"]:
        short = re.sub(r"\{session_id\}", "{id}", path).replace("{number}", "{n}")
        assert re.search(rf"[ `]{re.escape(short)}[`?]", API + SERVER), path


def test_every_metric_is_documented() -> None:
    for name in _metric_names():
        suffix = "_total" if f"`{name}_total`" in SERVER else ""
        assert f"`{name}{suffix}`" in SERVER, name


def test_the_dashboard_uses_only_metrics_the_server_has() -> None:
    dashboard = orjson.loads((DOCS / "grafana" / "agentreel.json").read_bytes())
    names = _metric_names()
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            # Label names (in by-clauses and selectors) are not metrics.
            expr = re.sub(r"by \([^)]*\)|\{[^}]*\}", "", target["expr"])
            used |= set(re.findall(r"\b(?:agentreel|gen_ai)_[a-z_]+", expr))
    assert used
    for name in used:
        base = re.sub(r"_(total|bucket|sum|count)$", "", name)
        assert base in names, name
