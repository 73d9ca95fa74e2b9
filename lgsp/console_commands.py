"""``lgsp console --config console.yaml``: the node's operator console (docs/console.md)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import structlog
import typer

from bus.logging import configure_logging
from bus.settings import Settings
from lgsp.console.config import ConsoleConfig, load_console_config
from lgsp.console.server import running_console

log = structlog.get_logger("lgsp.console")


def console_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="The console's file.")],
) -> None:
    """Serve the operator console until SIGTERM or Ctrl-C; users log in with admin tokens."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    console_config = load_console_config(config)
    asyncio.run(_serve(console_config, settings))


async def _serve(config: ConsoleConfig, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with running_console(
        config, settings.admin_tokens, settings.bootstrap_servers, settings.kafka_security()
    ) as (ctx, _):
        log.info(
            "console_started",
            node=ctx.node_name,
            url=f"http://{config.listen.host}:{config.listen.port}/",
            tokens=len(settings.admin_tokens),
        )
        await stop.wait()
