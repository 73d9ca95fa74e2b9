"""Hands aiokafka's rebalance callbacks to the partition owner of a gateway process."""

from __future__ import annotations

from typing import Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition


class RebalanceHandler(Protocol):
    async def on_assigned(self, assigned: set[TopicPartition]) -> None: ...

    async def on_revoked(self, revoked: set[TopicPartition]) -> None: ...


class RebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: RebalanceHandler) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._owner.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._owner.on_assigned(assigned)
