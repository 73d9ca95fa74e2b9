"""A connector's Prometheus metrics, prefixed ``lgsp_connector_``, on an injected registry.

Labels stay bounded: connector name, outcome, error code, HTTP status class.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ConnectorMetrics:
    """Every metric a connector exports; one instance per connector."""

    def __init__(self, registry: CollectorRegistry, connector: str) -> None:
        self.connector = connector
        self.records = Counter(
            "lgsp_connector_records_total",
            "Records handled: published (sources), delivered or parked (sinks), rejected.",
            ["connector", "outcome"],
            registry=registry,
        )
        self.retries = Counter(
            "lgsp_connector_retries_total",
            "Delivery attempts that failed and will be tried again, by error code.",
            ["connector", "code"],
            registry=registry,
        )
        self.parked = Counter(
            "lgsp_connector_parked_total",
            "Records parked in the connector's DLQ topic, by error code.",
            ["connector", "code"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "lgsp_connector_in_flight_records",
            "Records handed on and not yet acknowledged.",
            ["connector"],
            registry=registry,
        )
        self.seconds = Histogram(
            "lgsp_connector_operation_seconds",
            "Time to publish a batch (sources) or to deliver one record (sinks).",
            ["connector"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.checkpoints = Counter(
            "lgsp_connector_checkpoints_total",
            "Positions committed (source checkpoints, sink offsets).",
            ["connector"],
            registry=registry,
        )
        self.requests = Counter(
            "lgsp_connector_http_requests_total",
            "Requests a webhook answered, by status code.",
            ["connector", "status"],
            registry=registry,
        )

    def count(self, outcome: str, amount: int = 1) -> None:
        self.records.labels(self.connector, outcome).inc(amount)

    def park(self, code: str) -> None:
        self.parked.labels(self.connector, code).inc()
        self.count("parked")
