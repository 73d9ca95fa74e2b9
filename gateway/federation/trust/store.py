"""The node's copy of the trust registry: fetched (HTTP or file), verified, refreshed on a
schedule. A node that cannot refresh keeps its last registry for the grace period, then says
it is stale: links stop forwarding and the border stops letting records in, until a refresh
succeeds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import structlog

from gateway.federation.config import TrustConfig, resolve
from gateway.federation.errors import TrustError
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.registry import TrustRegistry, open_registry
from gateway.federation.trust.signing import PublicKey, load_public_key
from gateway.routing.retry_tiers import parse_delay

log = structlog.get_logger("lgsp.trust")


class TrustStore:
    """``registry`` is the newest verified registry; ``usable`` says if it may still be used."""

    def __init__(self, config: TrustConfig, base_dir: Path, metrics: FederationMetrics) -> None:
        self.config = config
        self.base_dir = base_dir
        self.metrics = metrics
        self.refresh_s = parse_delay(config.refresh)
        self.grace_s = parse_delay(config.grace)
        self.anchors: dict[str, PublicKey] = {
            key_id: load_public_key(resolve(base_dir, path).read_text())
            for key_id, path in config.anchors.items()
        }
        self.registry: TrustRegistry | None = None
        self.fetched_at = 0.0  # monotonic time of the last successful refresh

    async def fetch(self) -> bytes:
        source = self.config.registry
        try:
            if source.startswith(("http://", "https://")):
                async with httpx.AsyncClient(timeout=10.0) as client:
                    response = await client.get(source)
                    response.raise_for_status()
                    return response.content
            return await asyncio.to_thread(resolve(self.base_dir, Path(source)).read_bytes)
        except (httpx.HTTPError, OSError) as error:
            raise TrustError(
                f"cannot fetch the trust registry from {source}: {error}",
                code="LGSP-TRUST-FETCH",
                retriable=True,
            ) from error

    async def refresh(self) -> TrustRegistry:
        """Fetch and verify; keep the old registry on any failure (and raise)."""
        node = self.metrics.node
        try:
            registry = open_registry(await self.fetch(), self.anchors)
            if self.registry is not None and registry.serial < self.registry.serial:
                raise TrustError(
                    f"registry serial {registry.serial} is older than the one in use "
                    f"({self.registry.serial}): refusing a rollback",
                    code="LGSP-TRUST-ROLLBACK",
                )
        except TrustError as error:
            self.metrics.refresh_failures.labels(node, error.code).inc()
            raise
        self.registry = registry
        self.fetched_at = time.monotonic()
        self.metrics.registry_serial.labels(node).set(registry.serial)
        self.update_metrics()
        return registry

    def age_s(self) -> float:
        return time.monotonic() - self.fetched_at if self.registry else float("inf")

    def usable(self) -> bool:
        return self.registry is not None and self.age_s() <= self.grace_s

    def update_metrics(self) -> None:
        node = self.metrics.node
        if self.registry is not None:
            self.metrics.registry_age.labels(node).set(self.age_s())
        self.metrics.registry_usable.labels(node).set(1 if self.usable() else 0)

    async def run(self) -> None:
        """Refresh every ``refresh`` (sooner after a failure) until cancelled."""
        was_usable = self.usable()
        while True:
            try:
                if self.registry is None or self.age_s() >= self.refresh_s:
                    await self.refresh()
            except TrustError as error:
                log.warning(
                    "trust_refresh_failed",
                    code=error.code,
                    error=error.message,
                    age_s=round(self.age_s(), 1),
                    grace_s=self.grace_s,
                )
            self.update_metrics()
            if was_usable and not self.usable():
                log.error(
                    "trust_registry_stale",
                    code="LGSP-TRUST-STALE",
                    age_s=round(self.age_s(), 1),
                    grace_s=self.grace_s,
                )
            was_usable = self.usable()
            await asyncio.sleep(min(self.refresh_s, 1.0 if self.registry is None else 5.0))
