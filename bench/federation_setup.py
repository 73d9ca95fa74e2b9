"""What the federation benches share: the records, the two clusters' topics and trust
registry, the watch that times a contender, and B's border (in this process or its own)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path

from federation_pull import PullBorder  # a sibling script
from prometheus_client import CollectorRegistry

from bus.gctuning import tune_gc
from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from gateway.federation.border.admission import Border, TransactionLimits
from gateway.federation.config import SigningMode, TrustConfig
from gateway.federation.links.control import LinkControl
from gateway.federation.links.forwarder import Link
from gateway.federation.links.window import WindowLimits
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.authoring import registry_key, write_key_pair
from gateway.federation.trust.registry import (
    RegistryDocument,
    RegistryNode,
    sign_registry,
)
from gateway.federation.trust.signing import (
    Algorithm,
    NodeSigner,
    load_private_key,
)
from gateway.federation.trust.store import TrustStore
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record

PARTITIONS = 3
STATUS = "vn.gov.document.status.v1"


def status_records(count: int) -> list[OutgoingRecord]:
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


async def publish(bootstrap: str, topic: str, records: list[OutgoingRecord]) -> None:
    async with KafkaPublisher(bootstrap) as publisher:
        futures = [
            await publisher.enqueue(OutgoingRecord(topic, r.value, r.key, r.headers))
            for r in records
        ]
        await asyncio.gather(*futures)


@contextlib.asynccontextmanager
async def timed_arrivals(
    bootstrap: str, topic: str, expected: int, also: tuple[str, ...] = ()
) -> AsyncIterator[asyncio.Task[float]]:
    """Watch ``topic`` (and the topics ``also``) during the block: the task gives the seconds
    from the first record's arrival to the ``expected``-th. Every contender is timed so (steady
    copying, without its start-up: group joins, the border's state restore, MirrorMaker's JVM
    and Connect worker)."""
    started = asyncio.Event()

    async def watch() -> float:
        async with kafka_consumer(bootstrap, topic, *also, group_id=None) as consumer:
            started.set()
            seen, first, deadline = 0, 0.0, time.monotonic() + 900
            while seen < expected:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{topic}: {seen} of {expected} records after 900 s")
                batch = await consumer.getmany(timeout_ms=100, max_records=5000)
                arrived = sum(len(v) for v in batch.values())
                if arrived and not seen:
                    first = time.perf_counter()
                seen += arrived
            return time.perf_counter() - first

    task = asyncio.create_task(watch())
    await started.wait()
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def write_registry(folder: Path, algorithm: Algorithm, a: str = "a", b: str = "b") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
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
                name=a, operator="000.00.00.H24", agencies=["under 000.00.00.H24"], keys=[key]
            ),
            RegistryNode(
                name=b, operator="000.00.00.G22", hub=True, agencies=["under 000.00.00.G22"]
            ),
        ],
    )
    path = folder / "registry.json"
    path.write_bytes(sign_registry(document, "anchor", load_private_key(folder / "anchor.key.pem")))
    return path


async def trust_store(folder: Path, node: str) -> tuple[TrustStore, FederationMetrics]:
    trust_config = TrustConfig(
        registry=str(folder / "registry.json"), anchors={"anchor": folder / "anchor.pub.pem"}
    )
    metrics = FederationMetrics(CollectorRegistry(), node)
    trust = TrustStore(trust_config, folder, metrics)
    await trust.refresh()
    return trust, metrics


async def run_border(
    b: str,
    folder: Path,
    names: tuple[str, str],
    limits: TransactionLimits | None = None,
    pull_from: str | None = None,
) -> None:
    """B's border for the link from ``names[0]``, until cancelled; ``pull_from``: the
    border reads its inbound topic from that cluster (``federation_pull``)."""
    node_a, node_b = names
    trust, metrics = await trust_store(folder, node_b)
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    make = (
        Border
        if pull_from is None
        else functools.partial(PullBorder, ClusterAccess(pull_from, PLAINTEXT))
    )
    border = make(
        node_b,
        ClusterAccess(b, PLAINTEXT),
        [node_a],
        PARTITIONS,
        trust,
        lambda: signer,
        bundled_catalog(),
        lambda: {STATUS},
        metrics,
        timedelta(days=1),
        timedelta(days=1),
        limits=limits,
    )
    await border.run()


def border_process(
    b: str, folder: str, names: tuple[str, str], pull_from: str | None = None
) -> None:
    """The border in a process of its own, as a node runs it (spawned, so it is a fresh
    interpreter with the same GC tuning as `lgsp gateway run`)."""
    tune_gc()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_border(b, Path(folder), names, pull_from=pull_from))


def spawn_border(
    b: str, folder: Path, names: tuple[str, str], pull_from: str | None = None
) -> BaseProcess:
    """``border_process`` started (``stop_all`` ends it)."""
    process = multiprocessing.get_context("spawn").Process(
        target=border_process, args=(b, str(folder), names, pull_from), daemon=True
    )
    process.start()
    return process


@contextlib.asynccontextmanager
async def running_link(
    a: str,
    b: str,
    folder: Path,
    names: tuple[str, str],
    signing: SigningMode = "batch",
    window: WindowLimits | None = None,
) -> AsyncIterator[None]:
    """The link of node ``names[0]`` on A to ``names[1]`` on B, forwarding during the block;
    the registry both ends trust is written into ``folder`` first."""
    node_a, node_b = names
    write_registry(folder, "Ed25519", node_a, node_b)
    trust, metrics = await trust_store(folder, node_a)
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    async with LinkControl(ClusterAccess(a, PLAINTEXT), node_a) as control:
        link = Link(
            node_a,
            node_b,
            ClusterAccess(a, PLAINTEXT),
            lambda: ClusterAccess(b, PLAINTEXT),
            PARTITIONS,
            lambda: signer,
            trust,
            control,
            metrics,
            signing=signing,
            window=window,
        )
        task = asyncio.create_task(link.run())
        try:
            yield
        finally:
            await stop_all([task], [])


async def stop_all(tasks: Sequence[asyncio.Task[None]], processes: Sequence[BaseProcess]) -> None:
    """Cancel ``tasks`` and terminate ``processes`` (a contender's links and borders), waiting
    for each to end."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for process in processes:
        process.terminate()
        process.join(10)
