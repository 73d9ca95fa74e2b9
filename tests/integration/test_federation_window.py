"""A link with several batches in flight, and a border with transactions spanning several
batches, across a peer outage: nothing lost, nothing let in twice, each key's order kept, and
the link's committed offsets at the end of its outbox."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT, new_consumer
from bus.localkafka import start_cluster, stop_cluster
from bus.settings import Settings
from gateway.federation.border.admission import Border, TransactionLimits
from gateway.federation.border.audit import check_chain
from gateway.federation.border.state import audit_topic
from gateway.federation.config import TrustConfig
from gateway.federation.links.control import LinkControl
from gateway.federation.links.forwarder import Link
from gateway.federation.links.window import WindowLimits
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.authoring import write_key_pair
from gateway.federation.trust.signing import NodeSigner, load_private_key
from gateway.federation.trust.store import TrustStore
from schemas.catalog import bundled_catalog
from schemas.topics import border_topic, event_topic, link_topic
from tests.clusterharness import private_cluster
from tests.federationharness import Federated
from tests.gatewayharness import headers_of, make_event, read_all

G22 = "000.00.00.G22"
STATUS = "vn.gov.document.status.v1"
PARTITIONS = 3
KEYS = 40


@pytest.fixture(scope="module")
def peer(settings: Settings) -> Iterator[tuple[str, str]]:
    """Đà Nẵng's cluster, this module's alone (it is stopped and started again: a small
    cluster restarts in seconds, the shared ones hold every test's topics)."""
    with private_cluster("window-danang", settings) as cluster:
        yield cluster


async def _trust(fed: Federated, node: str) -> TrustStore:
    config = TrustConfig(
        registry=str(fed.registry_file), anchors={"anchor-1": fed.keys / "anchor-1.pub.pem"}
    )
    store = TrustStore(config, fed.folder, FederationMetrics(CollectorRegistry(), node))
    await store.refresh()
    return store


async def _publish_paced(bootstrap: str, topic: str, count: int, per_second: float) -> None:
    """``count`` status records for ``KEYS`` documents, each carrying its number per document
    (``test-seq``), published at a steady pace so batches are on their way during the outage."""
    async with KafkaPublisher(bootstrap) as publisher:
        futures = []
        for i in range(count):
            envelope, _, value = make_event(
                "document.status", source=G22, recipients=["000.00.00.H15"]
            )
            key = f"DOC-{i % KEYS}".encode()
            headers = [*envelope.to_headers(), ("test-seq", str(i // KEYS).encode())]
            futures.append(await publisher.enqueue(OutgoingRecord(topic, value, key, headers)))
            if i % 50 == 49:
                await asyncio.sleep(50 / per_second)
        await asyncio.gather(*futures)


async def test_peer_outage_mid_window_loses_nothing_and_lets_nothing_in_twice(
    tmp_path: Path, kafka_bootstrap: str, peer: tuple[str, str], settings: Settings
) -> None:
    """NGSP's link keeps 4 batches of 50 in flight to Đà Nẵng while Đà Nẵng's cluster stops
    and starts again: every record enters Đà Nẵng once, in order per document, the audit chain
    is intact, and the link committed its whole outbox."""
    peer_name, peer_bootstrap = peer
    clusters = {"ngsp": kafka_bootstrap, "danang": peer_bootstrap}
    fed = Federated(tmp_path, clusters, roles=("ngsp", "danang"))
    write_key_pair(fed.keys, "anchor-1")
    for role in fed.roles:
        write_key_pair(fed.keys, f"{fed.names[role]}-k1")
    fed.sign_registry()
    ngsp, danang = fed.names["ngsp"], fed.names["danang"]
    count = int(os.environ.get("LGSP_TEST_WINDOW_RECORDS", "3000"))
    outage_s = float(os.environ.get("LGSP_TEST_WINDOW_OUTAGE_S", "3"))
    outbox = link_topic(ngsp, danang)
    destination = str(event_topic(danang, STATUS))
    await ensure_topics(clusters["ngsp"], [TopicSpec(outbox, PARTITIONS)])
    await ensure_topics(
        clusters["danang"],
        [TopicSpec(border_topic(danang, ngsp), PARTITIONS), TopicSpec(destination, PARTITIONS)],
    )
    ngsp_signer = NodeSigner(f"{ngsp}-k1", load_private_key(fed.keys / f"{ngsp}-k1.key.pem"))
    danang_signer = NodeSigner(f"{danang}-k1", load_private_key(fed.keys / f"{danang}-k1.key.pem"))
    local = ClusterAccess(clusters["ngsp"], PLAINTEXT)
    async with LinkControl(local, ngsp) as control:
        link = Link(
            ngsp,
            danang,
            local,
            lambda: ClusterAccess(clusters["danang"], PLAINTEXT),
            PARTITIONS,
            lambda: ngsp_signer,
            await _trust(fed, ngsp),
            control,
            FederationMetrics(CollectorRegistry(), ngsp),
            max_batch=50,
            window=WindowLimits(max_batches=4),
        )
        border = Border(
            danang,
            ClusterAccess(clusters["danang"], PLAINTEXT),
            [ngsp],
            PARTITIONS,
            await _trust(fed, danang),
            lambda: danang_signer,
            bundled_catalog(),
            lambda: {STATUS},
            FederationMetrics(CollectorRegistry(), danang),
            timedelta(days=1),
            timedelta(days=1),
            limits=TransactionLimits(max_records=400, max_seconds=0.2),
        )
        tasks = [asyncio.create_task(link.run()), asyncio.create_task(border.run())]
        publishing = asyncio.create_task(
            _publish_paced(clusters["ngsp"], outbox, count, per_second=count / 6)
        )
        try:
            await read_all(clusters["danang"], [destination], count // 5, settle_s=0)
            await stop_cluster(settings, peer_name)
            try:
                await asyncio.sleep(outage_s)
            finally:
                await start_cluster(settings, peer_name)
            await publishing
            got = await read_all(
                clusters["danang"], [destination], count, timeout_s=180, settle_s=3
            )
        finally:
            for task in [*tasks, publishing]:
                task.cancel()
            # bounded: a failing test must end with its own error, not the run's timeout
            await asyncio.wait([*tasks, publishing], timeout=60)
    copies = Counter(headers_of(r)["ce_id"] for r in got)
    assert len(copies) == count, f"lost {count - len(copies)}"
    assert max(copies.values()) == 1, "a record was let in twice"
    numbers: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(got, key=lambda r: (r.partition, r.offset)):
        numbers[record.key or b""].append(int(headers_of(record)["test-seq"]))
    assert all(seq == sorted(seq) for seq in numbers.values()), "a document's order changed"
    async with LogReader(clusters["danang"], security=PLAINTEXT) as reader:
        entries = [
            json.loads(r.value or b"{}")
            for r in await reader.read({TopicPartition(audit_topic(danang), 0): None})
        ]
    assert check_chain((str(e["seq"]), e) for e in entries).intact
    decisions = Counter(e["decision"] for e in entries)
    assert decisions["accepted"] == count and decisions.get("refused", 0) == 0
    consumer = new_consumer(clusters["ngsp"], PLAINTEXT, group_id=f"lgsp-link-{ngsp}-{danang}")
    await consumer.start()
    try:
        parts = [TopicPartition(outbox, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(parts)
        committed = {tp: await consumer.committed(tp) for tp in parts}
    finally:
        await consumer.stop()
    assert committed == ends, "the link did not commit its whole outbox"
