"""The bus's producer and consumer settings against the real broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from aiokafka.structs import ConsumerRecord

from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from tests.conftest import NewTopic

RECORDS = 10_000
KEYS = 97


async def _consume(bootstrap: str, topic: str, expected: int) -> list[ConsumerRecord[bytes, bytes]]:
    received: list[ConsumerRecord[bytes, bytes]] = []
    async with kafka_consumer(bootstrap, topic, group_id=f"g-{topic}") as consumer:
        async with asyncio.timeout(60):
            while len(received) < expected:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    received.extend(records)
                await consumer.commit()
    return received


async def test_ten_thousand_records_come_back_complete_and_in_order_per_partition(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """10,000 keyed records published with idempotence and acks=all are all read back, each
    partition in offset order and each key's records in the order they were sent."""
    topic = await new_topic(partitions=4)
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        futures = [
            await publisher.enqueue(
                OutgoingRecord(
                    topic=topic,
                    key=f"dossier-{i % KEYS}".encode(),
                    value=f"{i}".encode(),
                )
            )
            for i in range(RECORDS)
        ]
        acked = await asyncio.gather(*futures)
    assert len(acked) == RECORDS

    received = await _consume(kafka_bootstrap, topic, RECORDS)

    assert len(received) == RECORDS
    assert sorted(int(r.value) for r in received) == list(range(RECORDS))
    by_partition: dict[int, list[int]] = defaultdict(list)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in received:
        by_partition[record.partition].append(record.offset)
        assert record.key is not None
        by_key[record.key].append(int(record.value))
    assert len(by_partition) == 4
    for offsets in by_partition.values():
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    for sequence in by_key.values():
        assert sequence == sorted(sequence)
    assert len(by_key) == KEYS


async def test_records_of_one_key_land_on_one_partition(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """Every record of a business key goes to the same partition, so its events stay ordered."""
    topic = await new_topic(partitions=6)
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        partitions = {
            (
                await publisher.publish(
                    OutgoingRecord(topic=topic, key=b"H29-dossier-1", value=b"x")
                )
            ).partition
            for _ in range(20)
        }
    assert len(partitions) == 1
