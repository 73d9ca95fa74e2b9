"""``lgsp demo``: the main job, on a real local Kafka.

1. The contract: one event of every kind round-trips through the broker, checked.
2. A provincial node (Hà Nội, LGSP): its gateway routes live traffic (ministry documents,
   city documents fanned out to every ward, status feedback to ministries, one-stop-shop
   dossiers synchronised to the national portal with personal data masked, citizen look-ups
   towards the national population database), parks bad records with their reason, and
   retries deliveries to a ward whose sink comes online late, keeping each dossier's order.

Federation to NGSP and a second province come with the federation issue; records for
national agencies wait on the node's NGSP link topic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bus.localkafka import local_cluster, stop_cluster
from bus.logging import configure_logging
from bus.settings import Settings
from lgsp.demo.contract_tour import contract_tour
from lgsp.demo.run_node import NodeRun, run_node

console = Console()


def demo_command(
    duration: Annotated[float, typer.Option(help="Seconds of live traffic.")] = 20,
    rate: Annotated[int, typer.Option(help="Records per second published by the agencies.")] = 200,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave everything up to explore (Ctrl-C ends).")
    ] = False,
    admin_port: Annotated[
        int, typer.Option(help="Port of the gateway's admin API and metrics.")
    ] = 8091,
    cluster: Annotated[str, typer.Option(help="Local Kafka cluster to run on.")] = "demo",
) -> None:
    """Run the demo end to end on a local Kafka cluster and print a summary."""
    settings = Settings()
    log_path = settings.home / "demo" / "demo.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log_file:
        configure_logging("INFO", stream=log_file, json=True)
        ok = asyncio.run(
            _run(settings, cluster, NodeRun(duration, rate, admin_port, keep_running), log_path)
        )
    if not ok:
        raise typer.Exit(code=1)


@contextlib.asynccontextmanager
async def _broker(settings: Settings, cluster: str, keep_running: bool) -> AsyncIterator[str]:
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    with console.status(
        f"starting a fresh Kafka cluster {cluster!r} (a first run fetches the jars)"
    ):
        await stop_cluster(settings, cluster, purge=True)  # every run starts from an empty node
        manager = local_cluster(settings, cluster)
        status = await manager.__aenter__()
    console.print(
        f"Kafka cluster [bold]{cluster}[/] at {status.bootstrap_servers} (log: {status.log_path})"
    )
    try:
        yield status.bootstrap_servers or ""
    finally:
        if keep_running:
            console.print(f"cluster left running; stop it with: lgsp kafka down --name {cluster}")
        else:
            await manager.__aexit__(None, None, None)


async def _run(settings: Settings, cluster: str, plan: NodeRun, log_path: Path) -> bool:
    console.rule("[bold]lgsp demo")
    async with _broker(settings, cluster, plan.keep_running) as bootstrap:
        console.print(
            "\n[bold]1. The contract[/]: every event kind, Avro + CloudEvents, through the broker"
        )
        contract_ok = await contract_tour(bootstrap, console)
        console.print("\n[bold]2. A provincial node[/]: Hà Nội's gateway routing live traffic")
        node_ok = await run_node(bootstrap, settings.home / "demo", plan, console)
    console.print(f"gateway and demo logs (JSON lines): {log_path}")
    return contract_ok and node_ok
