"""/readyz on the real broker: the gateway, a sink, a source and the tracker each answer 503
(saying why) while a backlog that was waiting when they started is worked off, 200 once it
is, 503 when their cluster stops and 200 again when it is back. /healthz answers throughout.

The cluster is this module's own (stopping it disturbs no other test)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from bus.httpserver import http_server
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.security import PLAINTEXT
from bus.localkafka import start_cluster, stop_cluster
from bus.localkafka.layout import free_port
from bus.settings import Settings
from connectors.checkpoints import CheckpointStore
from connectors.httppoll import HttpPollConfig
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from connectors.topics import checkpoint_spec, checkpoint_topic, consumer_group
from gateway.config import load_gateway_config
from gateway.ops.admin import admin_app
from gateway.ops.readiness import gateway_readiness
from gateway.runtime.gateway import Gateway
from schemas.topics import event_topic, inbox_topic
from tests.clusterharness import private_cluster
from tests.connectorharness import (
    DOSSIER,
    WARD,
    AgencyApp,
    dossier_json,
    private_node,
    publish_dossiers,
    wait_for_records,
)
from tests.faultharness import publish_many
from tests.gatewayharness import PORTAL_ROUTES, PrivateNode
from tests.readinessharness import ReadyzPoller, committed_total
from tracker.config import ApiConfig, TrackerConfig
from tracker.runner import run_tracker
from tracker.topics import source_topics
from tracker.traffic import TrafficSpec, generate_quarter, outgoing_records

SETTINGS = Settings()
READY_S = 180  # a loaded CI machine restarts a broker slowly
DOWN_S = 60  # stale_after_s + request_timeout_s, with room


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[tuple[str, str]]:
    """(name, bootstrap) of a cluster for this module alone; purged after."""
    with private_cluster("pytest-ready", SETTINGS) as cluster:
        yield cluster


async def _outage(name: str, poller: ReadyzPoller) -> None:
    """Stop the cluster: /readyz turns 503 naming Kafka; start it: 200 again."""
    await stop_cluster(SETTINGS, name)
    try:
        down = await poller.until(503, DOWN_S)
        assert any(reason.startswith("kafka:") for reason in down["missing"]), down
        async with httpx.AsyncClient() as client:
            alive = await client.get(poller.url.replace("/readyz", "/healthz"))
            assert alive.status_code == 200 and alive.json()["status"] == "ok"
    finally:
        await start_cluster(SETTINGS, name)
    await poller.until(200, READY_S)


@contextlib.asynccontextmanager
async def _running_gateway(config: Path, port: int) -> AsyncIterator[Gateway]:
    gateway_config = load_gateway_config(config)
    async with Gateway(
        gateway_config,
        gateway_config.bootstrap_servers or "",
        CollectorRegistry(),
        security=PLAINTEXT,
    ) as gateway:
        task = asyncio.create_task(gateway.run())
        try:
            async with (
                gateway_readiness(
                    gateway, interval_s=0.5, stale_after_s=3, request_timeout_s=2
                ) as readiness,
                http_server(admin_app(gateway, None, readiness), "127.0.0.1", port),
            ):
                yield gateway
        finally:
            gateway.stop()
            await task


async def test_gateway_is_ready_once_its_backlog_is_routed_and_while_its_cluster_answers(
    own_cluster: tuple[str, str], tmp_path: Path
) -> None:
    """A gateway started over a backlog says 503 until it routed it, then 200; 503 while the
    broker is stopped, 200 again once it is back."""
    name, bootstrap = own_cluster
    node = PrivateNode(bootstrap, tmp_path)
    config = node.write(PORTAL_ROUTES)
    await node.create(node.inbox("portal"), node.topic("vn.gov.dossier.status.v1"))
    backlog = len(await publish_many(bootstrap, node.topic("vn.gov.dossier.status.v1"), 6000))
    port = free_port()
    poller = ReadyzPoller(f"http://127.0.0.1:{port}/readyz")
    ready = asyncio.create_task(poller.until(200, READY_S))
    async with _running_gateway(config, port) as gateway:
        body = await ready
        routed = await committed_total(
            bootstrap, gateway.config.group_id, [node.topic("vn.gov.dossier.status.v1")]
        )
        assert routed == backlog, f"ready with {routed} of {backlog} routed"
        assert body["partitions"] == [0, 1, 2]
        assert poller.reasons(), "it said 503, with reasons, before"
        await _outage(name, poller)


async def test_sink_is_ready_once_its_inbox_backlog_is_delivered(
    own_cluster: tuple[str, str],
) -> None:
    """An HTTP sink started over a waiting inbox says 503 ("catching up") until the agency has
    every record, then 200 on its metrics port; 503 without its cluster, 200 after."""
    name, bootstrap = own_cluster
    node = private_node()
    inbox = inbox_topic(node, WARD)
    await ensure_topics(bootstrap, [TopicSpec(inbox, 2)])
    ids = await publish_dossiers(bootstrap, inbox, [f"H24.22-{i:04d}" for i in range(400)])
    port = free_port()
    poller = ReadyzPoller(f"http://127.0.0.1:{port}/readyz")
    async with AgencyApp(delay_s=0.01).serve() as agency:
        config = HttpSinkConfig.model_validate(
            {"name": "dms", "node": node, "agency": WARD, "bootstrap_servers": bootstrap,
             "url": f"{agency.url}/inbox", "metrics_port": port, "max_in_flight": 4}
        )  # fmt: skip
        ready = asyncio.create_task(poller.until(200, READY_S))
        async with run_connector(config, SETTINGS):
            await ready
            assert set(agency.received) == set(ids), "ready before the backlog was delivered"
            assert await committed_total(bootstrap, consumer_group(node, "dms"), [inbox]) == 400
            assert any("inbox: catching up" in r for r in poller.reasons()), poller.seen
            async with httpx.AsyncClient() as client:
                metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
            assert "lgsp_connector_" in metrics.text
            await _outage(name, poller)


async def test_source_is_ready_once_its_checkpoint_is_restored(
    own_cluster: tuple[str, str],
) -> None:
    """An HTTP-poll source whose checkpoint topic holds a long history says 503 until it has
    read it to the last position (and polls from there), then 200; 503 without its cluster."""
    name, bootstrap = own_cluster
    node = private_node()
    topic = str(event_topic(node, DOSSIER.event_type))
    await ensure_topics(bootstrap, [TopicSpec(topic, 1), checkpoint_spec(node, "motcua")])
    async with KafkaPublisher(bootstrap) as publisher:
        for i in range(100_000):  # the history of saves a long-running source leaves; restoring
            # 20,000 once took less than the poller's first 0.1 s on a quiet machine
            value = json.dumps({"position": str(i % 5), "saved_at": "2026-01-01T00:00:00Z"})
            await publisher.enqueue(
                OutgoingRecord(
                    checkpoint_topic(node, "motcua"), value.encode(), b"motcua", partition=0
                )
            )
        await publisher.flush()
    assert await CheckpointStore(bootstrap, node, "motcua").load() == "4"
    changes = [dossier_json(f"H24.22-{i}") for i in range(7)]
    port = free_port()
    poller = ReadyzPoller(f"http://127.0.0.1:{port}/readyz")
    async with AgencyApp(changes=changes).serve() as agency:
        config = HttpPollConfig.model_validate(
            {"name": "motcua", "node": node, "agency": WARD, "url": f"{agency.url}/changes",
             "subject": "dossier.status", "key_field": "dossierCode", "poll_interval_s": 0.1,
             "bootstrap_servers": bootstrap, "metrics_port": port}
        )  # fmt: skip
        ready = asyncio.create_task(poller.until(200, READY_S))
        async with run_connector(config, SETTINGS):
            await ready
            assert "not done: checkpoint restored" in poller.reasons(), poller.seen
            records = await wait_for_records(bootstrap, topic, 3)
            keys = [r.key for r in records]
            assert keys == [b"H24.22-4", b"H24.22-5", b"H24.22-6"], "polled from the last position"
            await _outage(name, poller)


async def test_tracker_is_ready_once_its_event_topics_are_caught_up(
    own_cluster: tuple[str, str],
) -> None:
    """A tracker started over a quarter of waiting events says 503 until its group has
    committed them all, then 200 on its API port; 503 without its cluster, 200 after."""
    name, bootstrap = own_cluster
    node = f"t{uuid.uuid4().hex[:8]}"
    port = free_port()
    records = outgoing_records(
        generate_quarter(TrafficSpec(dossiers=3000, documents=300, seed=5)), node
    )
    config = TrackerConfig(node=node, clock="events", api=ApiConfig(port=port), max_batch=200)
    await ensure_topics(bootstrap, [TopicSpec(t, config.partitions) for t in source_topics(node)])
    async with KafkaPublisher(bootstrap) as publisher:
        for record in records:
            await publisher.enqueue(record)
        await publisher.flush()
    poller = ReadyzPoller(f"http://127.0.0.1:{port}/readyz")
    ready = asyncio.create_task(poller.until(200, READY_S))
    async with run_tracker(config, Settings(bootstrap_servers=bootstrap)):
        await ready
        tracked = await committed_total(bootstrap, config.group_id, list(source_topics(node)))
        assert tracked == len(records), f"ready with {tracked} of {len(records)} tracked"
        assert any("event topics: catching up" in r for r in poller.reasons()), poller.seen
        await _outage(name, poller)
