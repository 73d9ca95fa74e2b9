"""``lgsp gateway run --config node.yaml``: run one gateway process of a node."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Annotated

import structlog
import typer

from bus.eventloop import run_service
from bus.gctuning import tune_gc
from bus.logging import configure_logging
from bus.settings import Settings
from bus.yamlconfig import ConfigError
from gateway.config import GatewayConfig, load_gateway_config
from gateway.runner import run_gateway
from gateway.runtime.gateway import Gateway
from lgsp.gateway_check import check_node
from lgsp.output import OutputFormat, OutputOption, emit_json, messages

app = typer.Typer(help="Run a node's gateway.", no_args_is_help=True)
log = structlog.get_logger("lgsp.gateway")


@app.command()
def run(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The node's gateway file (node.yaml).")
    ],
) -> None:
    """Route the node's records until SIGTERM or Ctrl-C; SIGHUP reloads the routing table."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    tune_gc()
    gateway_config = load_gateway_config(config)
    run_service(_serve(gateway_config, settings), use_uvloop=settings.uvloop)


@app.command()
def check(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The node's gateway file (node.yaml).")
    ],
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Check node.yaml, routes.yaml, the directory and the federation's keys and trust registry
    without starting anything; exit 1 listing each problem as file:line (like promtool check)."""
    result = check_node(config)
    for problem in result.problems:
        if output is OutputFormat.JSON:
            emit_json(problem.as_json())
        else:
            typer.echo(str(problem))
    if result.problems:
        messages.print(f"[bold red]FAILED[/]: {len(result.problems)} problem(s)", highlight=False)
        raise typer.Exit(1)
    messages.print(f"SUCCESS: {', '.join(result.checked)}", highlight=False)


async def _serve(config: GatewayConfig, settings: Settings) -> None:
    async with run_gateway(config, settings, environ=dict(os.environ)) as running:
        gateway = running.gateway
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, gateway.stop)
        loop.add_signal_handler(signal.SIGINT, gateway.stop)
        reloads: set[asyncio.Task[None]] = set()

        def reload_on_hup() -> None:
            task = asyncio.create_task(_reload(gateway))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, reload_on_hup)
        await asyncio.wait([running.task])  # until a signal stops it (or it fails)


async def _reload(gateway: Gateway) -> None:
    try:
        await gateway.reload()
    except ConfigError as error:
        log.error("routes_reload_rejected", code=error.code, problems=error.problems)
