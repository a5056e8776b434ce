"""Prometheus metrics of one server app, in a registry of its own.

Two kinds, documented in docs/server.md:

* **counters and histograms of this process** (requests, ingested spans,
  rejections, latency): each replica counts what it served, so sum them
  across replicas;
* **gauges of the database** (sessions, steps, tokens, cost): every replica
  reads the same store, so they agree; take ``max`` across replicas, not sum.

Labels are bounded: route templates, status codes, projects, models, step
kinds and reasons; never a session, user or key id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agentreel.model import SessionSummary, Step, StepKind
from agentreel.otel import IngestReport
from agentreel.storage import SessionFilter, Store

from ._histogram import BatchHistogram

#: The bucket boundaries the GenAI semantic conventions give for these histograms.
_TOKEN_BUCKETS = tuple(float(4**n) for n in range(14))
_DURATION_BUCKETS = tuple(0.01 * 2**n for n in range(14))
#: Distinct values a free-form label (model, tool) may take; later ones are "other".
MAX_LABEL_VALUES = 200

#: Seconds; the store writes of a batch of spans take milliseconds to seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(slots=True)
class _ModelTotals:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


@dataclass(slots=True)
class _SessionTotals:
    #: What the summary said when the steps were last read; re-read when it changes.
    version: tuple[object, ...]
    by_model: dict[str, _ModelTotals] = field(default_factory=dict)


def _version(summary: SessionSummary) -> tuple[object, ...]:
    s = summary.session
    return (s.status, s.ended_at, summary.step_count, summary.last_step_at, summary.cost)


def _by_model(steps: Iterable[Step]) -> dict[str, _ModelTotals]:
    found: dict[str, _ModelTotals] = {}
    for step in steps:
        if step.kind is not StepKind.LLM:
            continue
        t = found.setdefault(step.model or "unknown", _ModelTotals())
        t.calls += 1
        t.tokens_in += step.usage.input
        t.tokens_out += step.usage.output
        t.cost += step.cost or 0.0
    return found


class StoreCollector(Collector):
    """Totals read from the store at scrape time, at most every ``ttl`` seconds.

    Per-model figures need the steps; they are read again only for sessions
    whose summary changed since the last scrape, so a scrape costs one listing
    plus the sessions that moved.
    """

    def __init__(self, store: Store, ttl: float) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._sessions: dict[str, _SessionTotals] = {}
        self._summaries: list[SessionSummary] = []
        self._read_at = float("-inf")

    def _refresh(self) -> None:
        summaries = self._store.list_sessions(SessionFilter(limit=None))
        seen: dict[str, _SessionTotals] = {}
        for summary in summaries:
            sid = summary.session.id
            known = self._sessions.get(sid)
            version = _version(summary)
            if known is None or known.version != version:
                known = _SessionTotals(version, _by_model(self._store.get_steps(sid)))
            seen[sid] = known
        self._sessions, self._summaries = seen, summaries
        self._read_at = time.monotonic()

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._read_at >= self._ttl:
                self._refresh()
            summaries, sessions = self._summaries, self._sessions
        count = GaugeMetricFamily(
            "agentreel_sessions", "Sessions in the database.", labels=["project", "status"]
        )
        steps = GaugeMetricFamily("agentreel_steps", "Steps in the database.", labels=["project"])
        by_status: dict[tuple[str, str], int] = {}
        by_project: dict[str, int] = {}
        models: dict[tuple[str, str], _ModelTotals] = {}
        for summary in summaries:
            s = summary.session
            key = (s.project, str(s.status))
            by_status[key] = by_status.get(key, 0) + 1
            by_project[s.project] = by_project.get(s.project, 0) + summary.step_count
            for model, t in sessions[s.id].by_model.items():
                total = models.setdefault((s.project, model), _ModelTotals())
                total.calls += t.calls
                total.tokens_in += t.tokens_in
                total.tokens_out += t.tokens_out
                total.cost += t.cost
        for (project, status), n in sorted(by_status.items()):
            count.add_metric([project, status], n)
        for project, n in sorted(by_project.items()):
            steps.add_metric([project], n)
        calls = GaugeMetricFamily(
            "agentreel_model_calls", "Model calls in the database.", labels=["project", "model"]
        )
        tokens = GaugeMetricFamily(
            "agentreel_tokens",
            "Tokens of the model calls in the database.",
            labels=["project", "model", "direction"],
        )
        cost = GaugeMetricFamily(
            "agentreel_cost_usd",
            "Cost of the model calls in the database, USD.",
            labels=["project", "model"],
        )
        for (project, model), t in sorted(models.items()):
            calls.add_metric([project, model], t.calls)
            tokens.add_metric([project, model, "input"], t.tokens_in)
            tokens.add_metric([project, model, "output"], t.tokens_out)
            cost.add_metric([project, model], t.cost)
        yield from (count, steps, calls, tokens, cost)


class _BoundedLabels:
    """Keeps free-form label values (models, tools) from growing without bound."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}

    def __call__(self, kind: str, value: str | None) -> str:
        seen = self._seen.setdefault(kind, set())
        value = value or "unknown"
        if value in seen:
            return value
        if len(seen) >= MAX_LABEL_VALUES:
            return "other"
        seen.add(value)
        return value


class ServerMetrics:
    """The metrics one app exposes on ``/metrics``."""

    def __init__(self, store: Store, *, ttl: float) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "agentreel_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "agentreel_http_request_duration_seconds",
            "Time to answer a request (to the end of the body; streams excluded).",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.spans = Counter(
            "agentreel_ingest_spans", "Spans stored from OTLP requests.", ["project"], registry=r
        )
        self.spans_rejected = Counter(
            "agentreel_ingest_spans_rejected",
            "Spans of accepted OTLP requests that could not be stored (partial success), "
            "by reason.",
            ["reason"],
            registry=r,
        )
        self.cut = Counter(
            "agentreel_ingest_values_altered",
            "Values changed on ingest: secrets redacted, long strings truncated.",
            ["action"],
            registry=r,
        )
        # Observed a request at a time (see observe_ingest), hence not Histogram.
        self.token_usage = BatchHistogram(
            "gen_ai_client_token_usage",
            "Tokens per model call ingested (finished calls; GenAI semantic conventions).",
            ["gen_ai_request_model", "gen_ai_token_type"],
            buckets=_TOKEN_BUCKETS,
            registry=r,
        )
        self.operation_seconds = BatchHistogram(
            "gen_ai_client_operation_duration_seconds",
            "Duration of the model calls ingested (GenAI semantic conventions).",
            ["gen_ai_request_model"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.cost = Counter(
            "agentreel_ingest_cost_usd",
            "Cost of the model calls ingested, USD.",
            ["project", "model"],
            registry=r,
        )
        self.tool_calls = Counter(
            "agentreel_ingest_tool_calls",
            "Tool calls ingested, by tool and status (ok, error).",
            ["tool", "status"],
            registry=r,
        )
        self._labels = _BoundedLabels()
        self.batches = Counter(
            "agentreel_ingest_batches", "OTLP requests stored.", ["project"], registry=r
        )
        self.bytes = Counter(
            "agentreel_ingest_bytes",
            "Bytes of OTLP request bodies after decompression.",
            registry=r,
        )
        self.requests_rejected = Counter(
            "agentreel_ingest_requests_rejected",
            "OTLP requests refused whole, by reason (too_large, unsupported_media_type, "
            "bad_request, backpressure, unauthorized).",
            ["reason"],
            registry=r,
        )
        self.in_flight = Gauge(
            "agentreel_ingest_in_flight",
            "OTLP requests being read or stored right now (the ingest queue depth).",
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "agentreel_ingest_duration_seconds",
            "Time to decode and store one OTLP request.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.store = StoreCollector(store, ttl)
        r.register(self.store)

    def observe_ingest(self, report: IngestReport, project: str, seconds: float) -> None:
        """Count one stored OTLP request and the finished steps it carried.

        Steps are counted when a finished row arrives, so a step sent when it
        starts and again when it ends counts once; a batch retried after a
        lost answer counts twice here (the database gauges stay exact).
        """
        self.ingest_seconds.observe(seconds)
        self.batches.labels(project).inc()
        self.spans.labels(project).inc(report.accepted)
        for reason, count in report.rejections.items():
            self.spans_rejected.labels(reason).inc(count)
        if report.redacted:
            self.cut.labels("redacted").inc(report.redacted)
        if report.truncated:
            self.cut.labels("truncated").inc(report.truncated)
        # A request carries hundreds of steps of a few models and tools: values
        # are gathered per labelled series and each series moves once.
        # (``labels()`` and ``inc()`` per step were 5 µs of every ingested span,
        # and three ``Histogram.observe()`` per model call another 3 µs.)
        series: dict[str, tuple[list[int], list[int], list[float]]] = {}
        models: dict[str | None, tuple[str, list[int], list[int], list[float]]] = {}
        costs: dict[str, float] = {}
        tools: dict[tuple[str, str], int] = {}
        for row in report.steps:
            if row.status == "running":
                continue
            if row.kind == "llm":
                seen = models.get(row.model)
                if seen is None:
                    # Models sharing a label ("unknown", "other") share the lists,
                    # so values keep their order and the sums round as before.
                    label = self._labels("model", row.model)
                    seen = models[row.model] = (label, *series.setdefault(label, ([], [], [])))
                label, tokens_in, tokens_out, durations = seen
                tokens_in.append(row.tokens_in)
                tokens_out.append(row.tokens_out)
                if row.ended_at is not None:
                    took = row.ended_at - row.started_at
                    durations.append((0 if took < 0 else took) / 1e9)  # max(), without the call
                if row.cost:
                    costs[label] = costs.get(label, 0.0) + row.cost
            elif row.kind == "tool":
                called = (self._labels("tool", row.name), row.status)
                tools[called] = tools.get(called, 0) + 1
        for model, (ins, outs, durations) in series.items():
            self.token_usage.observe_many((model, "input"), ins)
            self.token_usage.observe_many((model, "output"), outs)
            self.operation_seconds.observe_many((model,), durations)
        for model, cost in costs.items():
            self.cost.labels(project, model).inc(cost)
        for (tool, status), calls in tools.items():
            self.tool_calls.labels(tool, status).inc(calls)
