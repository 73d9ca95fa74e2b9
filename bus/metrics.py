"""A component's Prometheus metrics, declared once as class attributes:

    class LinkMetrics(NodeMetrics):
        forwarded = counter("lgsp_link_forwarded_records_total", "Records forwarded.", "peer")

    metrics = LinkMetrics(registry, node="hanoi")
    metrics.forwarded.labels("hanoi", "danang").inc()
    metrics.child(metrics.forwarded, "danang").inc()      # the same series, node filled in

Every metric of a ``NodeMetrics`` has ``node`` as its first label (declared here, not in each
definition; a ``Metrics`` without a node has none). The registry is injected: tests use their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar, overload

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

M = TypeVar("M", Counter, Gauge, Histogram)


class MetricDef(Generic[M]):
    """One metric's definition; on an instance of its ``Metrics`` class, the metric itself."""

    def __init__(
        self,
        kind: type[M],
        name: str,
        doc: str,
        labels: Sequence[str],
        buckets: Sequence[float] | None = None,
    ) -> None:
        self.kind: type[M] = kind
        self.name, self.doc = name, doc
        self.labels = tuple(labels)
        self.buckets = tuple(buckets) if buckets else None
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    @overload
    def __get__(self, obj: None, owner: type) -> MetricDef[M]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> M: ...

    def __get__(self, obj: object | None, owner: type) -> MetricDef[M] | M:
        if obj is None:
            return self
        metric: M = obj.__dict__[self.attr]  # registered by Metrics.__init__
        return metric

    def register(self, registry: CollectorRegistry, first: Sequence[str]) -> M:
        options: dict[str, Any] = {"registry": registry}
        if self.buckets is not None:
            options["buckets"] = self.buckets
        metric: M = self.kind(self.name, self.doc, [*first, *self.labels], **options)
        return metric


def counter(name: str, doc: str, *labels: str) -> MetricDef[Counter]:
    return MetricDef(Counter, name, doc, labels)


def gauge(name: str, doc: str, *labels: str) -> MetricDef[Gauge]:
    return MetricDef(Gauge, name, doc, labels)


def histogram(name: str, doc: str, *labels: str, buckets: Sequence[float]) -> MetricDef[Histogram]:
    return MetricDef(Histogram, name, doc, labels, buckets)


class Metrics:
    """Registers every ``MetricDef`` of its class (and its bases) on ``registry``."""

    _first_labels: tuple[str, ...] = ()

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        for cls in reversed(type(self).__mro__):
            for attr, value in vars(cls).items():
                if isinstance(value, MetricDef):
                    self.__dict__[attr] = value.register(registry, self._first_labels)

    def _prefix(self) -> tuple[str, ...]:
        return ()

    def child(self, metric: Any, *labels: str) -> Any:
        """The labelled series (node first, for a ``NodeMetrics``), looked up once."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*self._prefix(), *labels)
        return found


class NodeMetrics(Metrics):
    """Metrics of one node's process: ``node`` is every metric's first label."""

    _first_labels = ("node",)

    def __init__(self, registry: CollectorRegistry, node: str) -> None:
        self.node = node
        super().__init__(registry)

    def _prefix(self) -> tuple[str, ...]:
        return (self.node,)
