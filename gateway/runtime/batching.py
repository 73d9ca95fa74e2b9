"""Build the transaction's output into record batches directly.

``AIOKafkaProducer.send`` costs tens of microseconds of Python per record (metadata wait,
serialisation, partitioner, accumulator). The gateway appends to one ``BatchBuilder`` per
destination partition instead and hands over whole batches, which is what lets it keep up
with a bare passthrough. A keyed record keeps its source partition number when the
destination has as many partitions as the source (so a key's order is kept without hashing);
otherwise it is placed by the Java client's murmur2 partitioner, as any producer would.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from gateway.routing.records import Output


class TransactionBatches:
    """Outputs of one transaction, grouped into record batches per topic partition."""

    def __init__(
        self, producer: AIOKafkaProducer, partition_counts: dict[str, int], source_count: int
    ) -> None:
        self._producer = producer
        self._counts = partition_counts  # shared cache: topic -> number of partitions
        self._source_count = source_count
        self._builders: dict[tuple[str, int], Any] = {}
        self._futures: list[asyncio.Future[Any]] = []

    def add_now(self, output: Output, source_partition: int) -> bool:
        """Append ``output`` without waiting, if that is all it takes (its topic's partition
        count known, room in its batch); False when ``add`` must do it. The gateway appends
        every record it routes: this spares it a coroutine per record."""
        partition = output.partition
        if partition is None:
            count = self._counts.get(output.topic)
            if count is None:
                return False
            partition = self._place(output, count, source_partition)
        builder = self._builders.get((output.topic, partition))
        if builder is None:
            return False
        return (
            builder.append(
                timestamp=None, key=output.key, value=output.value, headers=list(output.headers)
            )
            is not None
        )

    async def add(self, output: Output, source_partition: int) -> None:
        partition = output.partition
        if partition is None:
            count = self._counts.get(output.topic)
            if count is None:
                count = self._counts[output.topic] = len(
                    await self._producer.partitions_for(output.topic)
                )
            partition = self._place(output, count, source_partition)
        key = (output.topic, partition)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = self._producer.create_batch()
        headers = list(output.headers)
        if (
            builder.append(timestamp=None, key=output.key, value=output.value, headers=headers)
            is None
        ):
            await self._submit(key)
            builder = self._builders[key] = self._producer.create_batch()
            builder.append(timestamp=None, key=output.key, value=output.value, headers=headers)

    def _place(self, output: Output, count: int, source_partition: int) -> int:
        if count == self._source_count:
            return source_partition
        if output.key is not None:
            hashed: int = murmur2(output.key)
            return (hashed & 0x7FFFFFFF) % count
        return source_partition % count

    async def _submit(self, key: tuple[str, int]) -> None:
        builder = self._builders.pop(key)
        self._futures.append(await self._producer.send_batch(builder, key[0], partition=key[1]))

    async def submit(self) -> asyncio.Future[list[Any]]:
        """Submit every open batch; the returned future is done when all are acknowledged (or
        fails with the first error), so a caller can keep working meanwhile (a link's window)."""
        for key in list(self._builders):
            await self._submit(key)
        return asyncio.gather(*self._futures)

    async def flush(self) -> None:
        """Submit every open batch and wait until all are acknowledged (raising the first error)."""
        for key in list(self._builders):
            await self._submit(key)
        results = await asyncio.gather(*self._futures, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
