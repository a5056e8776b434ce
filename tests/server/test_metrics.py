"""The ingest histograms, moved a request at a time, expose exactly what
prometheus_client's Histogram does when observed one span at a time."""

from __future__ import annotations

import random
import re
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from tests.storage._factories import Factory

from agentreel.model import StepRow
from agentreel.otel import IngestReport
from agentreel.server._histogram import BatchHistogram
from agentreel.server._metrics import _DURATION_BUCKETS, _TOKEN_BUCKETS, ServerMetrics
from agentreel.storage import MemoryStore

_ROWS = Factory()
_CREATED = re.compile(r"^(\S+_created\{.*\}) \S+$", re.MULTILINE)


def _exposed(registry: CollectorRegistry, prefix: str) -> str:
    """The exposition of the ``prefix`` metrics, creation times blanked."""
    text = generate_latest(registry).decode()
    lines = [line for line in text.splitlines() if prefix in line]
    assert any("_created{" in line for line in lines)  # present, only the times differ
    return _CREATED.sub(r"\1 T", "\n".join(lines))


def test_a_batch_exposes_what_observing_each_value_does() -> None:
    rng = random.Random(7)
    batched, single = CollectorRegistry(), CollectorRegistry()
    ours = BatchHistogram("h", "doc", ["m"], buckets=_DURATION_BUCKETS, registry=batched)
    theirs = Histogram("h", "doc", ["m"], buckets=_DURATION_BUCKETS, registry=single)
    # Bucket bounds themselves, zero, past the last bound, and float noise.
    edges = [*_DURATION_BUCKETS, 0.0, 0, 1e9, float("inf")]
    for _ in range(5):
        for model in ("a", "b"):
            values = [rng.choice(edges) if rng.random() < 0.3 else rng.random() * 200]
            values += [rng.random() * 0.05 for _ in range(rng.randrange(0, 40))]
            ours.observe_many((model,), values)
            for value in values:
                theirs.labels(model).observe(value)
    assert _exposed(batched, "h_") == _exposed(single, "h_")


def _row(number: int, model: str | None, tokens: tuple[int, int], **fields: Any) -> StepRow:
    values: dict[str, Any] = {
        "kind": "llm",
        "name": "chat",
        "started_at": 1_000_000_000 * number,
        "ended_at": 1_000_000_000 * number + 7_654_321 * number,
        "model": model,
        "tokens_in": tokens[0],
        "tokens_out": tokens[1],
    }
    return _ROWS.row("s", number, **{**values, **fields})


def test_observe_ingest_equals_per_span_observation() -> None:
    rng = random.Random(11)
    rows = []
    for n in range(300):
        # None and "" share the label "unknown": their values must interleave.
        model = rng.choice(["gpt-4o", "claude-sonnet-4-5", None, ""])
        tokens = (rng.randrange(0, 70_000), rng.choice([0, 1, 4, 16, 900]))
        rows.append(_row(n, model, tokens, cost=rng.choice([None, 0.0, rng.random() / 7])))
    rows.append(_row(300, "gpt-4o", (5, 5), status="running"))  # not counted until it ends
    rows.append(_row(301, "o3", (1, 2), ended_at=None, status="error"))
    rows.append(_row(302, None, (0, 0), kind="tool", name="search"))
    metrics = ServerMetrics(MemoryStore(), ttl=0.0)
    reference = CollectorRegistry()
    tokens = Histogram(
        "gen_ai_client_token_usage",
        "Tokens per model call ingested (finished calls; GenAI semantic conventions).",
        ["gen_ai_request_model", "gen_ai_token_type"],
        buckets=_TOKEN_BUCKETS,
        registry=reference,
    )
    seconds = Histogram(
        "gen_ai_client_operation_duration_seconds",
        "Duration of the model calls ingested (GenAI semantic conventions).",
        ["gen_ai_request_model"],
        buckets=_DURATION_BUCKETS,
        registry=reference,
    )
    cost = Counter(
        "agentreel_ingest_cost_usd",
        "Cost of the model calls ingested, USD.",
        ["project", "model"],
        registry=reference,
    )
    for batch in (rows[:150], rows[150:]):
        metrics.observe_ingest(
            IngestReport(accepted=len(batch), rejected=0, steps=tuple(batch)), "p", 0.1
        )
        costs: dict[str, float] = {}
        for row in batch:
            if row.kind != "llm" or row.status == "running":
                continue
            # As before batching: a model's three series appear when it is first seen.
            model = row.model or "unknown"
            tokens_in, tokens_out, duration = (
                tokens.labels(model, "input"),
                tokens.labels(model, "output"),
                seconds.labels(model),
            )
            tokens_in.observe(row.tokens_in)
            tokens_out.observe(row.tokens_out)
            if row.ended_at is not None:
                duration.observe(max(row.ended_at - row.started_at, 0) / 1e9)
            if row.cost:  # summed per request already before histograms were batched
                costs[model] = costs.get(model, 0.0) + row.cost
        for model, total in costs.items():
            cost.labels("p", model).inc(total)
    for prefix in (
        "gen_ai_client_token_usage",
        "gen_ai_client_operation_duration_seconds",
        "agentreel_ingest_cost_usd",
    ):
        assert _exposed(metrics.registry, prefix) == _exposed(reference, prefix)
