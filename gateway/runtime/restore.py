"""Rebuild a partition's gateway state from Kafka when the partition is assigned.

Held keys come from the retry tiers (records past the group's committed offset are still
waiting); routed ids come from the ``routed`` topic over the dedup window. Transactions make
both exact: an output and the offset that consumed its input are committed together.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from aiokafka import TopicPartition

from bus.kafka import LogReader
from bus.kafka.security import KafkaSecurity
from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.retry_tiers import RetryTiers
from schemas.topics import TopicName, gateway_topic


async def restore_partitions(
    bootstrap: str,
    partitions: Iterable[int],
    bases: Iterable[TopicName],
    tiers: RetryTiers,
    processor: RecordProcessor,
    committed: Mapping[TopicPartition, int | None],
    dedup_window_s: float,
    *,
    security: KafkaSecurity | None = None,
) -> dict[int, PartitionState]:
    """The state of each partition number as the committed log says it is (one read for all)."""
    numbers = list(partitions)
    states = {n: PartitionState(dedup_window_s=dedup_window_s) for n in numbers}
    tier_tps = [
        TopicPartition(str(b.retry(t)), n) for b in bases for t in tiers.names for n in numbers
    ]
    routed = [TopicPartition(gateway_topic(processor.node, "routed"), n) for n in numbers]
    async with LogReader(bootstrap, security=security) as reader:
        for record in await reader.read({tp: committed.get(tp) or 0 for tp in tier_tps}):
            base, tier = processor.classify(record.topic)
            states[record.partition].park_in_tier(str(base), record.key, tier or 0, "restored")
        since = await reader.offsets_at(routed, int((time.time() - dedup_window_s) * 1000))
        for record in await reader.read(since):
            for ce_id in (record.value or b"").decode().split("\n"):
                states[record.partition].mark_routed(ce_id, record.timestamp / 1000)
    return states
