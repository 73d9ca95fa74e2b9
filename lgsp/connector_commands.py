"""``lgsp connector run|check|new|hash-key``: run, validate and scaffold connectors."""

from __future__ import annotations

import asyncio
import secrets
import signal
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry

from bus.eventloop import run_service
from bus.gctuning import tune_gc
from bus.logging import configure_logging
from bus.settings import Settings
from connectors.config import ConnectorConfig
from connectors.parked import read_parked
from connectors.registry import load_connector_config
from connectors.runner import bootstrap_of, run_connector
from connectors.scaffold import Kind, scaffold
from connectors.webhook.config import hash_api_key
from lgsp.output import OutputFormat, OutputOption, emit_json, emit_rows
from lgsp.output import messages as console

app = typer.Typer(help="Run, check and scaffold connectors.", no_args_is_help=True)

ConfigArgument = Annotated[Path, typer.Argument(help="The connector file (connector.yaml).")]


@app.command()
def run(config: ConfigArgument) -> None:
    """Run the connector CONFIG describes until SIGTERM or Ctrl-C (then finish in-flight
    records, commit its position, and exit)."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    tune_gc()
    run_service(_serve(load_connector_config(config), settings), use_uvloop=settings.uvloop)


async def _serve(config: ConnectorConfig, settings: Settings) -> None:
    async with run_connector(config, settings, registry=CollectorRegistry()) as running:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, running.stop)
        loop.add_signal_handler(signal.SIGINT, running.stop)
        if running.port is not None:
            console.print(
                f"{config.name}: listening on http://{config_host(config)}:{running.port}"
            )
        await running.wait()


def config_host(config: ConnectorConfig) -> str:
    return str(getattr(config, "host", "127.0.0.1"))


@app.command()
def check(config: ConfigArgument) -> None:
    """Validate CONFIG: every problem with its line, or "ok"."""
    loaded = load_connector_config(config)
    console.print(f"ok: {loaded.kind} connector {loaded.name!r} on node {loaded.node}")


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Connector name, e.g. dms-inbox.")],
    kind: Annotated[Kind, typer.Option("--kind", help="source or sink.")],
    folder: Annotated[
        Path, typer.Option("--folder", help="Where to create the connector's folder.")
    ] = Path(),
) -> None:
    """Write a working connector NAME: its code, its config and a passing integration test."""
    written = scaffold(name, kind, folder)
    for path in written:
        typer.echo(str(path))
    console.print(
        f"run its test: cd {written[0].parent} && pytest; run it: lgsp connector run {written[1]}"
    )


@app.command()
def parked(
    config: ConfigArgument,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """List what the connector parked (its DLQ topic): code, reason, original position."""
    loaded = load_connector_config(config)
    records = asyncio.run(read_parked(bootstrap_of(loaded, Settings()), loaded.node, loaded.name))
    columns = ("offset", "ce_id", "type", "key", "code", "attempts", "original", "reason")
    emit_rows((r.as_json() for r in records), output, columns)
    console.print(f"{len(records)} parked record(s)")


@app.command("hash-key")
def hash_key(
    key: Annotated[
        str | None, typer.Argument(help="The API key (default: generate a new one).")
    ] = None,
    output: OutputOption = OutputFormat.TEXT,
) -> None:
    """Print an API key's SHA-256 for a webhook's ``agencies[].key_sha256`` (the config never
    holds keys). Without KEY, generate one and print it first: give it to the agency once."""
    generated = key is None
    key = key or secrets.token_urlsafe(32)
    if output is OutputFormat.JSON:
        emit_json({"key": key if generated else None, "key_sha256": hash_api_key(key)})
        return
    if generated:
        typer.echo(f"key: {key}")
    typer.echo(f"key_sha256: {hash_api_key(key)}")
