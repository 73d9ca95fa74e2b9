"""A local Kafka cluster of one test module alone, for tests that stop, kill or freeze its
brokers without disturbing any other test."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator

from bus.localkafka import start_cluster, stop_cluster
from bus.settings import Settings


@contextlib.contextmanager
def private_cluster(prefix: str, settings: Settings, brokers: int = 1) -> Iterator[tuple[str, str]]:
    """(name, bootstrap) of a new cluster named ``prefix-<random>``; purged when the block ends."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    status = asyncio.run(start_cluster(settings, name, brokers=brokers))
    assert status.bootstrap_servers and len(status.brokers) == brokers
    try:
        yield name, status.bootstrap_servers
    finally:
        asyncio.run(stop_cluster(settings, name, purge=True))
