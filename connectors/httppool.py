"""HTTP connections to one target, spread over several httpx clients.

One httpx pool slows down sharply with more than a few connections in it: each request it
queues is scanned on every connection release (seen with py-spy: the demo spent half its CPU
there). ``HttpPool`` keeps ``max_connections`` as shards of at most ``SHARD_CONNECTIONS``
each, hands every request to the shard with the fewest requests in flight, and makes callers
wait for a free connection in a semaphore before they reach httpx, never inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import httpx

SHARD_CONNECTIONS = 8


class HttpPool:
    """``async with HttpPool(...) as pool: await pool.post(url, body, headers)``."""

    def __init__(
        self, max_connections: int, timeout_s: float, headers: Mapping[str, str] | None = None
    ) -> None:
        shards = max(1, -(-max_connections // SHARD_CONNECTIONS))
        sizes = [max_connections // shards + (i < max_connections % shards) for i in range(shards)]
        self._clients = [
            httpx.AsyncClient(
                headers=dict(headers or {}),
                timeout=timeout_s,
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            )
            for size in sizes
        ]
        self._in_flight = [0] * shards
        self._free = asyncio.Semaphore(max_connections)

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *_: object) -> None:
        async with contextlib.AsyncExitStack() as stack:
            for client in self._clients:
                stack.push_async_callback(client.aclose)

    @contextlib.asynccontextmanager
    async def _shard(self) -> AsyncIterator[httpx.AsyncClient]:
        async with self._free:
            shard = min(range(len(self._clients)), key=self._in_flight.__getitem__)
            self._in_flight[shard] += 1
            try:
                yield self._clients[shard]
            finally:
                self._in_flight[shard] -= 1

    async def post(self, url: str, content: bytes, headers: Mapping[str, str]) -> httpx.Response:
        async with self._shard() as client:
            return await client.post(url, content=content, headers=headers)
