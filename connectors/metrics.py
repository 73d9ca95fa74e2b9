"""A connector's Prometheus metrics, prefixed ``lgsp_connector_``, on an injected registry.

Labels stay bounded: connector name, outcome, error code, HTTP status class; the delivery SLA
metrics add the node, the receiving agency (the connector's own, from its file) and the
CloudEvents type (one of the contract's), never an id.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Histogram

from bus.metrics import Metrics, counter, gauge, histogram
from connectors.sla import OUTCOMES, Outcome, sla_outcome

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# ce_time to the target's acknowledgement: seconds (a record straight through) to a day (an
# agency system down over a night); 300 is the default SLA, 60/900/3600 the usual overrides
DELIVERY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
_SLA_LABELS = ("node", "connector", "agency", "event_type")


@dataclass(frozen=True)
class _SlaChildren:
    seconds: Histogram
    outcomes: dict[Outcome, Counter]


class ConnectorMetrics(Metrics):
    """Every metric a connector exports; one instance per connector (its first label)."""

    first_labels = ("connector",)

    records = counter(
        "lgsp_connector_records_total",
        "Records handled: published (sources), delivered or parked (sinks), rejected.",
        "outcome",
    )
    retries = counter(
        "lgsp_connector_retries_total",
        "Delivery attempts that failed and will be tried again, by error code.",
        "code",
    )
    parked = counter(
        "lgsp_connector_parked_total",
        "Records parked in the connector's DLQ topic, by error code.",
        "code",
    )
    in_flight = gauge(
        "lgsp_connector_in_flight_records", "Records handed on and not yet acknowledged."
    )
    seconds = histogram(
        "lgsp_connector_operation_seconds",
        "Time to publish a batch (sources) or to deliver one record (sinks).",
        buckets=_BUCKETS,
    )
    checkpoints = counter(
        "lgsp_connector_checkpoints_total",
        "Positions committed (source checkpoints, sink offsets).",
    )
    lag = gauge(
        "lgsp_connector_consumer_lag_records",
        "Records in a sink's inbox partition not yet acknowledged by the agency's system: "
        "the partition's end minus the group's committed offset, per partition this process "
        "reads (refreshed every 5 s).",
        "partition",
    )
    requests = counter(
        "lgsp_connector_http_requests_total",
        "Requests a webhook answered, by status code.",
        "status",
    )
    # the delivery SLA: node first, then the connector, its agency and the event type
    delivery_seconds = histogram(
        "lgsp_connector_delivery_seconds",
        "Time from a record's ce_time to the agency system acknowledging it (sinks).",
        *_SLA_LABELS,
        buckets=DELIVERY_BUCKETS,
        prefixed=False,
    )
    deliveries = counter(
        "lgsp_connector_deliveries_total",
        "Records the agency system acknowledged, on time or late against the delivery SLA.",
        *_SLA_LABELS,
        "outcome",
        prefixed=False,
    )
    sla_seconds = gauge(
        "lgsp_connector_delivery_sla_seconds",
        "The delivery SLA a sink applies, per event type it has delivered.",
        *_SLA_LABELS,
        prefixed=False,
    )

    def __init__(self, registry: CollectorRegistry, connector: str) -> None:
        super().__init__(registry, connector)
        self.connector = connector
        # labelled children by (node, agency, event type, SLA): labels() costs a lock and a
        # tuple per call, and a sink delivers with the same few label sets all day
        self._sla_children: dict[tuple[str, str, str, float], _SlaChildren] = {}

    def delivered_in(
        self, node: str, agency: str, event_type: str, delay_s: float, sla_s: float
    ) -> None:
        """One delivery, ``delay_s`` after its ce_time, judged against ``sla_s``. Both outcomes
        exist from the first delivery on, so a late ratio reads 0, not "no data"."""
        key = (node, agency, event_type, sla_s)
        children = self._sla_children.get(key)
        if children is None:
            labels = (node, self.connector, agency, event_type)
            self.sla_seconds.labels(*labels).set(sla_s)
            children = _SlaChildren(
                self.delivery_seconds.labels(*labels),
                {outcome: self.deliveries.labels(*labels, outcome) for outcome in OUTCOMES},
            )
            self._sla_children[key] = children
        children.seconds.observe(delay_s)
        children.outcomes[sla_outcome(delay_s, sla_s)].inc()

    async def report_lag_forever(self, consumer: AIOKafkaConsumer, every_s: float = 5.0) -> None:
        """Keep a sink's lag fresh, also while a batch waits on a target that is down."""
        while True:
            with contextlib.suppress(KafkaError):
                await self.report_lag(consumer)
            await asyncio.sleep(every_s)

    async def report_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Lag per partition this process reads: the inbox's end (the last stable offset: the
        sink reads committed records only) minus the group's committed offset, i.e. records
        not yet acknowledged by the agency's system. Partitions given up are dropped."""
        assigned = list(consumer.assignment())
        ends = await consumer.end_offsets(assigned) if assigned else {}
        lags = {}
        for tp in assigned:
            done = await consumer.committed(tp)
            if done is None:  # nothing committed yet: from the start of the log
                done = (await consumer.beginning_offsets([tp]))[tp]
            lags[tp.partition] = max(0, ends[tp] - done)
        self.lag.clear()
        for partition, lag in lags.items():
            self.lag.labels(self.connector, str(partition)).set(lag)

    def count(self, outcome: str, amount: int = 1) -> None:
        self.child(self.records, outcome).inc(amount)

    def park(self, code: str) -> None:
        self.parked.labels(self.connector, code).inc()
        self.count("parked")
