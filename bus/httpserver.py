"""Serve an ASGI app (admin APIs, webhooks) with uvicorn inside the process's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


class _EmbeddedServer(uvicorn.Server):
    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's serve() takes over SIGINT/SIGTERM; the process owning the loop handles those.
        await self._serve(sockets)


@contextlib.asynccontextmanager
async def http_server(app: Any, host: str, port: int) -> AsyncIterator[uvicorn.Server]:
    """Serve ``app`` on host:port for the duration of the block."""
    server = _EmbeddedServer(
        uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    # uvicorn offers no start-up event to await, only the flag
    while not server.started and not task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    if task.done():
        task.result()  # raises the start-up error (port in use...)
    try:
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task


def bound_port(server: uvicorn.Server) -> int:
    """The port a server started with port 0 listens on."""
    return int(server.servers[0].sockets[0].getsockname()[1])
