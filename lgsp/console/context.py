"""What every console page works with: the node's files, its processes, its dead letters,
the sessions and the overview's sampler, built once at start."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from bus.adminauth import AdminToken
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from gateway.config import GatewayConfig, load_gateway_config
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.store import TrustStore
from gateway.ops.dlq import DeadLetters
from lgsp.console.config import ConsoleConfig
from lgsp.console.deadletters import ConsoleDeadLetters
from lgsp.console.node import NodeClient
from lgsp.console.overview import Sampler
from lgsp.console.sessions import SessionStore
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.errors import LgspError
from schemas.ids.directory import AgencyDirectory


@dataclass
class ConsoleContext:
    config: ConsoleConfig
    gateway: GatewayConfig
    bootstrap: str
    security: KafkaSecurity | None
    directory: AgencyDirectory
    catalog: SchemaCatalog
    node: NodeClient
    dead_letters: ConsoleDeadLetters
    sessions: SessionStore
    sampler: Sampler
    trust: TrustStore | None

    @property
    def node_name(self) -> str:
        return self.gateway.node

    def agency_name(self, code: str) -> str:
        found = self.directory.find(code) if code else None
        return found.name if found else ""


@contextlib.asynccontextmanager
async def console_context(
    config: ConsoleConfig,
    tokens: Sequence[AdminToken],
    bootstrap: str | None,
    security: KafkaSecurity | None,
) -> AsyncIterator[ConsoleContext]:
    """Build the console's parts; the sampler runs until the block ends."""
    gateway = load_gateway_config(config.gateway_path)
    kafka = gateway.bootstrap_servers or bootstrap
    if not kafka:
        raise LgspError(
            "no Kafka to read dead letters and audit from: set bootstrap_servers in "
            f"{config.gateway_path} or LGSP_BOOTSTRAP_SERVERS",
            code="LGSP-CONFIG-INVALID",
        )
    trust = None
    if gateway.federation is not None:
        trust = TrustStore(
            gateway.federation.trust,
            gateway.base_dir,
            FederationMetrics(CollectorRegistry(), gateway.node),
        )
    node = NodeClient(config)
    dead_letters = ConsoleDeadLetters(
        DeadLetters(kafka, gateway.node, security=security or PLAINTEXT)
    )
    sampler = Sampler(node, dead_letters.waiting, config.poll_s)
    try:
        async with sampler.running():
            yield ConsoleContext(
                config,
                gateway,
                kafka,
                security,
                gateway.load_directory(),
                bundled_catalog(),
                node,
                dead_letters,
                SessionStore(tokens, config.session_minutes),
                sampler,
                trust,
            )
    finally:
        await node.close()


def templates_dir() -> Path:
    return Path(__file__).parent / "templates"


def static_dir() -> Path:
    return Path(__file__).parent / "static"
