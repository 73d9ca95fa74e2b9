"""Run the console: its parts and its HTTP server, for the duration of an ``async with``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import uvicorn

from bus.adminauth import AdminToken
from bus.httpserver import http_server
from bus.kafka.security import KafkaSecurity
from lgsp.console.app import console_app
from lgsp.console.config import ConsoleConfig
from lgsp.console.context import ConsoleContext, console_context


@contextlib.asynccontextmanager
async def running_console(
    config: ConsoleConfig,
    tokens: Sequence[AdminToken],
    bootstrap: str | None = None,
    security: KafkaSecurity | None = None,
) -> AsyncIterator[tuple[ConsoleContext, uvicorn.Server]]:
    async with console_context(config, tokens, bootstrap, security) as ctx:
        app = console_app(ctx)
        async with http_server(app, config.listen.host, config.listen.port) as server:
            yield ctx, server
