"""The broker a benchmark measures against: LGSP_BOOTSTRAP_SERVERS if set, else a local
cluster "bench" started empty (no topics of earlier runs) and stopped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from bus.localkafka import local_cluster, stop_cluster
from bus.settings import Settings


@contextlib.asynccontextmanager
async def bench_broker(settings: Settings) -> AsyncIterator[str]:
    """Yield the bootstrap address of the broker to measure against."""
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    await stop_cluster(settings, "bench", purge=True)
    async with local_cluster(settings, "bench") as cluster:
        yield cluster.bootstrap_servers or ""
