"""Federation inside a gateway process: the trust store, the links to peers and the border,
started together as ``async with Federation(...)`` beside the node's ``Gateway``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from prometheus_client import CollectorRegistry

from bus.kafka.access import ClusterAccess
from bus.kafka.security import PLAINTEXT
from bus.lifecycle import Closing
from gateway.federation.border.admission import Border
from gateway.federation.config import FederationConfig, LinkConfig, resolve
from gateway.federation.errors import TrustError
from gateway.federation.links.control import LinkControl
from gateway.federation.links.forwarder import Link
from gateway.federation.links.window import WindowLimits
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import NodeSigner, PrivateKey, load_private_key
from gateway.federation.trust.store import TrustStore
from gateway.routing.retry_tiers import parse_delay
from gateway.runtime.gateway import Gateway
from schemas.catalog import SchemaCatalog

log = structlog.get_logger("lgsp.federation")


class Federation(Closing):
    def __init__(
        self,
        node: str,
        config: FederationConfig,
        base_dir: Path,
        cluster: ClusterAccess,
        partitions: int,
        registry: CollectorRegistry,
        catalog: SchemaCatalog,
        routed_types: Callable[[], set[str]],
        dedup_window_s: float,
        *,
        environ: Mapping[str, str],
    ) -> None:
        self.node, self.config, self.cluster = node, config, cluster
        self.bootstrap = cluster.bootstrap_servers
        self.metrics = FederationMetrics(registry, node)
        self.trust = TrustStore(config.trust, base_dir, self.metrics)
        self.keys: dict[str, PrivateKey] = {
            k.key_id: load_private_key(resolve(base_dir, k.file)) for k in config.keys
        }
        self.control = LinkControl(cluster, node)
        self.links = {
            link.peer: Link(
                node,
                link.peer,
                cluster,
                _checked(functools.partial(peer_access, link, base_dir, environ)),
                partitions,
                self.signer,
                self.trust,
                self.control,
                self.metrics,
                signing=link.signing,
                window=WindowLimits(max_batches=link.in_flight_batches),
            )
            for link in config.links
        }
        self.border = Border(
            node,
            cluster,
            [link.peer for link in config.links],
            partitions,
            self.trust,
            self.signer,
            catalog,
            routed_types,
            self.metrics,
            max_age=timedelta(seconds=parse_delay(config.max_age)),
            window=timedelta(seconds=max(dedup_window_s, parse_delay(config.max_age))),
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._stack = contextlib.AsyncExitStack()

    def signer(self) -> NodeSigner | None:
        registry = self.trust.registry
        return None if registry is None else choose_signer(self.keys, registry, self.node)

    async def __aenter__(self) -> Federation:
        try:
            await self.trust.refresh()
        except TrustError as error:  # keep starting: links wait until a refresh succeeds
            log.error("trust_registry_unavailable", code=error.code, error=error.message)
        if self.trust.registry is not None and self.signer() is None:
            log.error(
                "no_signing_key", node=self.node, code="LGSP-TRUST-NO-KEY", keys=sorted(self.keys)
            )
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(self.control)
            self._tasks = [
                asyncio.create_task(self.trust.run()),
                asyncio.create_task(self.border.run()),
            ]
            self._tasks += [asyncio.create_task(link.run()) for link in self.links.values()]
            stack.push_async_callback(_cancel_all, self._tasks)
            self._stack = stack.pop_all()
        return self

    async def aclose(self) -> None:
        await self._stack.aclose()


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the federation's tasks together, then wait for each (their errors were logged)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def choose_signer(
    keys: dict[str, PrivateKey], registry: TrustRegistry, node: str, now: datetime | None = None
) -> NodeSigner | None:
    """Of the node's configured keys, the one the registry lists as valid now and most recently
    valid from: a rotation is a new key in the registry (and the node's config) with a later
    ``not_before``, picked up without a restart; the old key keeps verifying until removed."""
    instant = now or datetime.now(UTC)
    valid = [
        (entry.not_before, key_id)
        for key_id in keys
        if (entry := registry.key(key_id)) is not None
        and entry.node == node
        and entry.not_before <= instant <= entry.not_after
    ]
    if not valid:
        return None
    key_id = max(valid)[1]
    return NodeSigner(key_id, keys[key_id])


def _checked(access: Callable[[], ClusterAccess]) -> Callable[[], ClusterAccess]:
    access()  # a missing password file or variable fails the start, with its code
    return access


def peer_access(link: LinkConfig, base_dir: Path, environ: Mapping[str, str]) -> ClusterAccess:
    """How a link reaches its peer's cluster: its bootstrap, and its own principal there (the
    password read now from its file or variable; plaintext when the link has no security)."""
    security = link.security.resolve(base_dir, environ) if link.security else PLAINTEXT
    return ClusterAccess(link.bootstrap_servers, security)


@contextlib.asynccontextmanager
async def federation_of(
    gateway: Gateway, environ: Mapping[str, str] | None = None
) -> AsyncIterator[Federation | None]:
    """The federation of a gateway's node when node.yaml has a ``federation`` section.

    ``environ``: where a link's ``password_env`` is looked up (the process's environment,
    handed down by the command that runs the gateway)."""
    config = gateway.config
    if config.federation is None:
        yield None
        return
    async with Federation(
        config.node,
        config.federation,
        config.base_dir,
        ClusterAccess(gateway.bootstrap, gateway.security, config.replication),
        config.partitions,
        gateway.registry,
        gateway.catalog,
        lambda: set(gateway.table.event_types()),
        gateway.window_s,
        environ=environ or {},
    ) as federation:
        yield federation
