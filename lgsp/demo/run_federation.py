"""Step 2 of the demo: NGSP and two provinces, each a node with its gateway, federation links
and border, under live traffic from their agencies; then what happened, in numbers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from bus.adminauth import AdminToken, Role, hash_admin_token
from bus.kafka import delete_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from bus.requestreply import LookupMetrics, LookupResponder
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.federation.border.decision import refused_topic
from gateway.runner import run_gateway
from lgsp.demo.agency_systems import (
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
from lgsp.demo.payments import payment_platform
from lgsp.demo.plan import DemoInterruptedError, DemoPlan, RunningNode
from lgsp.demo.population import population_answer
from lgsp.demo.publishing import publish_workload
from lgsp.demo.report import report
from lgsp.demo.traffic import Workload
from schemas.topics import inbox_topic
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker


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
            population_answer,
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
        published = await publish_workload(
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


def _dead_letter_topics(node: RunningNode) -> list[str]:
    return [*(str(t.dlq()) for t in node.gateway.main_topics()), refused_topic(node.role)]


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
