"""A confluent-kafka (librdkafka) consume-produce passthrough: the gateway benchmark's peer.

librdkafka is the C client most Kafka tools and many bus products are built on. Its Python
binding is synchronous, so the passthrough runs in a process of its own (spawned: a fresh
interpreter, nothing shared with the measuring process) and reports its records/s back.

Same batch settings as the aiokafka baselines and the gateway (2,000 records a poll, 256 KiB
batches, linger 5 ms). ``plain``: acks=1, offsets committed per batch. ``transactional``: the
bus's delivery settings (read_committed, idempotent acks=all) and one transaction per batch
holding the copies and the consumed offsets, as the gateway does (without its routing).
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from typing import Literal

Mode = Literal["plain", "transactional"]
_BATCH = 2000


def _passthrough(
    bootstrap: str, source: str, target: str, expected: int, mode: Mode, out: object
) -> None:
    from confluent_kafka import Consumer, Producer  # only in the spawned process

    transactional = mode == "transactional"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"rdkafka-{uuid.uuid4().hex[:6]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed" if transactional else "read_uncommitted",
        }
    )
    producer_config: dict[str, object] = {
        "bootstrap.servers": bootstrap,
        "acks": "all" if transactional else "1",
        "enable.idempotence": transactional,
        "linger.ms": 5,
        "batch.size": 256 * 1024,
    }
    if transactional:
        producer_config["transactional.id"] = f"rdkafka-{uuid.uuid4().hex[:6]}"
    producer = Producer(producer_config)
    if transactional:
        producer.init_transactions()
    consumer.subscribe([source])
    began, moved = time.perf_counter(), 0
    while moved < expected:
        batch = [m for m in consumer.consume(num_messages=_BATCH, timeout=0.2) if not m.error()]
        if not batch:
            continue
        if transactional:
            producer.begin_transaction()
        for message in batch:
            while True:
                try:
                    producer.produce(
                        target, message.value(), message.key(), headers=message.headers()
                    )
                    break
                except BufferError:  # the local queue is full: let deliveries drain
                    producer.poll(0.01)
            producer.poll(0)
        if transactional:
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()), consumer.consumer_group_metadata()
            )
            producer.commit_transaction()
        else:
            producer.flush()
            consumer.commit(asynchronous=False)
        moved += len(batch)
    rate = expected / (time.perf_counter() - began)
    consumer.close()
    out.put(rate)  # type: ignore[attr-defined]


def librdkafka_passthrough(
    bootstrap: str, source: str, target: str, expected: int, mode: Mode
) -> float:
    """Records/s of a librdkafka passthrough of ``expected`` records from ``source``."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=_passthrough, args=(bootstrap, source, target, expected, mode, results)
    )
    process.start()
    try:
        rate: float = results.get(timeout=900)
        return rate
    finally:
        process.join(30)
        if process.is_alive():
            process.kill()
