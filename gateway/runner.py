"""Run a node's gateway in this process: the gateway, its federation (when node.yaml has a
``federation`` section) and its admin API (when ``admin.port`` is set), started together and
stopped together. The CLI, the tests, the benchmarks and the demo all start gateways here.

    async with run_gateway(load_gateway_config(path), Settings()) as running:
        await running.wait_ready()
        ...                                  # routing until the block ends
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry

from bus.httpserver import bound_port, http_server
from bus.kafka.security import KafkaSecurity
from bus.settings import Settings
from gateway.config import GatewayConfig
from gateway.federation.runtime import Federation, federation_of
from gateway.ops.admin import admin_app
from gateway.ops.readiness import gateway_readiness
from gateway.runtime.gateway import Gateway
from schemas.catalog import SchemaCatalog

log = structlog.get_logger("lgsp.gateway")
_STOP_WAIT_S = 30.0


@dataclass(frozen=True)
class RunningGateway:
    """A started gateway, its federation (None when the node does not federate), the task
    routing, and the admin API's port (None when it is not served)."""

    gateway: Gateway
    federation: Federation | None
    task: asyncio.Task[None]
    admin_port: int | None

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Until it owns partitions with their state restored (and its border's, if any)."""
        async with asyncio.timeout(timeout_s):
            await self.gateway.ready.wait()
            if self.federation is not None and self.federation.border.peers:
                await self.federation.border.ready.wait()


def gateway_bootstrap(config: GatewayConfig, settings: Settings) -> str:
    """The cluster to connect to: node.yaml's ``bootstrap_servers``, else the environment's."""
    return settings.bootstrap_for(config.bootstrap_servers, "the config")


@contextlib.asynccontextmanager
async def run_gateway(
    config: GatewayConfig,
    settings: Settings,
    *,
    registry: CollectorRegistry | None = None,
    catalog: SchemaCatalog | None = None,
    bootstrap: str | None = None,
    security: KafkaSecurity | None = None,
    admin_port: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[RunningGateway]:
    """Start the gateway ``config`` describes; stop it (transactions in flight first) when the
    block ends. ``bootstrap``, ``security`` and ``admin_port`` override what ``config`` and
    ``settings`` say (``admin_port`` 0: no admin API). ``environ``: where a federation link's
    ``password_env`` is read (the process's environment, handed down by the CLI)."""
    gateway = Gateway(
        config,
        bootstrap or gateway_bootstrap(config, settings),
        registry if registry is not None else CollectorRegistry(),
        catalog,
        security=security if security is not None else settings.kafka_security(),
    )
    port = config.admin.port if admin_port is None else admin_port
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(gateway)
        task = asyncio.create_task(gateway.run(), name=f"gateway-{config.node}")
        stack.push_async_callback(_stopped, gateway, task)
        federation = await stack.enter_async_context(federation_of(gateway, environ))
        served: int | None = None
        if port:
            readiness = await stack.enter_async_context(gateway_readiness(gateway, federation))
            app = admin_app(gateway, federation, readiness, settings.admin_tokens)
            host = settings.admin_host or config.admin.host
            server = await stack.enter_async_context(http_server(app, host, port))
            served = bound_port(server)
        yield RunningGateway(gateway, federation, task, served)


async def _stopped(gateway: Gateway, task: asyncio.Task[None]) -> None:
    """Stop routing; an error that ended ``run()`` early is raised here."""
    gateway.stop()
    if not task.done():
        done, _ = await asyncio.wait([task], timeout=_STOP_WAIT_S)
        if not done:
            log.error("gateway_not_stopped_in_time", node=gateway.config.node, wait_s=_STOP_WAIT_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return
    task.result()
