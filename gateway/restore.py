"""Rebuild a partition's gateway state from Kafka when the partition is assigned.

Held keys come from the retry tiers (records past the group's committed offset are still
waiting); routed ids come from the ``routed`` topic over the dedup window. Transactions make
both exact: an output and the offset that consumed its input are committed together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

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
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
    )
    await reader.start()
    try:
        tier_tps = [TopicPartition(str(b.retry(t)), partition) for b in bases for t in tiers.names]
        starts = {tp: committed.get(tp) or 0 for tp in tier_tps}
        for record in await _read(reader, starts):
            base, tier = processor.classify(record.topic)
            state.park_in_tier(str(base), record.key, tier or 0, "restored")
        routed = TopicPartition(processor.routed_topic, partition)
        since = int((time.time() - dedup_window_s) * 1000)
        found = await reader.offsets_for_times({routed: since})
        start = found[routed].offset if found.get(routed) else None
        if start is not None:
            for record in await _read(reader, {routed: start}):
                if record.key:
                    state.mark_routed(record.key.decode(), record.timestamp / 1000)
    finally:
        await reader.stop()
    return state


async def _read(
    reader: AIOKafkaConsumer, starts: Mapping[TopicPartition, int]
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record of ``starts`` from its offset to the current end."""
    if not starts:
        return []
    tps = list(starts)
    reader.assign(tps)
    ends = await reader.end_offsets(tps)
    pending = {tp for tp in tps if ends[tp] > starts[tp]}
    for tp in tps:
        reader.seek(tp, starts[tp])
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with asyncio.timeout(120):
        while pending:
            batch = await reader.getmany(*pending, timeout_ms=500)
            for tp, found in batch.items():
                records.extend(r for r in found if r.offset < ends[tp])
            for tp in list(pending):
                if await reader.position(tp) >= ends[tp]:
                    pending.discard(tp)
    return records
