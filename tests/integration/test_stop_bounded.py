"""A node whose broker stops answering can still be stopped: every Kafka client gets a bounded
time to stop (bus/kafka/stopping.py), so a gateway on a frozen broker (SIGSTOP: the process is
there, its sockets open, nothing answers) ends its ``run_gateway`` block in seconds instead of
waiting on LeaveGroup and FindCoordinator for ever (aio-libs/aiokafka#659).

The cluster is this module's own (freezing its broker disturbs no other test)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.localkafka.layout import ClusterPaths, read_pid
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.runner import run_gateway
from tests.clusterharness import private_cluster
from tests.gatewayharness import PORTAL_ROUTES, PrivateNode, make_event, publish

SETTINGS = Settings()


@pytest.fixture(scope="module")
def frozen_cluster() -> Iterator[tuple[str, str]]:
    """(name, bootstrap) of a one-broker cluster for this module alone; purged after."""
    with private_cluster("pytest-frozen", SETTINGS) as cluster:
        yield cluster


async def test_a_gateway_on_a_frozen_broker_stops_within_its_bound(
    frozen_cluster: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Route a record, freeze the broker, leave the block: it ends within the clients' bounds
    (a few seconds each), and the broker, thawed, serves the next client."""
    monkeypatch.setenv("LGSP_KAFKA_STOP_WAIT_S", "3")
    name, bootstrap = frozen_cluster
    node = PrivateNode(bootstrap, tmp_path)
    config = load_gateway_config(node.write(PORTAL_ROUTES))
    await node.create(node.inbox("portal"), node.topic("vn.gov.dossier.status.v1"))
    broker = next(iter(ClusterPaths.of(SETTINGS.home, name).nodes()))
    pid = read_pid(broker)
    assert pid
    frozen_for = 0.0
    async with run_gateway(config, SETTINGS, bootstrap=bootstrap, admin_port=0) as running:
        await running.wait_ready(60)
        await publish(
            bootstrap,
            node.topic("vn.gov.dossier.status.v1"),
            [make_event("dossier.status", source="000.01.02.H24")],
        )
        await asyncio.sleep(2)
        os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
    stopped_in = time.monotonic() - frozen_at
    try:
        assert stopped_in < 60, f"the gateway took {stopped_in:.0f} s to stop"
    finally:
        frozen_for = time.monotonic() - frozen_at
        os.kill(pid, signal.SIGCONT)
    assert frozen_for >= stopped_in
    # thawed, the broker answers a new client again
    await publish(
        bootstrap,
        node.topic("vn.gov.dossier.status.v1"),
        [make_event("dossier.status", source="000.01.02.H24")],
    )
