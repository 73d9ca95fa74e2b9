"""The producer every connector and gateway publishes with: idempotent, acks=all, ordered."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

from aiokafka.structs import RecordMetadata

from bus.kafka.factory import new_producer
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from bus.kafka.stopping import stop_client

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingRecord:
    """One record to publish: topic, business key, Avro value and CloudEvents headers."""

    topic: str
    value: bytes
    key: bytes | None = None
    headers: Headers = field(default_factory=tuple)
    partition: int | None = None


class KafkaPublisher:
    """aiokafka producer with idempotence on and acks=all, used as ``async with``.

    Idempotence keeps per-partition order and drops broker-side duplicates when the producer
    retries, which is what lets a dossier's status events arrive in the order they were made.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "lgsp",
        linger_ms: int = 5,
        max_batch_bytes: int = 256 * 1024,
        request_timeout_ms: int = 30_000,
        security: KafkaSecurity | None = None,
    ) -> None:
        self._producer = new_producer(
            bootstrap_servers,
            security or PLAINTEXT,
            client_id=client_id,
            linger_ms=linger_ms,
            max_batch_size=max_batch_bytes,
            request_timeout_ms=request_timeout_ms,
        )

    async def __aenter__(self) -> KafkaPublisher:
        await self._producer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await stop_client(self._producer, "publisher")

    async def publish(self, record: OutgoingRecord) -> RecordMetadata:
        """Publish one record and wait until the broker acknowledged it."""
        return await (await self.enqueue(record))

    async def enqueue(self, record: OutgoingRecord) -> asyncio.Future[RecordMetadata]:
        """Hand one record to the batching producer; await the returned future for its ack.

        Use this to pipeline many records: enqueue them in order, then await the futures.
        """
        future: asyncio.Future[RecordMetadata] = await self._producer.send(
            record.topic,
            value=record.value,
            key=record.key,
            headers=list(record.headers),
            partition=record.partition,
        )
        return future

    async def flush(self) -> None:
        await self._producer.flush()
