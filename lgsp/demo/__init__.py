"""``lgsp demo``: the main job, on a real local Kafka.

1. The contract: one event of every kind round-trips through the broker, checked.
2. A national exchange: NGSP and two provinces (Hà Nội, Đà Nẵng), each its own Kafka cluster
   with its gateway, federation links and border, under live traffic: ministry documents to
   both provinces (directives fanned out to every commune) with status feedback coming back,
   one-stop-shop dossiers synchronised to the national portal with personal data masked,
   citizen look-ups answered by the national population database, signed receipts, bad
   records parked with their reason, and a ward whose sink comes online late.

With ``LGSP_BOOTSTRAP_SERVERS`` set, the three nodes share that one cluster (their topics are
named per node), which is how the test suite runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console

from bus.gctuning import tune_gc
from bus.localkafka import start_cluster, stop_cluster
from bus.logging import configure_logging
from bus.settings import Settings
from lgsp.demo.contract_tour import contract_tour
from lgsp.demo.nodes import ROLES
from lgsp.demo.plan import DemoInterruptedError, DemoPlan
from lgsp.demo.run_federation import run_federation

console = Console()
log = structlog.get_logger("lgsp.demo")


def demo_command(
    duration: Annotated[float, typer.Option(help="Seconds of live traffic.")] = 20,
    rate: Annotated[int, typer.Option(help="Records per second published by the agencies.")] = 200,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave everything up to explore (Ctrl-C ends).")
    ] = False,
    admin_port: Annotated[
        int,
        typer.Option(help="NGSP gateway's admin API and metrics port; provinces use the next two."),
    ] = 8091,
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            help="The production topology instead: NGSP and Hà Nội on two 3-broker SASL_SSL "
            "clusters, each service its own process and principal (slower to start; try "
            "--rate 20).",
        ),
    ] = False,
    brokers: Annotated[
        int,
        typer.Option(
            "--brokers",
            min=1,
            max=3,
            help="With --production: brokers per cluster. 3 as in production (replication 3, "
            "min.insync 2); 1 runs the same services and principals on two brokers in all.",
        ),
    ] = 3,
) -> None:
    """Run the demo end to end on a local Kafka cluster and print a summary."""
    settings = Settings()
    if production:
        if brokers == 2:
            raise typer.BadParameter("1 or 3 brokers per cluster", param_hint="--brokers")
        _production(settings, duration, rate, brokers)
        return
    if brokers != 3:
        raise typer.BadParameter("only with --production", param_hint="--brokers")
    log_path = settings.home / "demo" / "demo.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log_file:
        configure_logging("INFO", stream=log_file, json=True)
        tune_gc()
        ok = asyncio.run(_main(settings, duration, rate, admin_port, keep_running, log_path))
    if ok is None:
        raise typer.Exit(code=130)  # the shell's code for "ended by Ctrl-C"
    if not ok:
        raise typer.Exit(code=1)


def _production(settings: Settings, duration: float, rate: int, brokers: int) -> None:
    from lgsp.deployed.demo import run_production_demo  # imports the demo's own modules

    log_path = settings.home / "demo-production" / "demo.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log_file:
        configure_logging("INFO", stream=log_file, json=True)
        console.rule("[bold]lgsp demo --production")
        try:
            ok = asyncio.run(run_production_demo(settings, duration, rate, console, brokers))
        except (KeyboardInterrupt, asyncio.CancelledError):
            console.print("stopped: services and clusters stopped")
            raise typer.Exit(code=130) from None
    services = log_path.parent / "topology" / "logs"
    console.print(f"launcher log: {log_path}; services' logs: {services}")
    if not ok:
        raise typer.Exit(code=1)


async def _main(
    settings: Settings,
    duration: float,
    rate: int,
    admin_port: int,
    keep_running: bool,
    log_path: Path,
) -> bool | None:
    """Run the demo; Ctrl-C (or SIGTERM) stops it cleanly: None then.

    The first signal sets the plan's ``interrupted`` event (the traffic, drain and keep-running
    loops watch it) and cancels the run, so whatever it awaits ends and every part is stopped
    on the way out, clusters last. Further signals only say that it is still stopping.
    """
    plan = DemoPlan(duration, rate, admin_port, keep_running)  # its events need this loop
    work = asyncio.create_task(_run(settings, plan, log_path))
    loop, began = asyncio.get_running_loop(), 0.0

    def interrupt() -> None:
        nonlocal began
        if plan.interrupted.is_set():
            console.print("still stopping: the clusters stop last, in a few seconds")
            return
        began = time.monotonic()
        log.info("demo_interrupted")
        plan.interrupted.set()
        if not plan.exploring.is_set():  # while exploring, Ctrl-C is the normal end
            work.cancel()
        console.print("\n[bold]stopping[/]: connectors, gateways, then the clusters")

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt)
    try:
        return await work
    except (asyncio.CancelledError, DemoInterruptedError):
        console.print(f"stopped cleanly in {time.monotonic() - began:.1f} s")
        return None
    except Exception as error:
        if not plan.interrupted.is_set():
            raise
        # A part cut short by the interruption may fail its own way (an HTTP post whose
        # connection pool closed under it): it is in the log, not a traceback on the screen.
        log.warning("demo_interrupted_part_failed", error=repr(error))
        console.print(f"stopped cleanly in {time.monotonic() - began:.1f} s")
        return None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@contextlib.asynccontextmanager
async def _brokers(settings: Settings) -> AsyncIterator[dict[str, str]]:
    """A fresh local cluster per node (or the one of LGSP_BOOTSTRAP_SERVERS, shared)."""
    if settings.bootstrap_servers:
        yield dict.fromkeys(ROLES, settings.bootstrap_servers)
        return
    bootstraps = {}
    try:
        with console.status(
            "starting a fresh Kafka cluster per node (a first run fetches the jars)"
        ):
            for role in ROLES:
                name = f"demo-{role}"
                await stop_cluster(settings, name, purge=True)  # every run starts empty
                status = await start_cluster(settings, name)
                bootstraps[role] = status.bootstrap_servers or ""
        for role, bootstrap in bootstraps.items():
            console.print(f"Kafka cluster [bold]demo-{role}[/] at {bootstrap}")
        yield bootstraps
    finally:  # also after --keep-running: Ctrl-C ends the exploring and stops everything
        log.info("demo_clusters_stopping")
        with console.status("stopping the three clusters"):  # together: each takes seconds
            await asyncio.gather(*(stop_cluster(settings, f"demo-{r}") for r in ROLES))


async def _run(settings: Settings, plan: DemoPlan, log_path: Path) -> bool:
    console.rule("[bold]lgsp demo")
    async with _brokers(settings) as bootstraps:
        console.print(
            "\n[bold]1. The contract[/]: every event kind, Avro + CloudEvents, through the broker"
        )
        contract_ok = await contract_tour(bootstraps["ngsp"], console)
        console.print(
            "\n[bold]2. A national exchange[/]: NGSP, Hà Nội and Đà Nẵng, linked and signed"
        )
        exchange_ok = await run_federation(bootstraps, settings.home / "demo", plan, console)
    console.print(f"gateway and demo logs (JSON lines): {log_path}")
    return contract_ok and exchange_ok
