"""Consumers with manual commits: offsets move only after the records were processed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer

from bus.kafka.factory import new_consumer
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from bus.kafka.stopping import stop_client


@contextlib.asynccontextmanager
async def kafka_consumer(
    bootstrap_servers: str,
    *topics: str,
    group_id: str | None,
    client_id: str = "lgsp",
    auto_offset_reset: str = "earliest",
    isolation_level: str = "read_committed",
    max_poll_records: int = 500,
    fetch_max_wait_ms: int = 100,
    security: KafkaSecurity | None = None,
) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer that never auto-commits; it is stopped when the block ends.

    ``read_committed`` hides records of aborted gateway transactions from every reader. The
    broker does not wake a read_committed fetch when a transaction commits, so such a fetch
    waits up to ``fetch_max_wait_ms``: kept short, it bounds the latency that adds.
    """
    consumer = new_consumer(
        bootstrap_servers,
        security or PLAINTEXT,
        *topics,
        client_id=client_id,
        group_id=group_id,
        auto_offset_reset=auto_offset_reset,
        isolation_level=isolation_level,
        max_poll_records=max_poll_records,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await stop_client(consumer, f"consumer {group_id or client_id}")
