"""The partition numbers a gateway process owns: their state, their positions, their
producers, and the consumer's pause, seek and resume of them.

Taking one over fences the former owner first (opening the partition number's transactional
producer), then restores the partition's state from the committed log and positions the
consumer at the committed offsets, all while the partitions are paused. Giving one up waits
for the transaction in flight. A rebuild after an aborted transaction does the same as a
take-over, retried with back-off while the cluster is unreachable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.backoff import Backoff
from gateway.metrics import GatewayMetrics
from gateway.routing.partition_state import PartitionState
from gateway.runtime.producers import PartitionProducers
from gateway.runtime.queues import PartitionQueues
from gateway.runtime.transaction import TransactionResult

log = structlog.get_logger("lgsp.gateway")
STOP_GRACE_S = 5.0  # for a transaction in flight, and for each producer, when stopping

Committed = Mapping[TopicPartition, int | None]
Restore = Callable[[list[int], Committed], Awaitable[dict[int, PartitionState]]]


class PartitionOwner:
    """The partitions one gateway process owns; the consumer's rebalance callbacks land here."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producers: PartitionProducers,
        queues: PartitionQueues,
        restore: Restore,
        metrics: GatewayMetrics,
        stopping: asyncio.Event,
    ) -> None:
        self._consumer = consumer
        self._producers = producers
        self._queues = queues
        self._restore = restore
        self._metrics = metrics
        self._stopping = stopping
        self.states: dict[int, PartitionState] = {}
        self.positions: dict[TopicPartition, int] = {}  # next offset to route, for lag
        self.ready = asyncio.Event()  # set once partitions were first taken over

    def owns(self, partition: int) -> bool:
        """The partition number is owned and its state restored."""
        return partition in self.states

    def owned(self) -> set[int]:
        """Partition numbers whose producer is open."""
        return self._producers.owned()

    def restoring(self) -> set[int]:
        """Partition numbers assigned whose state is not restored yet."""
        return {tp.partition for tp in self._consumer.assignment()} - set(self.states)

    def state(self, partition: int) -> PartitionState:
        return self.states[partition]

    def producer(self, partition: int) -> AIOKafkaProducer:
        return self._producers.get(partition)

    def prune(self, now: float) -> int:
        """Forget what the dedup window no longer covers; the keys still held."""
        for state in self.states.values():
            state.prune(now)
        return sum(len(s.holds) for s in self.states.values())

    async def settled(self, partition: int, result: TransactionResult) -> None:
        """After a partition number's transaction: move on, hold what is not due, or rebuild."""
        if not result.committed:
            await self.rebuild(partition)
            return
        self.positions.update(result.offsets)
        for tp, offset, due_at in result.waiting:
            self._pause_until(tp, offset, due_at)
            self._queues.drop(partition, tp)  # fetched again when it is due

    async def rebuild(self, partition: int) -> None:
        """After an abort: a fresh producer, back to the committed offsets, state rebuilt.

        The producer is replaced because some failures (out-of-order sequence, a fenced epoch)
        leave it unable to run another transaction; a new one re-initialises cleanly. Records
        queued for this partition number are dropped: they are fetched again. While the
        cluster is unreachable the rebuild fails; it is tried again (with back-off) until it
        succeeds, the partitions are revoked or the gateway stops, and only then resumed.
        """
        if partition not in self.states:
            return
        tps = [tp for tp in self._consumer.assignment() if tp.partition == partition]
        self._consumer.pause(*tps)  # nothing more of it is fetched until it is rebuilt
        self._queues.drop(partition)
        backoff = Backoff(first_s=0.5, max_s=10.0)
        while not (self._stopping.is_set() or self._queues.held(partition)):
            try:
                await self._producers.close([partition], grace_s=STOP_GRACE_S)
                await self._producers.open([partition])
                committed = {tp: await self._consumer.committed(tp) for tp in tps}
                await self._seek_committed(committed)
                self.states.update(await self._restore([partition], committed))
                break
            except Exception as error:  # the cluster is away: try again, paused meanwhile
                delay = backoff.next()
                log.warning(
                    "partition_rebuild_failed",
                    node=self._metrics.node,
                    partition=partition,
                    error=repr(error),
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
        self._consumer.resume(*(tp for tp in tps if tp in self._consumer.assignment()))

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        numbers = sorted({tp.partition for tp in assigned})
        # aiokafka fetches while this callback runs: hold the partitions until their state is back.
        self._consumer.pause(*assigned)
        # Fence first: opening a partition's producer aborts a former owner's open transaction,
        # so the state restored next reads only what was really committed.
        await self._producers.open(numbers)
        committed = {tp: await self._consumer.committed(tp) for tp in assigned}
        states = await self._restore(numbers, committed)
        await self._seek_committed(committed)
        self.states.update(states)
        self._consumer.resume(*assigned)
        self._metrics.partitions.labels(self._metrics.node).set(len(numbers))
        self.ready.set()
        log.info("partitions_assigned", node=self._metrics.node, partitions=numbers)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        numbers = {tp.partition for tp in revoked}
        self._queues.hold(numbers)  # nothing new starts; what is queued is dropped
        try:
            await self._queues.settle(numbers)  # the transactions in flight end first
            await self._producers.close(numbers, grace_s=STOP_GRACE_S)
            for number in numbers:
                self.states.pop(number, None)
            for tp in revoked:
                self.positions.pop(tp, None)
        finally:
            self._queues.release(numbers)
        log.info("partitions_revoked", node=self._metrics.node, partitions=sorted(numbers))

    async def _seek_committed(self, committed: Committed) -> None:
        """Position partitions at their committed offsets (the beginning when there is none)."""
        for tp, offset in committed.items():
            if offset is None:
                await self._consumer.seek_to_beginning(tp)
                self.positions.pop(tp, None)
            else:
                self._consumer.seek(tp, offset)
                self.positions[tp] = offset

    def _pause_until(self, tp: TopicPartition, offset: int, due_at: float) -> None:
        """Hold a retry tier partition until its head record is due (non-blocking retries)."""
        self._consumer.seek(tp, offset)
        self._consumer.pause(tp)
        asyncio.get_running_loop().call_later(max(0.0, due_at - time.time()), self._resume, tp)

    def _resume(self, tp: TopicPartition) -> None:
        if tp in self._consumer.assignment():
            self._consumer.resume(tp)
