"""Step 2 of the demo: NGSP and two provinces, each a node with its gateway, federation links
and border, under live traffic from their agencies; then what happened, in numbers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.kafka import KafkaPublisher, delete_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.requestreply import LookupMetrics, LookupResponder
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.federation.border.decision import refused_topic
from gateway.runner import run_gateway
from gateway.runtime.gateway import Gateway
from lgsp.demo.agency_systems import (
    Posting,
    Webhook,
    agency_systems,
    portal_caught_up,
    portal_summary,
)
from lgsp.demo.nodes import (
    HANOI,
    LATE_AGENCY,
    NGSP,
    POPULATION_DB,
    PORTAL,
    ROLES,
    inboxes,
    provision,
    write_node,
    write_trust,
)
from lgsp.demo.observer import Observer, Watch
from lgsp.demo.payments import DemoPayments, payment_platform
from lgsp.demo.report import report
from lgsp.demo.traffic import Workload
from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from schemas.ids.citizen import CitizenId
from schemas.topics import inbox_topic
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker


@dataclass(frozen=True)
class DemoPlan:
    duration_s: float
    rate: int
    admin_port: int  # NGSP's; the provinces use the next two (0: any free ports)
    keep_running: bool
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)  # Ctrl-C or SIGTERM
    exploring: asyncio.Event = field(default_factory=asyncio.Event)  # --keep-running, summary out


class DemoInterruptedError(Exception):
    """Ctrl-C arrived while traffic was generated: unwind, stopping everything on the way."""


@dataclass
class RunningNode:
    role: str
    gateway: Gateway
    port: int


async def run_federation(
    bootstraps: dict[str, str], folder: Path, plan: DemoPlan, console: Console
) -> bool:
    await asyncio.to_thread(write_trust, folder)
    # the admin API needs a token: one operator token for this run, shown once below
    admin_token = secrets.token_urlsafe(24)
    tokens = (
        *Settings().admin_tokens,
        AdminToken(
            name="demo-operator", role=Role.OPERATOR, token_sha256=hash_admin_token(admin_token)
        ),
    )
    late = inbox_topic(HANOI, LATE_AGENCY)
    await delete_topics(bootstraps[HANOI], [late])  # the late ward's sink starts offline
    async with contextlib.AsyncExitStack() as stack:
        nodes = {}
        for offset, role in enumerate(ROLES):
            port = _port(plan.admin_port + offset if plan.admin_port else 0)
            config = load_gateway_config(write_node(folder, role, bootstraps, port))
            nodes[role] = await stack.enter_async_context(
                _node(role, config, bootstraps[role], port, tokens)
            )
            await provision(
                bootstraps[role],
                [t for t in inboxes(role, nodes[role].gateway.directory) if t != late],
            )
        directory = nodes[NGSP].gateway.directory
        responder = LookupResponder(
            ClusterAccess(bootstraps[NGSP], PLAINTEXT),
            NGSP,
            POPULATION_DB,
            _population_database,
            LookupMetrics(nodes[NGSP].gateway.registry),
        )
        stack.push_async_callback(_cancel, asyncio.create_task(responder.run()))
        observer = Observer(
            {
                role: Watch(bootstraps[role], inboxes(role, directory), _dead_letter_topics(node))
                for role, node in nodes.items()
            },
            directory,
        )
        stop = asyncio.Event()
        watching = asyncio.create_task(observer.run(stop))
        stack.push_async_callback(_cancel, watching)
        await asyncio.wait_for(observer.ready.wait(), 60)
        for node in nodes.values():
            console.print(
                f"{node.role:7} gateway ready: metrics http://127.0.0.1:{node.port}/metrics,"
                f" admin API http://127.0.0.1:{node.port}/docs"
            )
        console.print(
            f"admin API token of this run (operator): {admin_token}  "
            f"(send it as 'Authorization: Bearer <token>' to /admin/*)",
            highlight=False,
        )
        tracker_port = _port(plan.admin_port + len(ROLES) if plan.admin_port else 0)
        tracker = await stack.enter_async_context(
            run_tracker(
                TrackerConfig(
                    node=NGSP,
                    agency=PORTAL,
                    bootstrap_servers=bootstraps[NGSP],
                    api=ApiConfig(port=tracker_port),
                ),
                Settings(),
                nodes[NGSP].gateway.registry,
            )
        )
        console.print(
            f"tracker at NGSP: dossier look-up API {tracker.api_url}/docs "
            f"(e.g. {tracker.api_url}/dossiers?status=4)"
        )
        workload = Workload(directory)
        webhooks, portal = await stack.enter_async_context(
            agency_systems(bootstraps, directory, nodes[NGSP].gateway.registry)
        )
        console.print(
            "connectors: a webhook per province for the one-stop-shop systems "
            + ", ".join(f"{r} {w.url}/docs" for r, w in webhooks.items())
            + f"; the national portal's dvcqg-sink on NGSP to {portal.url} (DVCQG protocol)"
        )
        payments = await stack.enter_async_context(
            payment_platform(bootstraps, nodes[NGSP].gateway.registry)
        )
        published = await _publish(
            bootstraps, workload, plan, late, console, nodes, webhooks, payments
        )
        await _drain(observer, workload, console, plan.interrupted)
        if plan.interrupted.is_set():
            raise DemoInterruptedError
        with contextlib.suppress(TimeoutError):
            await tracker.wait_caught_up(30)
        gateways = {r: n.gateway for r, n in nodes.items()}
        ok = report(console, workload, observer, gateways, published, tracker.figures("agency"))
        await portal_caught_up(portal, sum(len(s) for s in workload.dossier_statuses.values()))
        console.print(portal_summary(portal, webhooks))
        console.print(payments.summary())
        ok = (
            ok
            and portal.duplicated == 0
            and payments.paid + len(payments.refused) == payments.asked
        )
        if plan.keep_running:
            console.print(
                "[bold]still running[/]: explore with kcat, the admin APIs, "
                f"`lgsp dlq list --config {folder / HANOI / 'node.yaml'}`, "
                f"`lgsp link receipts --config {folder / NGSP / 'node.yaml'} KEY`; Ctrl-C ends"
            )
            plan.exploring.set()
            await plan.interrupted.wait()
        stop.set()
        await watching
    return ok


@contextlib.asynccontextmanager
async def _node(
    role: str, config: Any, bootstrap: str, port: int, tokens: Sequence[AdminToken]
) -> AsyncIterator[RunningNode]:
    settings = Settings().model_copy(update={"admin_tokens": tokens})
    async with run_gateway(config, settings, bootstrap=bootstrap, admin_port=port) as running:
        await running.wait_ready(60)
        yield RunningNode(role, running.gateway, port)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _population_database(request: dict[str, Any]) -> dict[str, Any]:
    """The national population database (Cơ sở dữ liệu quốc gia về dân cư), as the demo has it."""
    reply = example_record(bundled_catalog().get("lookup.reply"))
    person = CitizenId.parse(request["subjectId"])  # the asker's CCCD was checked at ingress
    found = reply["citizen"] | {
        "idNumber": person.number,
        "sex": person.sex,
        "dateOfBirth": reply["citizen"]["dateOfBirth"].replace(year=person.birth_year),
        "birthRegistrationProvince": person.province_code,
    }
    return reply | {
        "requestId": request["requestId"],
        "citizen": found,
        "respondedAt": datetime.now(UTC),
    }


def _dead_letter_topics(node: RunningNode) -> list[str]:
    return [*(str(t.dlq()) for t in node.gateway.main_topics()), refused_topic(node.role)]


async def _publish(
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


async def _drain(
    observer: Observer, workload: Workload, console: Console, interrupted: asyncio.Event
) -> None:
    """Wait until every published record was delivered somewhere or dead-lettered."""
    with console.status("waiting for retries, links and the last deliveries"):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not interrupted.is_set():
            if workload.published_ids <= observer.settled_ids and workload.lookup_ids <= set(
                observer.replies
            ):
                return
            await asyncio.sleep(0.25)


def _port(wanted: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", wanted))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
