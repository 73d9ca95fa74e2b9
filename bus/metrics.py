"""A component's Prometheus metrics, declared once as class attributes:

    class LinkMetrics(NodeMetrics):
        forwarded = counter("lgsp_link_forwarded_records_total", "Records forwarded.", "peer")

    metrics = LinkMetrics(registry, node="hanoi")
    metrics.forwarded.labels("hanoi", "danang").inc()
    metrics.child(metrics.forwarded, "danang").inc()      # the same series, node filled in

Every metric of a ``NodeMetrics`` has ``node`` as its first label (declared here, not in each
definition); a ``Metrics`` subclass names its own first labels in ``first_labels`` (none by
default), and a metric declared with ``prefixed=False`` has exactly the labels it lists. The
registry is injected: tests use their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar, overload

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
        *,
        prefixed: bool = True,
    ) -> None:
        self.kind: type[M] = kind
        self.prefixed = prefixed
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
        labels = [*first, *self.labels] if self.prefixed else list(self.labels)
        metric: M = self.kind(self.name, self.doc, labels, **options)
        return metric


def counter(name: str, doc: str, *labels: str, prefixed: bool = True) -> MetricDef[Counter]:
    return MetricDef(Counter, name, doc, labels, prefixed=prefixed)


def gauge(name: str, doc: str, *labels: str, prefixed: bool = True) -> MetricDef[Gauge]:
    return MetricDef(Gauge, name, doc, labels, prefixed=prefixed)


def histogram(
    name: str, doc: str, *labels: str, buckets: Sequence[float], prefixed: bool = True
) -> MetricDef[Histogram]:
    return MetricDef(Histogram, name, doc, labels, buckets, prefixed=prefixed)


class Metrics:
    """Registers every ``MetricDef`` of its class (and its bases) on ``registry``; the values of
    ``first_labels`` are given once, here."""

    first_labels: ClassVar[tuple[str, ...]] = ()

    def __init__(self, registry: CollectorRegistry, *first_values: str) -> None:
        if len(first_values) != len(self.first_labels):
            raise ValueError(f"{type(self).__name__} needs values for {self.first_labels}")
        self.registry = registry
        self._first_values = first_values
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        for cls in reversed(type(self).__mro__):
            for attr, value in vars(cls).items():
                if isinstance(value, MetricDef):
                    self.__dict__[attr] = value.register(registry, self.first_labels)

    def child(self, metric: Any, *labels: str) -> Any:
        """The labelled series of a prefixed metric (first labels filled in), looked up once."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*self._first_values, *labels)
        return found


class NodeMetrics(Metrics):
    """Metrics of one node's process: ``node`` is every metric's first label."""

    first_labels = ("node",)

    def __init__(self, registry: CollectorRegistry, node: str) -> None:
        self.node = node
        super().__init__(registry, node)
