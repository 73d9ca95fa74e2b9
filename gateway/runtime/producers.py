"""One transactional producer per partition number.

The gateway's topics share partition numbers and the group uses the range assignor, so one
process owns partition ``p`` of every topic at once. Its producer's transactional id names
``p``: when ``p`` moves to another process, that process's ``init_transactions`` fences the
old owner, whose unfinished transaction is then aborted. This is how consume-transform-produce
stays exactly-once across rebalances with a client whose offset commits do not carry the
group generation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaProducer

from bus.kafka.factory import new_transactional_producer
from bus.kafka.security import KafkaSecurity

_RETRY_BACKOFF_MS = 20
log = structlog.get_logger("lgsp.gateway")


class PartitionProducers:
    """Transactional producers keyed by partition number."""

    def __init__(
        self, bootstrap: str, transactional_prefix: str, *, security: KafkaSecurity
    ) -> None:
        self._security = security
        self._bootstrap = bootstrap
        self._prefix = transactional_prefix
        self._producers: dict[int, AIOKafkaProducer] = {}

    def get(self, partition: int) -> AIOKafkaProducer:
        return self._producers[partition]

    def owned(self) -> set[int]:
        return set(self._producers)

    async def open(self, partitions: Iterable[int]) -> None:
        """Start (and so fence any older owner of) each partition's producer."""
        new = [p for p in partitions if p not in self._producers]

        async def start(partition: int) -> None:
            producer = new_transactional_producer(
                self._bootstrap,
                self._security,
                f"{self._prefix}-{partition}",
                linger_ms=5,
                max_batch_size=256 * 1024,
                # A transaction that begins while the broker still writes the last one's
                # markers gets CONCURRENT_TRANSACTIONS and is retried after this back-off
                # (KAFKA-5477); the default 100 ms was a third of a busy partition's time.
                retry_backoff_ms=_RETRY_BACKOFF_MS,
            )
            await producer.start()
            self._producers[partition] = producer

        await asyncio.gather(*(start(p) for p in new))

    async def close(
        self, partitions: Iterable[int] | None = None, *, grace_s: float | None = None
    ) -> None:
        """Stop producers (all, or those of ``partitions``). A producer flushes what it holds
        first; with ``grace_s``, one that cannot (its broker gone or not answering) is left to
        the process's end instead of holding the caller up."""
        chosen = (
            list(self._producers)
            if partitions is None
            else [p for p in partitions if p in self._producers]
        )
        stops = [asyncio.create_task(self._producers.pop(p).stop()) for p in chosen]
        if not stops:
            return
        done, late = await asyncio.wait(stops, timeout=grace_s)
        for task in done:
            task.exception()  # retrieved: a producer that failed to stop is stopped enough
        if late:
            log.warning("producers_not_stopped_in_time", count=len(late), grace_s=grace_s)
