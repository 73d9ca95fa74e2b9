"""The trust registry over HTTP: fetched, verified, refreshed, and trusted only for a grace
period when NGSP's publication cannot be reached."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from bus.httpserver import bound_port, http_server
from gateway.federation.config import TrustConfig
from gateway.federation.errors import TrustError
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.server import registry_app
from gateway.federation.trust.store import TrustStore
from tests.federationharness import Federated


async def test_node_keeps_a_registry_for_its_grace_period_then_reports_it_stale(
    tmp_path: Path,
) -> None:
    """Served by NGSP over HTTP, the registry is fetched and verified; when publication stops
    the node keeps using it for the grace period (2 s here), then marks it unusable in its
    metrics; once publication resumes, the next refresh makes it usable again. A newer serial
    replaces it; an older one is refused as a rollback."""
    fed = Federated(tmp_path, {"ngsp": "", "hanoi": "", "danang": ""})
    fed.write()
    published = tmp_path / "published.json"
    published.write_bytes(fed.registry_file.read_bytes())
    registry = CollectorRegistry()
    metrics = FederationMetrics(registry, "hanoi")

    def sample(name: str) -> float | None:
        return registry.get_sample_value(name, {"node": "hanoi"})

    async with http_server(registry_app(published), "127.0.0.1", 0) as server:
        url = f"http://127.0.0.1:{bound_port(server)}/trust/registry.json"
        config = TrustConfig(
            registry=url,
            anchors={"anchor-1": fed.keys / "anchor-1.pub.pem"},
            refresh="1s",
            grace="2s",
        )
        store = TrustStore(config, tmp_path, metrics)
        refreshing = asyncio.create_task(store.run())
        try:
            for _ in range(50):
                if store.usable():
                    break
                await asyncio.sleep(0.1)
            assert store.registry is not None and store.registry.serial == 1
            published.unlink()  # NGSP stops publishing: the server answers 503
            await asyncio.sleep(1.0)
            assert store.usable(), "still within the grace period"
            await asyncio.sleep(6.0)
            assert not store.usable()
            assert sample("lgsp_trust_registry_usable") == 0
            assert (sample("lgsp_trust_registry_age_seconds") or 0) > 2
            failures = registry.get_sample_value(
                "lgsp_trust_refresh_failures_total", {"node": "hanoi", "code": "LGSP-TRUST-FETCH"}
            )
            assert failures and failures >= 1
            fed.sign_registry(serial=2)
            published.write_bytes(fed.registry_file.read_bytes())
            for _ in range(100):
                if store.usable():
                    break
                await asyncio.sleep(0.1)
            assert store.usable() and store.registry.serial == 2
            assert sample("lgsp_trust_registry_usable") == 1
            fed.sign_registry(serial=1)
            published.write_bytes(fed.registry_file.read_bytes())
            with pytest.raises(TrustError) as rollback:
                await store.refresh()
            assert rollback.value.code == "LGSP-TRUST-ROLLBACK"
            assert store.registry.serial == 2
        finally:
            refreshing.cancel()
