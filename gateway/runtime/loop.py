"""The consume loop: fetch what the consumer has, hand each partition number's records to its
queue, and stop fetching while the queues are full. Deciding and producing happen in the
partition numbers' transactions (``gateway.runtime.transaction``), not here."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from aiokafka import AIOKafkaConsumer

from gateway.metrics import GatewayMetrics
from gateway.runtime.ownership import STOP_GRACE_S, PartitionOwner
from gateway.runtime.queues import Batch, PartitionQueues

_PRUNE_EVERY_S = 10.0


class ConsumeLoop:
    """Fetches and dispatches until ``stopping`` is set."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        queues: PartitionQueues,
        owner: PartitionOwner,
        metrics: GatewayMetrics,
        *,
        max_batch: int,
    ) -> None:
        self._consumer = consumer
        self._queues = queues
        self._owner = owner
        self._metrics = metrics
        self._max_batch = max_batch

    async def run(self, stopping: asyncio.Event) -> None:
        """Consume until ``stopping``; the transactions in flight end before it returns."""
        last_prune = time.monotonic()
        try:
            while not stopping.is_set():
                await self._queues.room()
                fetched = await self._consumer.getmany(timeout_ms=200, max_records=self._max_batch)
                by_number: dict[int, Batch] = defaultdict(dict)
                for tp, records in fetched.items():
                    by_number[tp.partition][tp] = records
                for partition, records_of in by_number.items():
                    self._queues.add(partition, records_of)
                if time.monotonic() - last_prune > _PRUNE_EVERY_S:
                    held = self._owner.prune(time.time())
                    self._metrics.held_keys.labels(self._metrics.node).set(held)
                    last_prune = time.monotonic()
        finally:
            await self._queues.close(STOP_GRACE_S)
