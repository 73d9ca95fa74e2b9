"""The demo's agencies publishing at its rate (records to Kafka, the one-stop-shops' posts to
the webhooks, fees paid online), with a live status line read from the gateways' metrics."""

from __future__ import annotations

import asyncio
import contextlib
import time

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bus.kafka import KafkaPublisher
from lgsp.demo.agency_systems import Posting, Webhook
from lgsp.demo.nodes import HANOI, provision
from lgsp.demo.payments import DemoPayments
from lgsp.demo.plan import DemoInterruptedError, DemoPlan, RunningNode
from lgsp.demo.traffic import Workload


async def publish_workload(
    bootstraps: dict[str, str],
    workload: Workload,
    plan: DemoPlan,
    late: str,
    console: Console,
    nodes: dict[str, RunningNode],
    webhooks: dict[str, Webhook],
    payments: DemoPayments,
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
    posting = Posting(webhooks, workload)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(posting.close)
        publishers = {
            role: await stack.enter_async_context(
                KafkaPublisher(bootstrap, client_id=f"lgsp-demo-agencies-{role}")
            )
            for role, bootstrap in bootstraps.items()
        }
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("agencies publishing", total=total, status="")
            began = shown = time.monotonic()
            while published < total and not plan.interrupted.is_set():
                due = min(total, int((time.monotonic() - began) * plan.rate) + 1)
                for item in workload.next_records(due - published):
                    if item.post is not None:
                        posting.post(item.role, item.post)
                    elif item.record is not None:
                        await publishers[item.role].enqueue(item.record)
                published = due
                if not late_created and time.monotonic() - began > plan.duration_s / 3:
                    await provision(bootstraps[HANOI], [late])  # the late ward's sink comes online
                    late_created = True
                if time.monotonic() - shown > 0.5:  # the status reads every metric: not each tick
                    progress.update(task, completed=published, status=_status(nodes))
                    shown = time.monotonic()
                else:
                    progress.update(task, completed=published)
                await asyncio.sleep(0.05)
            if plan.interrupted.is_set():
                raise DemoInterruptedError
            for publisher in publishers.values():
                await publisher.flush()
            progress.update(task, status="one-stop-shops finishing their posts")
            await posting.finish()
            progress.update(task, status="one-stop-shops paying fees online")
            await payments.pay(posting, workload)
            await posting.finish()
    if not late_created:
        await provision(bootstraps[HANOI], [late])
    return published


def _status(nodes: dict[str, RunningNode]) -> str:
    def total(name: str) -> float:
        return sum(_sum(n.gateway.registry, name) for n in nodes.values())

    return (
        f"routed {total('lgsp_gateway_records_out'):.0f}, "
        f"across links {total('lgsp_link_forwarded_records'):.0f}, "
        f"retried {total('lgsp_gateway_retries'):.0f}, "
        f"dead-lettered {total('lgsp_gateway_parked'):.0f}"
    )


def _sum(registry: CollectorRegistry, name: str) -> float:
    return sum(
        s.value
        for m in registry.collect()
        if m.name == name
        for s in m.samples
        if s.name.endswith("_total")
    )
