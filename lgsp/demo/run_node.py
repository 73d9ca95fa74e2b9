"""Step 2 of the demo: run Hà Nội's gateway under live traffic and report what happened."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bus.httpserver import http_server
from bus.kafka import KafkaPublisher, delete_topics
from gateway.admin import admin_app
from gateway.config import load_gateway_config
from gateway.engine import Gateway
from lgsp.demo.node import LATE_AGENCY, NODE, destinations, provision, write_node
from lgsp.demo.observer import Observer
from lgsp.demo.traffic import Workload
from schemas.topics import inbox_topic


@dataclass(frozen=True)
class NodeRun:
    duration_s: float
    rate: int
    admin_port: int
    keep_running: bool


async def run_node(bootstrap: str, folder: Path, plan: NodeRun, console: Console) -> bool:
    # The late ward's sink starts offline in every run, so retries show even on a reused cluster.
    await delete_topics(bootstrap, [inbox_topic(NODE, LATE_AGENCY)])
    port = plan.admin_port if plan.admin_port and _port_free(plan.admin_port) else _free_port()
    config = load_gateway_config(write_node(folder, bootstrap, port))
    gateway_registry = CollectorRegistry()
    async with Gateway(config, bootstrap, gateway_registry) as gateway:
        late = inbox_topic(config.node, LATE_AGENCY)
        topics = destinations(gateway.directory)
        await provision(bootstrap, [t for t in topics if t != late])
        workload = Workload(config.node, gateway.directory)
        observer = Observer(
            bootstrap,
            topics,
            gateway.directory,
            dead_letter_topics=[str(t.dlq()) for t in gateway.main_topics()],
        )
        stop_observing = asyncio.Event()
        routing = asyncio.create_task(gateway.run())
        watching = asyncio.create_task(observer.run(stop_observing))
        await asyncio.wait_for(observer.ready.wait(), 60)
        async with http_server(admin_app(gateway), "127.0.0.1", port):
            await asyncio.wait_for(gateway.ready.wait(), 60)
            console.print(
                f"gateway ready; metrics at http://127.0.0.1:{port}/metrics, "
                f"admin API at http://127.0.0.1:{port}/docs"
            )
            published = await _publish(bootstrap, workload, plan, late, console, gateway)
            await _drain(observer, workload, console)
            ok = _report(console, workload, observer, gateway, published)
            if plan.keep_running:
                console.print(
                    "[bold]still running[/]: explore with kcat, the admin API and "
                    "`lgsp dlq list --config " + str(folder / "node.yaml") + "`; Ctrl-C ends"
                )
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.Event().wait()
        stop_observing.set()
        gateway.stop()
        await asyncio.gather(routing, watching)
    return ok


async def _publish(
    bootstrap: str,
    workload: Workload,
    plan: NodeRun,
    late_topic: str,
    console: Console,
    gateway: Gateway,
) -> int:
    total = int(plan.duration_s * plan.rate)
    published, late_created = 0, False
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("agencies publishing", total=total, status="")
        async with KafkaPublisher(bootstrap, client_id="lgsp-demo-agencies") as publisher:
            began = time.monotonic()
            while published < total:
                due = min(total, int((time.monotonic() - began) * plan.rate) + 1)
                for _, record in workload.next_records(due - published):
                    await publisher.enqueue(record)
                published = due
                if not late_created and time.monotonic() - began > plan.duration_s / 3:
                    await provision(bootstrap, [late_topic])  # the late ward's sink comes online
                    late_created = True
                status = (
                    f"routed {_total(gateway, 'lgsp_gateway_records_out'):.0f}, "
                    f"retried {_total(gateway, 'lgsp_gateway_retries'):.0f}, "
                    f"held {_total(gateway, 'lgsp_gateway_held'):.0f}, "
                    f"dead-lettered {_total(gateway, 'lgsp_gateway_parked'):.0f}"
                )
                progress.update(task, completed=published, status=status)
                await asyncio.sleep(0.05)
            await publisher.flush()
    if not late_created:
        await provision(bootstrap, [late_topic])
    return published


async def _drain(observer: Observer, workload: Workload, console: Console) -> None:
    """Wait until every published record was delivered somewhere or dead-lettered."""
    with console.status("waiting for retries and the last deliveries"):
        deadline = time.monotonic() + 120
        while not workload.published_ids <= observer.settled_ids and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.25)


def _report(
    console: Console, workload: Workload, observer: Observer, gateway: Gateway, published: int
) -> bool:
    table = Table("delivered: kind", "to", "records", title="What the agencies received")
    for (kind, level), count in sorted(observer.delivered.items()):
        table.add_row(kind, level, f"{count:,}")
    console.print(table)
    parked = Table("dead-lettered: code", "records", title="What was parked, with its reason")
    for sample in _samples(gateway, "lgsp_gateway_parked"):
        parked.add_row(sample[0]["code"], f"{sample[1]:.0f}")
    console.print(parked)
    latencies = sorted(observer.latencies) or [0.0]
    p50, p99 = latencies[len(latencies) // 2], latencies[max(0, int(len(latencies) * 0.99) - 1)]
    in_order = sum(
        observer.dossier_statuses.get(code, []) == statuses
        for code, statuses in workload.dossier_statuses.items()
    )
    expected_bad = len(workload.bad_ids)
    late_name = gateway.directory.get(LATE_AGENCY).name
    dead = _total(gateway, "lgsp_gateway_parked")
    console.print(
        f"published {published:,} records; delivered {sum(observer.delivered.values()):,} copies "
        f"(fan-out), duplicates {observer.duplicates}; retried "
        f"{_total(gateway, 'lgsp_gateway_retries'):.0f} ({late_name}'s sink came online late), "
        f"held behind a retry {_total(gateway, 'lgsp_gateway_held'):.0f}; dead-lettered {dead:.0f} "
        f"of {expected_bad} bad records"
    )
    console.print(
        f"latency ce_time -> delivered: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        "(the slowest waited in retry tiers)"
    )
    console.print(
        f"dossiers: {in_order}/{len(workload.dossier_statuses)} reached the national portal with "
        f"every status in order; CCCD masked in {observer.masked_ids:,} portal records"
    )
    return (
        observer.duplicates == 0
        and in_order == len(workload.dossier_statuses)
        and dead == expected_bad
    )


def _samples(gateway: Gateway, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (s.labels, s.value)
        for m in gateway.registry.collect()
        if m.name == name
        for s in m.samples
        if s.name.endswith("_total")
    ]


def _total(gateway: Gateway, name: str) -> float:
    return sum(value for _, value in _samples(gateway, name))


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
