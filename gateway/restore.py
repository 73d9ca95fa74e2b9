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
from gateway.keystate import PartitionState
from gateway.processor import RecordProcessor
from gateway.tiers import RetryTiers
from schemas.topics import TopicName


async def restore_partition(
    bootstrap: str,
    partition: int,
    bases: Iterable[TopicName],
    tiers: RetryTiers,
    processor: RecordProcessor,
    committed: Mapping[TopicPartition, int | None],
    dedup_window_s: float,
) -> PartitionState:
    """The state of ``partition`` as the committed log says it is."""
    state = PartitionState(dedup_window_s=dedup_window_s)
    tier_tps = [TopicPartition(str(b.retry(t)), partition) for b in bases for t in tiers.names]
    routed = TopicPartition(processor.routed_topic, partition)
    async with LogReader(bootstrap) as reader:
        for record in await reader.read({tp: committed.get(tp) or 0 for tp in tier_tps}):
            base, tier = processor.classify(record.topic)
            state.park_in_tier(str(base), record.key, tier or 0, "restored")
        since = await reader.offsets_at([routed], int((time.time() - dedup_window_s) * 1000))
        if routed in since:
            for record in await reader.read({routed: since[routed]}):
                if record.key:
                    state.mark_routed(record.key.decode(), record.timestamp / 1000)
    return state
