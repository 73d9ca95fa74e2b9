"""Which partition numbers a gateway process owns, and how it takes one over, gives one up,
or rebuilds one after an aborted transaction.

Taking over fences the former owner first (opening the partition number's transactional
producer), then restores the partition's state from the committed log and positions the
consumer at the committed offsets, all while the partitions are paused. Giving up waits for
the transaction in flight. A rebuild after an abort does the same as a take-over, retried
with back-off while the cluster is unreachable.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from aiokafka import TopicPartition

from gateway.routing.partition_state import PartitionState
from gateway.runtime.restore import restore_partitions

if TYPE_CHECKING:
    from gateway.runtime.gateway import Gateway

log = structlog.get_logger("lgsp.gateway")
STOP_GRACE_S = 5.0  # for a transaction in flight, and for each producer, when stopping


class PartitionOwnership:
    """The rebalance callbacks and the rebuild of one gateway process."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    async def rebuild(self, partition: int) -> None:
        """After an abort: a fresh producer, back to the committed offsets, state rebuilt.

        The producer is replaced because some failures (out-of-order sequence, a fenced epoch)
        leave it unable to run another transaction; a new one re-initialises cleanly. Records
        queued for this partition number are dropped: they are fetched again. While the
        cluster is unreachable the rebuild fails; it is tried again (with back-off) until it
        succeeds, the partitions are revoked or the gateway stops, and only then resumed.
        """
        gw = self._gateway
        if partition not in gw.states:
            return
        tps = self._assigned(partition)
        gw.consumer.pause(*tps)  # nothing more of it is fetched until it is rebuilt
        gw.pipeline.drop(partition)
        delay = 0.5
        while not (gw.stopping.is_set() or gw.pipeline.held(partition)):
            try:
                await gw.producers.close([partition], grace_s=STOP_GRACE_S)
                await gw.producers.open([partition])
                committed = {tp: await gw.consumer.committed(tp) for tp in tps}
                await self._seek_committed(committed)
                gw.states.update(await self._restore([partition], committed))
                break
            except Exception as error:  # the cluster is away: try again, paused meanwhile
                log.warning(
                    "partition_rebuild_failed",
                    node=gw.config.node,
                    partition=partition,
                    error=repr(error),
                    retry_in_s=delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        gw.consumer.resume(*(tp for tp in tps if tp in gw.consumer.assignment()))

    async def _seek_committed(self, committed: dict[TopicPartition, int | None]) -> None:
        """Position partitions at their committed offsets (the beginning when there is none)."""
        gw = self._gateway
        for tp, offset in committed.items():
            if offset is None:
                await gw.consumer.seek_to_beginning(tp)
                gw.positions.pop(tp, None)
            else:
                gw.consumer.seek(tp, offset)
                gw.positions[tp] = offset

    def _assigned(self, partition: int) -> list[TopicPartition]:
        gw = self._gateway
        return [tp for tp in gw.consumer.assignment() if tp.partition == partition]

    async def _restore(
        self, numbers: list[int], committed: dict[TopicPartition, int | None]
    ) -> dict[int, PartitionState]:
        gw = self._gateway
        return await restore_partitions(
            gw.bootstrap,
            numbers,
            gw.main_topics(),
            gw.tiers,
            gw.processor,
            committed,
            gw.window_s,
            security=gw.security,
        )

    async def on_assigned(self, assigned: set[TopicPartition]) -> None:
        gw = self._gateway
        numbers = sorted({tp.partition for tp in assigned})
        # aiokafka fetches while this callback runs: hold the partitions until their state is back.
        gw.consumer.pause(*assigned)
        # Fence first: opening a partition's producer aborts a former owner's open transaction,
        # so the state restored next reads only what was really committed.
        await gw.producers.open(numbers)
        committed = {tp: await gw.consumer.committed(tp) for tp in assigned}
        states = await self._restore(numbers, committed)
        await self._seek_committed(committed)
        gw.states.update(states)
        gw.consumer.resume(*assigned)
        gw.metrics.partitions.labels(gw.config.node).set(len(numbers))
        gw.ready.set()
        log.info("partitions_assigned", node=gw.config.node, partitions=numbers)

    async def on_revoked(self, revoked: set[TopicPartition]) -> None:
        gw = self._gateway
        numbers = {tp.partition for tp in revoked}
        gw.pipeline.hold(numbers)  # nothing new starts; what is queued is dropped
        try:
            await gw.pipeline.settle(numbers)  # the transactions in flight end first
            await gw.producers.close(numbers, grace_s=STOP_GRACE_S)
            for number in numbers:
                gw.states.pop(number, None)
        finally:
            gw.pipeline.release(numbers)
        log.info("partitions_revoked", node=gw.config.node, partitions=sorted(numbers))
