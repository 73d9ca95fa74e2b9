"""Asks a broker for metadata: the readiness test of a local cluster."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from bus.kafka.factory import new_client
from bus.kafka.security import PLAINTEXT, KafkaSecurity


async def port_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (TimeoutError, OSError):
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def broker_answers_metadata(
    bootstrap: str, timeout_s: float = 5.0, *, security: KafkaSecurity | None = None
) -> bool:
    """True when the broker at ``bootstrap`` answers a metadata request listing itself."""
    host, _, port = bootstrap.rpartition(":")
    if not await port_open(host, int(port)):
        return False
    client = new_client(bootstrap, security or PLAINTEXT, request_timeout_ms=int(timeout_s * 1000))
    # A broker still starting refuses requests; aiokafka logs each refusal as an error.
    aiokafka_log = logging.getLogger("aiokafka")
    previous = aiokafka_log.level
    aiokafka_log.setLevel(logging.CRITICAL)
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_s)
        return len(client.cluster.brokers()) > 0
    except (TimeoutError, KafkaError, OSError):
        return False
    finally:
        aiokafka_log.setLevel(previous)
        await client.close()
