"""A node on a 3-broker cluster (``lgsp kafka up --brokers 3``): every topic its gateway,
tracker and HTTP sink create has 3 replicas and min.insync.replicas 2, taken from the
cluster's defaults without a line of node configuration; a killed broker is started again
alone by ``start_cluster`` (``lgsp kafka up``) while the others keep running.

The cluster is this module's own (killing a broker disturbs no other test)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, list_topics
from bus.kafka.factory import PLAINTEXT, new_admin
from bus.localkafka import cluster_status, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths, free_port, read_pid
from bus.settings import Settings
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from gateway.config import load_gateway_config
from gateway.runtime.gateway import Gateway
from tests.connectorharness import WARD, AgencyApp
from tests.gatewayharness import PORTAL_ROUTES, PrivateNode
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker

SETTINGS = Settings()


@pytest.fixture(scope="module")
def three_brokers() -> Iterator[tuple[str, str]]:
    """(name, bootstrap) of a 3-broker cluster for this module alone; purged after."""
    name = f"pytest-rf3-{uuid.uuid4().hex[:6]}"
    status = asyncio.run(start_cluster(SETTINGS, name, brokers=3))
    assert status.bootstrap_servers and len(status.brokers) == 3
    try:
        yield name, status.bootstrap_servers
    finally:
        asyncio.run(stop_cluster(SETTINGS, name, purge=True))


async def _replication(bootstrap: str, topics: list[str]) -> dict[str, tuple[set[int], str]]:
    """Per topic: the replica counts of its partitions and its effective min.insync.replicas."""
    admin = new_admin(bootstrap, PLAINTEXT)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
        configs = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, t, {"min.insync.replicas": None})
                for t in topics
            ]
        )
    finally:
        await admin.close()
    isr = {
        name: next(e[1] for e in entries if e[0] == "min.insync.replicas")
        for response in configs
        for _code, _message, _type, name, entries in response.resources
    }
    return {
        t["topic"]: ({len(p["replicas"]) for p in t["partitions"]}, isr[t["topic"]])
        for t in described
    }


async def test_every_topic_a_node_creates_has_three_replicas_and_min_insync_two(
    three_brokers: tuple[str, str], tmp_path: Path
) -> None:
    """The gateway, the tracker and an HTTP sink of one node create their topics (inboxes,
    retry tiers, DLQs, gateway state and trace logs, changelog, connector DLQ): each has 3
    replicas and min.insync.replicas=2, none configured in node.yaml, tracker.yaml or the
    sink's file."""
    _, bootstrap = three_brokers
    node = PrivateNode(bootstrap, tmp_path)
    config = load_gateway_config(node.write(PORTAL_ROUTES))
    await node.create(
        node.inbox("portal"), node.inbox(WARD), node.topic("vn.gov.dossier.status.v1")
    )
    tracker = TrackerConfig(node=node.name, api=ApiConfig(port=free_port()))
    async with AgencyApp().serve() as agency:
        sink = HttpSinkConfig.model_validate(
            {"name": "dms", "node": node.name, "agency": WARD, "bootstrap_servers": bootstrap,
             "url": f"{agency.url}/inbox"}
        )  # fmt: skip
        async with (
            Gateway(config, bootstrap, CollectorRegistry(), security=PLAINTEXT),
            run_tracker(tracker, Settings(bootstrap_servers=bootstrap)),
            run_connector(sink, SETTINGS),
        ):
            pass
    created = [t for t in await list_topics(bootstrap) if t.startswith(f"lgsp.{node.name}.")]
    areas = {t.split(".")[2] for t in created}
    assert {"inbox", "gateway", "tracker", "connector"} <= areas, created
    assert any(".retry." in t for t in created) and any(t.endswith(".dlq") for t in created)
    traces = {f"lgsp.{node.name}.gateway.{log}" for log in ("route-log", "link-log")}
    assert traces <= set(created), created  # the trace logs follow the cluster's settings too
    found = await _replication(bootstrap, created)
    wrong = {t: r for t, r in found.items() if r != ({3}, "2")}
    assert not wrong, f"topics not at 3 replicas / min.insync 2: {wrong}"
    assert len(found) == len(created) >= 8


async def test_a_killed_broker_is_started_again_alone_and_writes_go_on_without_it(
    three_brokers: tuple[str, str],
) -> None:
    """SIGKILL one of three brokers: the cluster's status shows it stopped and the others
    running, acks=all writes still succeed (2 in sync >= min.insync 2), and start_cluster (as
    ``lgsp kafka up``) starts that broker alone: the two others keep their pids."""
    name, bootstrap = three_brokers
    paths = ClusterPaths.of(SETTINGS.home, name)
    before = {n.node_id: read_pid(n) for n in paths.nodes()}
    topic = f"lgsp.rf3{uuid.uuid4().hex[:6]}.inbox.000.00.00.G22"
    await ensure_topics(bootstrap, [TopicSpec(topic, 3)])
    victim = paths.node(2)
    os.killpg(before[2] or 0, signal.SIGKILL)
    while read_pid(victim) is not None:  # noqa: ASYNC110 (the broker's process, not ours)
        await asyncio.sleep(0.1)
    status = cluster_status(SETTINGS, name)
    assert [b.running for b in status.brokers] == [True, False, True] and not status.running
    survivors = ",".join(b.bootstrap_servers or "" for b in status.brokers if b.running)
    async with KafkaPublisher(survivors, request_timeout_ms=20_000) as publisher:
        for i in range(30):
            await publisher.publish(OutgoingRecord(topic, b"v", key=f"k{i}".encode()))
    restarted = await start_cluster(SETTINGS, name)
    assert not restarted.reused and restarted.running
    after = {b.node_id: b.pid for b in restarted.brokers}
    assert after[1] == before[1] and after[3] == before[3], "only the missing broker started"
    assert after[2] is not None and after[2] != before[2]
