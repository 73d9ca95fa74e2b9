"""A Prometheus histogram observed a batch of values at a time.

``prometheus_client``'s ``Histogram.observe`` takes a lock and walks the buckets for every
value: about 1.5 µs, paid per record on a path that routes tens of thousands of records a
second. This one counts a batch into plain lists (a bisect per value) and is exported through
the client's documented custom-collector interface with the same samples (``_bucket``,
``_count``, ``_sum``). It is meant for one event loop: observations and scrapes must not run
in different threads.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import cast

from prometheus_client import CollectorRegistry
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

_go_float = cast(Callable[[float], str], floatToGoString)  # the client's own le format


class _Series:
    __slots__ = ("counts", "total")

    def __init__(self, buckets: int) -> None:
        self.counts = [0] * (buckets + 1)  # the last one is +Inf
        self.total = 0.0


class BatchHistogram(Collector):
    """Histogram ``name`` with ``labelnames``, fed by ``observe_many``."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames = list(labelnames)
        self.bounds = sorted(float(b) for b in buckets)
        self._les = [_go_float(b) for b in self.bounds] + ["+Inf"]
        self._series: dict[tuple[str, ...], _Series] = {}
        registry.register(self)

    def observe_many(self, labels: tuple[str, ...], values: Iterable[float]) -> None:
        """Count every value (seconds, bytes...) under one label set."""
        if len(labels) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {labels}")
        series = self._series.get(labels)
        if series is None:
            series = self._series[labels] = _Series(len(self.bounds))
        counts, bounds, total = series.counts, self.bounds, 0.0
        for value in values:
            counts[bisect_left(bounds, value)] += 1  # le is inclusive: value <= bound
            total += value
        series.total += total

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for labels, series in list(self._series.items()):
            cumulative, buckets = 0, []
            for le, count in zip(self._les, series.counts, strict=True):
                cumulative += count
                buckets.append((le, float(cumulative)))
            family.add_metric(list(labels), buckets, series.total)
        yield family
