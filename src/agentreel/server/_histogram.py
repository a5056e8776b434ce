"""A labelled Prometheus histogram that takes a whole batch of values at once.

One OTLP request carries hundreds of model calls, three observations each.
``prometheus_client.Histogram.observe`` takes one value per call, with a lock
and a linear bucket search every time: some 6 % of ingest. This collector
exposes the same samples (``_bucket`` with ``le``, ``_count``, ``_sum``,
``_created``, in ``prometheus_client``'s order and number formatting) and
moves each series once per batch.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client import metrics as _client_metrics
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString


@dataclass(slots=True)
class _Series:
    #: Observations per bucket (not cumulative), the last bucket being +Inf.
    counts: list[int]
    total: float = 0.0
    created: float = field(default_factory=time.time)


class BatchHistogram(Collector):
    """A histogram of ``name`` with ``labelnames``, observed a batch at a time."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        *,
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds):
            raise ValueError(f"{name}: buckets are not in ascending order")
        if not bounds or bounds[-1] != INF:
            bounds.append(INF)
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._bounds = tuple(bounds)
        # The library's own spelling of "le", so the series names match exactly.
        self._les = tuple(floatToGoString(b) for b in bounds)  # type: ignore[no-untyped-call]
        self._series: dict[tuple[str, ...], _Series] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, labels: tuple[str, ...], values: Iterable[float]) -> None:
        """Observe each of ``values`` (finite numbers or +Inf) in the series ``labels``.

        The same as ``Histogram.labels(*labels).observe(v)`` for each value in
        turn, down to the float rounding of the sum, which is added in the
        same order.
        """
        if len(labels) != len(self._labelnames):
            raise ValueError(f"{self._name}: expected labels {self._labelnames}, got {labels}")
        bounds = self._bounds
        with self._lock:
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = _Series([0] * len(bounds))
            counts = series.counts
            total = series.total
            for value in values:
                total += value
                # The first bound >= value: Histogram.observe's "value <= bound".
                counts[bisect_left(bounds, value)] += 1
            series.total = total

    def _metric(self) -> Metric:
        return Metric(self._name, self._documentation, "histogram")

    def describe(self) -> Iterable[Metric]:
        return [self._metric()]

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            taken = [
                (labels, list(s.counts), s.total, s.created) for labels, s in self._series.items()
            ]
        # Read when collecting, as prometheus_client does, so that its
        # disable_created_metrics() applies here too.
        created_too = getattr(_client_metrics, "_use_created", True)
        metric = self._metric()
        name = self._name
        non_negative = self._bounds[0] >= 0
        for labels, counts, total, created in taken:
            series = dict(zip(self._labelnames, labels, strict=True))
            cumulative = 0.0
            for le, count in zip(self._les, counts, strict=True):
                cumulative += count
                metric.add_sample(f"{name}_bucket", {**series, "le": le}, cumulative)
            metric.add_sample(f"{name}_count", dict(series), cumulative)
            if non_negative:  # as prometheus_client: a sum is only meaningful then
                metric.add_sample(f"{name}_sum", dict(series), total)
            if created_too:
                metric.add_sample(f"{name}_created", dict(series), created)
        yield metric
