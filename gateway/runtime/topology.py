"""The topics a node's gateway needs, created at start and checked for co-partitioning.

Every event topic, its retry tiers, its dead letters, the ``routed`` marker topic and the
``route-log`` have the same number of partitions, so partition ``p`` of all of them is owned
by one gateway process: that is what keeps a key's records, its held retries and its dedup
state together.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient

from bus.kafka import TopicSpec, ensure_topics, topic_partitions
from bus.kafka.replication import CLUSTER_DEFAULT, Replication
from bus.kafka.security import KafkaSecurity
from gateway.routing.tracelog import LINK_LOG, ROUTE_LOG
from schemas.errors import LgspError
from schemas.topics import TopicName, gateway_topic


def consumed_topics(main_topics: Sequence[TopicName], tier_names: Sequence[str]) -> list[str]:
    """The topics a gateway reads: each event topic and its retry tiers."""
    return [str(t) for base in main_topics for t in (base, *(base.retry(n) for n in tier_names))]


async def ensure_gateway_topics(
    bootstrap: str,
    node: str,
    main_topics: Sequence[TopicName],
    tier_names: Sequence[str],
    partitions: int,
    dedup_window_s: float,
    trace_log_retention_s: float,
    *,
    security: KafkaSecurity,
    replication: Replication = CLUSTER_DEFAULT,
) -> None:
    """Create what is missing (replicated as node.yaml says, else as the cluster's defaults);
    raise LGSP-GW-PARTITIONS when an existing topic breaks the rule."""
    retention = str(int(dedup_window_s * 2 * 1000))
    traces = {"retention.ms": str(int(trace_log_retention_s * 1000))}
    copartitioned = consumed_topics(main_topics, tier_names)
    copartitioned += [str(b.dlq()) for b in main_topics]
    specs = [TopicSpec(t, partitions) for t in copartitioned]
    own = {"routed": {"retention.ms": retention}, ROUTE_LOG: traces}
    for name, configs in own.items():
        copartitioned.append(gateway_topic(node, name))
        specs.append(TopicSpec(copartitioned[-1], partitions, configs=configs))
    specs.append(
        TopicSpec(gateway_topic(node, "dlq-state"), 1, configs={"cleanup.policy": "compact"})
    )
    specs.append(TopicSpec(gateway_topic(node, LINK_LOG), 1, configs=traces))
    await ensure_topics(bootstrap, specs, security=security, replication=replication)
    counts: dict[str, int] = {}
    for tp in await topic_partitions(bootstrap, copartitioned, security=security):
        counts[tp.topic] = counts.get(tp.topic, 0) + 1
    wrong = [f"{t} ({counts.get(t, 0)})" for t in copartitioned if counts.get(t, 0) != partitions]
    if wrong:
        raise LgspError(
            f"these topics do not have {partitions} partitions, so records of one key would not "
            f"meet in one gateway process: {', '.join(wrong)}. Recreate them or set `partitions` "
            "to match.",
            code="LGSP-GW-PARTITIONS",
        )


class KnownTopics:
    """The cluster's topics as last listed: whether a destination exists is read from here, so
    the hot path asks no broker."""

    def __init__(self, admin: AIOKafkaAdminClient) -> None:
        self._admin = admin
        self._names: set[str] = set()

    def exists(self, topic: str) -> bool:
        return topic in self._names

    async def refresh(self) -> None:
        self._names = set(await self._admin.list_topics())
