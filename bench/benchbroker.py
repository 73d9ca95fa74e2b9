"""The broker a benchmark measures against: LGSP_BOOTSTRAP_SERVERS if set, else a local
cluster "bench" started empty (no topics of earlier runs) and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from bus.localkafka import local_cluster, stop_cluster
from bus.settings import Settings


def bench_settings() -> Settings:
    """The settings a benchmark runs with: brokers with the JVM's full tiered JIT (the steady
    state of a long-running broker; the launcher's default compiles with C1 only, for small
    hosts), unless LGSP_KAFKA_QUICK_JIT is set."""
    if "LGSP_KAFKA_QUICK_JIT" in os.environ:
        return Settings()
    return Settings(kafka_quick_jit=False)


@contextlib.asynccontextmanager
async def bench_broker(settings: Settings) -> AsyncIterator[str]:
    """Yield the bootstrap address of the broker to measure against."""
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    await stop_cluster(settings, "bench", purge=True)
    async with local_cluster(settings, "bench") as cluster:
        yield cluster.bootstrap_servers or ""
