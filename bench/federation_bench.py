"""Federation throughput across one link, and the cost of signing and verifying.

Two local clusters (A and B). N document-status records wait in A's outbox for B; the time to
drain them onto B is measured for (1) a bare aiokafka consume-produce copy between the two
clusters (read_committed, idempotent acks=all, offsets committed per batch: the link's delivery
settings without signatures) and (2) the link (signing every record) with B's border behind it
(verifying, dedup, audit chain, receipts off, one transaction per batch), in the same run.
Signing and verifying are also timed alone per record, for Ed25519 and ECDSA P-256.

    .venv/bin/python bench/federation_bench.py [--records 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.factory import PLAINTEXT, new_consumer, new_producer
from bus.localkafka import local_cluster, stop_cluster
from bus.settings import Settings
from gateway.federation.border.admission import Border
from gateway.federation.border.verify import verify_record
from gateway.federation.config import TrustConfig
from gateway.federation.links.control import LinkControl
from gateway.federation.links.forwarder import Link, signed_headers
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.authoring import registry_key, write_key_pair
from gateway.federation.trust.registry import (
    RegistryDocument,
    RegistryNode,
    open_registry,
    sign_registry,
)
from gateway.federation.trust.signing import (
    Algorithm,
    NodeSigner,
    load_private_key,
    load_public_key,
)
from gateway.federation.trust.store import TrustStore
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.topics import border_topic, event_topic, link_topic

PARTITIONS = 3
STATUS = "vn.gov.document.status.v1"


def _records(count: int) -> list[OutgoingRecord]:
    schema = bundled_catalog().for_event_type(STATUS)
    codec, base = AvroCodec(), example_record(schema)
    out = []
    for i in range(count):
        envelope = Envelope.new(
            source="000.01.02.H24",
            type=STATUS,
            dataschema=schema.dataschema,
            recipients=["000.00.00.G22"],
        )
        value = codec.encode(schema, base | {"documentId": f"DOC-{i % 3000}"})
        out.append(OutgoingRecord("", value, f"DOC-{i % 3000}".encode(), envelope.to_headers()))
    return out


async def _publish(bootstrap: str, topic: str, records: list[OutgoingRecord]) -> None:
    async with KafkaPublisher(bootstrap) as publisher:
        futures = [
            await publisher.enqueue(OutgoingRecord(topic, r.value, r.key, r.headers))
            for r in records
        ]
        await asyncio.gather(*futures)


async def _count_until(bootstrap: str, topic: str, expected: int) -> None:
    async with kafka_consumer(bootstrap, topic, group_id=None) as consumer:
        seen = 0
        while seen < expected:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            seen += sum(len(v) for v in batch.values())


async def _bare_copy(source: str, topic: str, target: str, target_topic: str, count: int) -> float:
    consumer = new_consumer(
        source,
        PLAINTEXT,
        topic,
        group_id=f"bare-{uuid.uuid4().hex[:6]}",
        max_poll_records=1000,
    )
    producer = new_producer(target, PLAINTEXT, linger_ms=5, max_batch_size=256 * 1024)
    await consumer.start()
    await producer.start()
    try:
        started, copied = time.perf_counter(), 0
        while copied < count:
            batch = await consumer.getmany(timeout_ms=200, max_records=1000)
            futures = [
                await producer.send(target_topic, r.value, key=r.key, headers=list(r.headers))
                for records in batch.values()
                for r in records
            ]
            await asyncio.gather(*futures)
            await consumer.commit()
            copied += len(futures)
        await _count_until(target, target_topic, count)
        return time.perf_counter() - started
    finally:
        await consumer.stop()
        await producer.stop()


def _registry(folder: Path, algorithm: Algorithm) -> Path:
    write_key_pair(folder, "anchor")
    write_key_pair(folder, "a-1", algorithm)
    now = datetime.now(UTC)
    key = registry_key(
        "a-1", folder / "a-1.pub.pem", now - timedelta(days=1), now + timedelta(days=1)
    )
    document = RegistryDocument(
        serial=1,
        issued_at=now,
        nodes=[
            RegistryNode(
                name="a", operator="000.00.00.H24", agencies=["under 000.00.00.H24"], keys=[key]
            ),
            RegistryNode(
                name="b", operator="000.00.00.G22", hub=True, agencies=["under 000.00.00.G22"]
            ),
        ],
    )
    path = folder / "registry.json"
    path.write_bytes(sign_registry(document, "anchor", load_private_key(folder / "anchor.key.pem")))
    return path


async def _link_and_border(a: str, b: str, folder: Path, count: int) -> float:
    registry_file = _registry(folder, "Ed25519")
    trust_config = TrustConfig(
        registry=str(registry_file), anchors={"anchor": folder / "anchor.pub.pem"}
    )
    metrics_a = FederationMetrics(CollectorRegistry(), "a")
    metrics_b = FederationMetrics(CollectorRegistry(), "b")
    trust_a, trust_b = (
        TrustStore(trust_config, folder, metrics_a),
        TrustStore(trust_config, folder, metrics_b),
    )
    await trust_a.refresh()
    await trust_b.refresh()
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    destination = str(event_topic("b", STATUS))
    await ensure_topics(b, [TopicSpec(destination, PARTITIONS)])
    border = Border(
        "b",
        b,
        ["a"],
        PARTITIONS,
        trust_b,
        lambda: signer,
        bundled_catalog(),
        lambda: {STATUS},
        metrics_b,
        timedelta(days=1),
        timedelta(days=1),
    )
    async with LinkControl(a, "a") as control:
        link = Link("a", "b", a, b, PARTITIONS, lambda: signer, trust_a, control, metrics_a)
        started = time.perf_counter()
        tasks = [asyncio.create_task(border.run()), asyncio.create_task(link.run())]
        try:
            await _count_until(b, destination, count)
            return time.perf_counter() - started
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _crypto_costs(folder: Path, rounds: int = 2000) -> dict[str, tuple[float, float]]:
    costs: dict[str, tuple[float, float]] = {}
    record = _records(1)[0]
    algorithms: tuple[Algorithm, ...] = ("Ed25519", "ECDSA-P256-SHA256")
    for algorithm in algorithms:
        sub = folder / algorithm
        registry_file = _registry(sub, algorithm)
        trusted = open_registry(
            registry_file.read_bytes(),
            {"anchor": load_public_key((sub / "anchor.pub.pem").read_text())},
        )
        signer = NodeSigner("a-1", load_private_key(sub / "a-1.key.pem"))
        started = time.perf_counter()
        for _ in range(rounds):
            headers = signed_headers(record.headers, record.key, record.value, signer)
        sign_us = (time.perf_counter() - started) / rounds * 1e6
        now = datetime.now(UTC)
        started = time.perf_counter()
        for _ in range(rounds):
            verify_record(trusted, "a", headers, record.key, record.value, now, timedelta(days=1))
        costs[algorithm] = (sign_us, (time.perf_counter() - started) / rounds * 1e6)
    return costs


async def main(count: int) -> None:
    settings = Settings()
    for name in ("bench-a", "bench-b"):
        await stop_cluster(settings, name, purge=True)
    async with local_cluster(settings, "bench-a") as ca, local_cluster(settings, "bench-b") as cb:
        a, b = ca.bootstrap_servers or "", cb.bootstrap_servers or ""
        outbox = link_topic("a", "b")
        await ensure_topics(a, [TopicSpec(outbox, PARTITIONS)])
        await ensure_topics(
            b, [TopicSpec("bare-copy", PARTITIONS), TopicSpec(border_topic("b", "a"), PARTITIONS)]
        )
        await _publish(a, outbox, _records(count))
        bare_s = await _bare_copy(a, outbox, b, "bare-copy", count)
        with tempfile.TemporaryDirectory() as folder:
            link_s = await _link_and_border(a, b, Path(folder), count)
            costs = _crypto_costs(Path(folder))
    print(f"records: {count:,}, {PARTITIONS} partitions, clusters A -> B on loopback")
    print(f"bare consume-produce copy A->B : {count / bare_s:10,.0f} records/s")
    print(
        f"link (sign) + border (verify)  : {count / link_s:10,.0f} records/s "
        f"(ratio {bare_s / link_s:.2f})"
    )
    for algorithm, (sign_us, verify_us) in costs.items():
        print(f"{algorithm:18}: sign {sign_us:6.1f} us/record, verify {verify_us:6.1f} us/record")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().records))
