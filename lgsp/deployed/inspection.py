"""What the topology's checks and figures read from a cluster: partition leaders and end
offsets (the busiest partition), each topic's replicas, and a border's audit chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from bus.kafka import LogReader, list_topics
from bus.kafka.factory import new_admin, new_consumer
from bus.kafka.security import KafkaSecurity
from bus.kafka.stopping import stop_client
from gateway.federation.border.audit import ChainCheck, check_chain
from gateway.federation.border.state import audit_topic


@dataclass(frozen=True)
class PartitionLoad:
    """One partition: its records so far and the broker that leads it."""

    topic: str
    partition: int
    end_offset: int
    leader: int


async def node_topics(bootstrap: str, security: KafkaSecurity, node: str) -> list[str]:
    """Every topic of ``node`` on its cluster (``lgsp.<node>.*``)."""
    return [
        t for t in await list_topics(bootstrap, security=security) if t.startswith(f"lgsp.{node}.")
    ]


async def describe(bootstrap: str, security: KafkaSecurity, topics: list[str]) -> list[Any]:
    admin = new_admin(bootstrap, security)
    await admin.start()
    try:
        return list(await admin.describe_topics(topics))
    finally:
        await stop_client(admin, "topology admin")


async def partition_loads(
    bootstrap: str, security: KafkaSecurity, topics: list[str]
) -> list[PartitionLoad]:
    """Each partition of ``topics`` with its end offset and leader, busiest first."""
    described = await describe(bootstrap, security, topics)
    leaders = {
        TopicPartition(t["topic"], p["partition"]): int(p["leader"])
        for t in described
        for p in t["partitions"]
    }
    consumer = new_consumer(bootstrap, security, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(leaders))
    finally:
        await stop_client(consumer, "topology offsets")
    loads = [PartitionLoad(tp.topic, tp.partition, ends[tp], leaders[tp]) for tp in leaders]
    return sorted(loads, key=lambda load: -load.end_offset)


async def replica_counts(
    bootstrap: str, security: KafkaSecurity, topics: list[str]
) -> dict[str, set[int]]:
    """Per topic: the replica counts of its partitions."""
    described = await describe(bootstrap, security, topics)
    return {t["topic"]: {len(p["replicas"]) for p in t["partitions"]} for t in described}


async def audit_chain(bootstrap: str, security: KafkaSecurity, node: str) -> ChainCheck:
    """The node's border audit chain, read from its topic and checked as ``lgsp audit verify``
    checks an archive."""
    async with LogReader(bootstrap, security=security) as reader:
        records = await reader.read({TopicPartition(audit_topic(node), 0): None})
    return check_chain((f"offset {r.offset}", json.loads(r.value or b"{}")) for r in records)
