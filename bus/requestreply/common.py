"""What both sides of a request-reply exchange share: its metrics, the time-out error and the
topics they make sure of."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from bus.exchanges import LOOKUP, Exchange
from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.codec import AvroCodec
from schemas.errors import LgspError
from schemas.topics import inbox_topic


class LookupTimeoutError(LgspError):
    code = "LGSP-LOOKUP-TIMEOUT"
    retriable = True


class LookupMetrics:
    """Metrics of one exchange, ``lgsp_<exchange>_*`` (``lgsp_lookup_*`` for look-ups)."""

    def __init__(self, registry: CollectorRegistry, exchange: str = "lookup") -> None:
        prefix = f"lgsp_{exchange}"
        self.requests = Counter(
            f"{prefix}_requests_total",
            "Requests asked, by outcome (replied, timeout).",
            ["node", "outcome"],
            registry=registry,
        )
        self.late = Counter(
            f"{prefix}_late_replies_total",
            "Replies that arrived after their request's deadline, dropped.",
            ["node"],
            registry=registry,
        )
        self.expired = Counter(
            f"{prefix}_expired_requests_total",
            "Requests that reached the responder after their deadline, dropped unanswered.",
            ["node"],
            registry=registry,
        )
        self.answered = Counter(
            f"{prefix}_answered_total",
            "Requests answered by a responder.",
            ["node"],
            registry=registry,
        )
        self.failed = Counter(
            f"{prefix}_failed_requests_total",
            "Requests the responder's handler failed (parked), by error code.",
            ["node", "code"],
            registry=registry,
        )
        self.round_trip = Histogram(
            f"{prefix}_round_trip_seconds",
            "From request published to reply received.",
            ["node"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=registry,
        )


async def ensure_topic(cluster: ClusterAccess, topic: str, partitions: int) -> str:
    await ensure_topics(
        cluster.bootstrap_servers,
        [TopicSpec(topic, partitions)],
        security=cluster.security,
        replication=cluster.replication,
    )
    return topic


async def ensure_inbox(cluster: ClusterAccess, node: str, agency: str, partitions: int) -> str:
    return await ensure_topic(cluster, inbox_topic(node, agency), partitions)


class ExchangeParty:
    """One agency's side of an exchange on a node: where it talks, its metrics and codec."""

    def __init__(
        self,
        cluster: ClusterAccess,
        node: str,
        agency: str,
        metrics: LookupMetrics,
        catalog: SchemaCatalog | None = None,
        partitions: int = 3,
        exchange: Exchange = LOOKUP,
    ) -> None:
        self.cluster, self.node, self.agency = cluster, node, agency
        self.bootstrap = cluster.bootstrap_servers
        self.metrics, self.partitions, self.exchange = metrics, partitions, exchange
        self.catalog = catalog or bundled_catalog()
        self.codec = AvroCodec(self.catalog)
