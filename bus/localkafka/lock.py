"""The lock that serialises one local cluster's starts and stops."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator

from bus.localkafka.layout import ClusterPaths

_POLL_S = 0.1  # how often a start or stop waiting for the cluster's lock tries again


@contextlib.asynccontextmanager
async def exclusive(paths: ClusterPaths) -> AsyncIterator[None]:
    """Serialise start/stop of one cluster across processes and tasks (the kernel frees the
    lock when its holder dies). Waiting never blocks the event loop: a stop waiting in the
    same process as the start that holds the lock lets that start finish (a blocking flock
    froze both), and a cancelled wait leaves no lock behind."""
    with paths.lock_file.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
