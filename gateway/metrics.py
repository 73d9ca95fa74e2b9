"""The gateway's Prometheus metrics, registered on an injected registry.

Labels stay bounded: node, event type, route name, error code, retry tier, and the source's
level-1 agency (a ministry or province), never ids.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from time import time

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from bus.batchhistogram import BatchHistogram
from bus.metrics import NodeMetrics, counter, gauge, histogram
from gateway.routing.records import Outcome, OutcomeKind

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_TYPE_AND_SOURCE = attrgetter("event_type", "source")
_ROUTES_AND_TYPE = attrgetter("routes", "event_type")
_E2E_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)


class GatewayMetrics(NodeMetrics):
    """Every metric a gateway process exports, prefixed ``lgsp_gateway_``; ``node`` first."""

    records_in = counter(
        "lgsp_gateway_records_in_total", "Records consumed.", "stage", "event_type", "source"
    )
    records_out = counter(
        "lgsp_gateway_records_out_total", "Records routed, per route.", "route", "event_type"
    )
    parked = counter(
        "lgsp_gateway_parked_total", "Records dead-lettered, by error code.", "code", "event_type"
    )
    retries = counter(
        "lgsp_gateway_retries_total", "Records sent to a retry tier.", "code", "event_type"
    )
    held = counter(
        "lgsp_gateway_held_total",
        "Records held behind an earlier record of their key.",
        "event_type",
    )
    duplicates = counter(
        "lgsp_gateway_duplicates_total", "Records dropped as already routed.", "event_type"
    )
    routing_seconds = histogram(
        "lgsp_gateway_routing_seconds",
        "Time to route one transaction's records, from its first record's routing to its "
        "commit; every record of it waited at least this long.",
        buckets=_LATENCY_BUCKETS,
    )
    transactions = counter("lgsp_gateway_transactions_total", "Transactions, by result.", "result")
    reloads = counter(
        "lgsp_gateway_route_reloads_total", "Routing table reloads, by result.", "result"
    )
    held_keys = gauge("lgsp_gateway_held_keys", "Keys with records waiting in retry tiers.")
    partitions = gauge("lgsp_gateway_assigned_partitions", "Partition numbers this process owns.")
    routes = gauge("lgsp_gateway_routes", "Routes in the active routing table.")
    consumer_lag = gauge(
        "lgsp_gateway_consumer_lag_records",
        "Committed records not yet consumed, per topic partition this process owns.",
        "topic",
        "partition",
    )

    def __init__(self, registry: CollectorRegistry, node: str) -> None:
        super().__init__(registry, node)
        self.end_to_end_seconds = BatchHistogram(  # observed per record: a batch at a time
            "lgsp_gateway_end_to_end_seconds",
            "From ce_time to the routed record's commit.",
            ["node", "event_type"],
            buckets=_E2E_BUCKETS,
            registry=registry,
        )

    def count(self, outcomes: Sequence[Outcome], seconds: float) -> None:
        """Count a committed batch: tallied first, so each labelled series is touched once
        (by C-level counting over the outcomes: this runs for every routed record)."""
        node, now = self.node, time()
        tally: Tally[tuple[str, str, str]] = Tally()
        for (event_type, source), n in Tally(map(_TYPE_AND_SOURCE, outcomes)).items():
            tally[("in", event_type, source)] += n
        routed = [o for o in outcomes if o.kind is OutcomeKind.ROUTED]
        for (routes, event_type), n in Tally(map(_ROUTES_AND_TYPE, routed)).items():
            for route in routes:
                tally[("out", route, event_type)] += n
        for outcome in outcomes:
            if outcome.kind is not OutcomeKind.ROUTED:
                tally[(outcome.kind, outcome.code or "", outcome.event_type)] += 1
        sent: dict[str, list[float]] = {}
        for outcome in routed:
            if outcome.sent_at is not None:
                sent.setdefault(outcome.event_type, []).append(outcome.sent_at.timestamp())
        for event_type, times in sent.items():
            self.end_to_end_seconds.observe_many(
                (node, event_type), [max(0.0, now - t) for t in times]
            )
        self.child(self.routing_seconds).observe(seconds)
        for (kind, first, second), n in tally.items():
            if kind == "in":  # first: the event type, second: the source
                self.child(self.records_in, "main", first, _root(second)).inc(n)
            elif kind == "out":  # first: the route, second: the event type
                self.child(self.records_out, first, second).inc(n)
            elif kind in ("parked", "retry"):  # first: the code, second: the event type
                counter = self.parked if kind == "parked" else self.retries
                self.child(counter, first, second).inc(n)
            elif kind in ("held", "duplicate"):
                self.child(self.held if kind == "held" else self.duplicates, second).inc(n)

    def report_lag(
        self,
        positions: Mapping[TopicPartition, int],
        stable_offset: Callable[[TopicPartition], int | None],
        owned: set[int],
    ) -> None:
        """Lag = last stable offset the consumer saw - the next offset to route, per partition
        this process owns (partitions move between processes: the others are dropped)."""
        self.consumer_lag.clear()
        for tp, position in list(positions.items()):
            stable = stable_offset(tp)
            if stable is not None and tp.partition in owned:
                self.consumer_lag.labels(self.node, tp.topic, str(tp.partition)).set(
                    max(0, stable - position)
                )


def _root(source: str) -> str:
    """The level-1 agency of a source: a bounded metric label."""
    return f"000.00.00.{source[-3:]}" if len(source) == 13 else "unknown"
