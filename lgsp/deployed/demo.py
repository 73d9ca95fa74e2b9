"""``lgsp demo --production``: the production topology (``ProductionTopology``) under the demo's
workload for a user who wants to see it, ending with a short summary: the processes and their
principals, what was delivered, and ce_time → delivery percentiles split by whether a record
waited in a retry tier."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from dataclasses import dataclass

from aiokafka import TopicPartition
from rich.console import Console

from bus.kafka import LogReader, topic_partitions
from bus.localkafka import stop_cluster
from bus.settings import Settings
from lgsp.demo.nodes import HANOI, NGSP
from lgsp.deployed.inspection import node_topics
from lgsp.deployed.portal import PortalApp
from lgsp.deployed.topology import ProductionTopology, TopologyPlan
from lgsp.deployed.traffic import SentTraffic, population_database, send_traffic
from schemas.envelope import Envelope

_DRAIN_S = 120.0


@dataclass(frozen=True)
class Delivered:
    """One record in an inbox: its ce_id, type, correlation id, seconds from ce_time, attempts."""

    ce_id: str
    ce_type: str
    correlation_id: str | None
    latency_s: float
    attempt: int


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _brokers(count: int) -> str:
    return f"{count} broker" if count == 1 else f"{count} brokers"


async def delivered(topology: ProductionTopology) -> list[Delivered]:
    """Every record in every inbox of both nodes (read committed)."""
    found = []
    for node in (NGSP, HANOI):
        bootstrap, admin = topology.bootstraps[node], topology.admin(node)
        topics = [
            t
            for t in await node_topics(bootstrap, admin, node)
            if ".inbox." in t and not t.endswith(".dlq")
        ]
        partitions: list[TopicPartition] = await topic_partitions(bootstrap, topics, security=admin)
        async with LogReader(bootstrap, security=admin) as reader:
            records = await reader.read(dict.fromkeys(partitions))
        for record in records:
            envelope = Envelope.from_headers(record.headers)
            latency = record.timestamp / 1000 - envelope.time.timestamp()
            found.append(
                Delivered(
                    envelope.id, envelope.type, envelope.correlation_id, latency, envelope.attempt
                )
            )
    return found


async def _drain(topology: ProductionTopology, sent: SentTraffic, portal: PortalApp) -> None:
    deadline = time.monotonic() + _DRAIN_S
    while time.monotonic() < deadline:
        seen = {d.ce_id for d in await delivered(topology)}
        if sent.all_ids <= seen and sent.ids.get("dossier", set()) <= set(portal.arrivals):
            return
        await asyncio.sleep(2)


async def run_production_demo(
    settings: Settings, duration_s: float, rate: float, console: Console, brokers: int = 3
) -> bool:
    """Start the topology (``brokers`` per cluster), send ``duration_s * rate`` records, print
    the summary; True when everything sent was delivered."""
    # SIGTERM (as Ctrl-C does) cancels the run, so every service and broker is stopped on the
    # way out instead of being left behind
    current = asyncio.current_task()
    assert current is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, current.cancel)
    folder = settings.home / "demo-production" / "topology"
    shutil.rmtree(folder, ignore_errors=True)  # every run starts afresh
    clusters = {NGSP: "demo-prod-ngsp", HANOI: "demo-prod-hanoi"}
    for cluster in clusters.values():
        await stop_cluster(settings, cluster, purge=True)
    async with PortalApp().serve() as portal:
        plan = TopologyPlan(folder, portal.url, clusters, brokers=brokers)
        starting = console.status(
            f"starting two {brokers}-broker SASL_SSL clusters, principals, services"
        )
        starting.start()
        try:
            async with ProductionTopology(settings, plan) as topology:
                starting.stop()
                ok = await _show(topology, portal, duration_s, rate, console)
                starting = console.status("stopping the services, then the clusters")
                starting.start()
            return ok
        finally:
            starting.stop()


async def _show(
    topology: ProductionTopology,
    portal: PortalApp,
    duration_s: float,
    rate: float,
    console: Console,
) -> bool:
    console.print("[bold]processes[/] (each its own OS process, its own principal):")
    for name, service in sorted(topology.services.items()):
        console.print(f"  {name:24} pid {service.pid}  as {service.spec.principal}")
    links = sorted(p.user for k, p in topology.principals.items() if k.startswith("link-"))
    console.print(f"  links' principals on the peer's cluster: {', '.join(links)}")
    async with population_database(topology) as lookups:
        with console.status(f"sending {int(duration_s * rate)} records across the link"):
            sent = await send_traffic(topology, int(duration_s * rate), rate)
            await _drain(topology, sent, portal)
        expired = sum(
            s.value
            for m in lookups.expired.collect()
            for s in m.samples
            if s.name.endswith("_total")
        )
    records = await delivered(topology)
    seen = {d.ce_id for d in records}
    answers = {d.correlation_id for d in records if d.ce_type == "vn.gov.lookup.reply.v1"}
    console.print("[bold]delivered[/] (sent → reached an inbox):")
    for kind, ids in sorted(sent.ids.items()):
        console.print(f"  {kind:14} {len(ids & seen):>6,} / {len(ids):,}")
    replied = len(sent.lookup_ids & answers)
    console.print(
        f"  look-ups answered {replied:,} / {len(sent.lookup_ids):,} ({expired:.0f} reached the "
        "population database past their deadline, dropped)"
    )
    console.print(
        f"  portal application: {len(portal.arrivals):,} dossier events, {portal.repeats} repeats"
    )
    retried = [d.latency_s for d in records if d.attempt > 0]
    direct = [d.latency_s for d in records if d.attempt == 0]
    portal_s = [a.arrived - a.ce_time for a in portal.arrivals.values()]
    console.print("[bold]ce_time → delivery[/] (p50 / p99):")
    for label, values in (
        ("into an inbox, no retry", direct),
        ("into an inbox, via a retry tier", retried),
        ("at the portal (HTTP sink)", portal_s),
    ):
        console.print(
            f"  {label:32} {percentile(values, 0.5) * 1000:7.0f} ms / "
            f"{percentile(values, 0.99) * 1000:7.0f} ms  ({len(values):,} records)"
        )
    each = [
        f"{n} {mb:,.0f} MiB ({_brokers(count)})"
        for n, (count, mb) in sorted(topology.brokers().items())
    ]
    console.print("brokers' memory: " + ", ".join(each))
    return sent.all_ids <= seen and replied + expired >= len(sent.lookup_ids)
