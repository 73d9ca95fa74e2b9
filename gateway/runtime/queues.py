"""Records queued per partition number, one transaction in flight per partition number.

A partition number's records are routed in one transaction at a time, in offset order. While
one is committing (a few broker round trips), the consume loop keeps fetching, and the other
partition numbers keep routing: the process works while it would otherwise wait on the broker.
Whatever arrives for a partition number while its transaction commits is queued and routed in
its next transaction, so transactions grow with the load and stay small when it is light.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
log = structlog.get_logger("lgsp.gateway")


class PartitionQueues:
    """Queue batches per partition number and run ``process`` on them one at a time each."""

    def __init__(
        self,
        process: Callable[[int, Batch], Coroutine[Any, Any, None]],
        accepts: Callable[[int], bool],
        max_queued: int,
    ) -> None:
        self._process = process
        self._accepts = accepts  # the partition number is owned and its state restored
        self._max_queued = max_queued
        self._queued: dict[int, Batch] = {}
        self._running: dict[int, asyncio.Task[None]] = {}
        self._held: set[int] = set()
        self._closed = False

    def add(self, partition: int, batch: Batch) -> None:
        """Queue records fetched for a partition number (in the order they were fetched)."""
        if partition in self._held or not self._accepts(partition):
            return
        queued = self._queued.setdefault(partition, {})
        for tp, records in batch.items():
            queued.setdefault(tp, []).extend(records)
        self._start(partition)

    def queued(self) -> int:
        return sum(len(r) for batch in self._queued.values() for r in batch.values())

    def drop(self, partition: int, tp: TopicPartition | None = None) -> None:
        """Forget queued records of a partition number (or of one of its topic partitions):
        the consumer was moved back and will fetch them again."""
        if tp is None:
            self._queued.pop(partition, None)
        else:
            self._queued.get(partition, {}).pop(tp, None)

    async def room(self) -> None:
        """Wait while more records are queued than allowed (the loop stops fetching)."""
        while self.queued() >= self._max_queued and self._running:
            await asyncio.wait(list(self._running.values()), return_when=asyncio.FIRST_COMPLETED)

    def hold(self, partitions: Iterable[int]) -> None:
        """Accept nothing more for these partition numbers (they are being revoked)."""
        for partition in partitions:
            self._held.add(partition)
            self.drop(partition)

    def held(self, partition: int) -> bool:
        return partition in self._held

    def release(self, partitions: Iterable[int]) -> None:
        self._held.difference_update(partitions)

    async def settle(self, partitions: Iterable[int] | None = None) -> None:
        """Wait until the transactions in flight (of these partition numbers) have ended."""
        chosen = self._running if partitions is None else set(partitions)
        tasks = [t for p, t in list(self._running.items()) if p in chosen]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self, grace_s: float) -> None:
        """Start nothing more, forget what is queued, give what is in flight ``grace_s`` to
        commit, then cancel it: an open transaction is aborted by the broker or fenced by the
        next owner, so nothing is lost or duplicated (as after a kill)."""
        self._closed = True
        self._queued.clear()
        running = list(self._running.values())
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _start(self, partition: int) -> None:
        if self._closed or partition in self._running or partition in self._held:
            return
        batch = self._queued.pop(partition, None)
        if not batch or not self._accepts(partition):
            return
        task = asyncio.create_task(self._process(partition, batch))
        self._running[partition] = task
        task.add_done_callback(lambda done: self._finished(partition, done))

    def _finished(self, partition: int, task: asyncio.Task[None]) -> None:
        self._running.pop(partition, None)
        if not task.cancelled() and task.exception() is not None:
            # ``process`` handles its own failures; one escaping is a bug: said, not hidden
            log.error(
                "partition_processing_failed", partition=partition, error=repr(task.exception())
            )
        self._start(partition)
