"""How long a broker's loss holds traffic: a probe partition led by the broker about to die,
written with acks=all until a write succeeds again on its new leader."""

from __future__ import annotations

import time

from aiokafka.errors import KafkaError

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.security import KafkaSecurity
from lgsp.deployed.inspection import describe

PROBE_TOPIC = "probe.failover"  # not lgsp.*: no node reads it


async def probe_partition(bootstrap: str, security: KafkaSecurity, broker_id: int) -> int | None:
    """A partition of the probe topic that ``broker_id`` leads now (None: none does)."""
    await ensure_topics(bootstrap, [TopicSpec(PROBE_TOPIC, 6)], security=security)
    for topic in await describe(bootstrap, security, [PROBE_TOPIC]):
        for partition in topic["partitions"]:
            if int(partition["leader"]) == broker_id:
                return int(partition["partition"])
    return None


async def held_for_s(
    bootstrap: str, security: KafkaSecurity, partition: int, since: float, timeout_s: float
) -> float:
    """Seconds from ``since`` (monotonic: the kill) until an acks=all write to ``partition``
    succeeds; ``timeout_s`` when none does by then."""
    async with KafkaPublisher(bootstrap, security=security, request_timeout_ms=5_000) as probe:
        while time.monotonic() - since < timeout_s:
            record = OutgoingRecord(PROBE_TOPIC, b"probe", b"probe", partition=partition)
            try:
                await probe.publish(record)
            except KafkaError:
                continue
            return time.monotonic() - since
    return timeout_s
