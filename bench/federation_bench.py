"""Federation throughput across one link, and the cost of signing and verifying.

Two local clusters (A and B). N document-status records wait in A's outbox for B; the time to
drain them onto B is measured for (1) a bare aiokafka consume-produce copy between the two
clusters (read_committed, idempotent acks=all, offsets committed per batch: the link's delivery
settings without signatures) and (2) the link (signing every record) with B's border behind it
(verifying, dedup, audit chain, receipts off, one transaction per batch), in the same run.
Signing and verifying are also timed alone per record, for Ed25519 and ECDSA P-256.

    .venv/bin/python bench/federation_bench.py [--records 20000] [--no-mm2] [--ablation]

``--ablation`` adds two batch-signed contenders that show what each part of the pipelining
gives: a window of one batch with one border transaction per fetched batch (the shape before
docs/decisions/0004), then the window of four alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import multiprocessing
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchbroker import bench_settings  # a sibling script
from federation_pull import PullBorder, ensure_offsets_topic, signed_batches  # a sibling script
from mirrormaker import mirror_maker, mirror_maker_jars  # a sibling script
from prometheus_client import CollectorRegistry

from bus.gctuning import tune_gc
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT, new_consumer, new_producer
from bus.localkafka import local_cluster, stop_cluster
from bus.settings import Settings
from gateway.federation.border.admission import Border, TransactionLimits
from gateway.federation.border.verify import VerifiedRoots, verify_record
from gateway.federation.config import SigningMode, TrustConfig
from gateway.federation.links.control import LinkControl
from gateway.federation.links.forwarder import Link
from gateway.federation.links.signing import batch_signed_headers, signed_headers
from gateway.federation.links.window import WindowLimits
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


@contextlib.asynccontextmanager
async def _arrivals(
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


async def _bare_copy(source: str, topic: str, target: str, target_topic: str, count: int) -> None:
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
        copied = 0
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
    finally:
        await consumer.stop()
        await producer.stop()


def _registry(folder: Path, algorithm: Algorithm, a: str = "a", b: str = "b") -> Path:
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


async def _trust(folder: Path, node: str) -> tuple[TrustStore, FederationMetrics]:
    trust_config = TrustConfig(
        registry=str(folder / "registry.json"), anchors={"anchor": folder / "anchor.pub.pem"}
    )
    metrics = FederationMetrics(CollectorRegistry(), node)
    trust = TrustStore(trust_config, folder, metrics)
    await trust.refresh()
    return trust, metrics


async def _border(
    b: str,
    folder: Path,
    names: tuple[str, str],
    limits: TransactionLimits | None = None,
    pull_from: str | None = None,
) -> None:
    """B's border for the link from ``names[0]``, until cancelled; ``pull_from``: the
    border reads its inbound topic from that cluster (``federation_pull``)."""
    node_a, node_b = names
    trust, metrics = await _trust(folder, node_b)
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


def _border_process(
    b: str, folder: str, names: tuple[str, str], pull_from: str | None = None
) -> None:
    """The border in a process of its own, as a node runs it (spawned, so it is a fresh
    interpreter with the same GC tuning as `lgsp gateway run`)."""
    tune_gc()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_border(b, Path(folder), names, pull_from=pull_from))


async def _pull(
    a: str, b: str, folder: Path, count: int, names: tuple[str, str], *, apart: bool
) -> float:
    """Seconds for B's border to carry ``count`` batch-signed records from A's outbox into
    B's event topic itself, without a link (``federation_pull``)."""
    node_a, node_b = names
    _registry(folder, "Ed25519", node_a, node_b)
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    outbox, destination = border_topic(node_b, node_a), str(event_topic(node_b, STATUS))
    await ensure_topics(a, [TopicSpec(outbox, PARTITIONS)])
    await ensure_topics(b, [TopicSpec(destination, PARTITIONS)])
    await ensure_offsets_topic(b, node_b)
    await _publish(a, outbox, signed_batches(_records(count), signer))
    async with _arrivals(b, destination, count) as arrivals:
        if apart:
            process = multiprocessing.get_context("spawn").Process(
                target=_border_process, args=(b, str(folder), names, a), daemon=True
            )
            process.start()
            try:
                return await arrivals
            finally:
                process.terminate()
                process.join(10)
        task = asyncio.create_task(_border(b, folder, names, pull_from=a))
        try:
            return await arrivals
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _link_and_border(
    a: str,
    b: str,
    folder: Path,
    count: int,
    signing: SigningMode,
    names: tuple[str, str],
    *,
    apart: bool,
    window: WindowLimits | None = None,
    limits: TransactionLimits | None = None,
) -> float:
    """Seconds for the link (node ``names[0]`` on A) and B's border (node ``names[1]``) to
    carry ``count`` records waiting in the link's outbox into B's event topic. ``apart``: the
    border runs in its own process, as deployed (the link is on another node)."""
    node_a, node_b = names
    _registry(folder, "Ed25519", node_a, node_b)
    trust, metrics = await _trust(folder, node_a)
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    destination = str(event_topic(node_b, STATUS))
    await ensure_topics(b, [TopicSpec(destination, PARTITIONS)])
    async with (
        _arrivals(b, destination, count) as arrivals,
        LinkControl(ClusterAccess(a, PLAINTEXT), node_a) as control,
    ):
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
        border_process = None
        tasks = [asyncio.create_task(link.run())]
        if apart:
            border_process = multiprocessing.get_context("spawn").Process(
                target=_border_process, args=(b, str(folder), names), daemon=True
            )
            border_process.start()
        else:
            tasks.append(asyncio.create_task(_border(b, folder, names, limits)))
        try:
            return await arrivals
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if border_process is not None:
                border_process.terminate()
                border_process.join(10)


async def _mirror_maker(settings: Settings, a: str, b: str, topic: str, count: int) -> float:
    """Seconds for MirrorMaker 2 to copy ``count`` records of ``topic`` onto B."""
    copied = f"A.{topic}"
    await ensure_topics(b, [TopicSpec(copied, PARTITIONS)])
    async with _arrivals(b, copied, count) as arrivals, mirror_maker(settings, a, b, topic) as mm2:
        done, _ = await asyncio.wait([arrivals], timeout=900)
        if not done or mm2.returncode is not None:
            raise RuntimeError(f"MirrorMaker 2 stopped or stalled (exit {mm2.returncode})")
        return arrivals.result()


def _crypto_costs(folder: Path, rounds: int = 2000) -> dict[str, tuple[float, float, float]]:
    """CPU time per record (so a busy neighbour does not move it): sign, verify alone; and
    both for a batch of 1,000 signed as one tree and verified at a border (one signature
    check, 1,000 proofs)."""
    costs: dict[str, tuple[float, float, float]] = {}
    records = _records(1000)
    record = records[0]
    algorithms: tuple[Algorithm, ...] = ("Ed25519", "ECDSA-P256-SHA256")
    for algorithm in algorithms:
        sub = folder / algorithm
        registry_file = _registry(sub, algorithm)
        trusted = open_registry(
            registry_file.read_bytes(),
            {"anchor": load_public_key((sub / "anchor.pub.pem").read_text())},
        )
        signer = NodeSigner("a-1", load_private_key(sub / "a-1.key.pem"))
        started = time.process_time()
        for _ in range(rounds):
            headers = signed_headers(record.headers, record.key, record.value, signer)
        sign_us = (time.process_time() - started) / rounds * 1e6
        now = datetime.now(UTC)
        started = time.process_time()
        for _ in range(rounds):
            verify_record(trusted, "a", headers, record.key, record.value, now, timedelta(days=1))
        verify_us = (time.process_time() - started) / rounds * 1e6
        started = time.process_time()
        signed = batch_signed_headers([(r.headers, r.key, r.value) for r in records], signer)
        roots = VerifiedRoots()
        for r, h in zip(records, signed, strict=True):
            verify_record(trusted, "a", h, r.key, r.value, now, timedelta(days=1), roots)
        batch_us = (time.process_time() - started) / len(records) * 1e6
        costs[algorithm] = (sign_us, verify_us, batch_us)
    return costs


# (label, signing, border in its own process, link window, border transactions)
Contender = tuple[str, SigningMode, bool, WindowLimits | None, TransactionLimits | None]
CONTENDERS: tuple[Contender, ...] = (
    ("batch", "batch", False, None, None),
    ("record", "record", False, None, None),
    ("apart", "batch", True, None, None),
)
# what each change gives, batch-signed in one process: a window of one batch and one
# transaction per fetched batch (the shape before the pipelining), then the window alone
ABLATION: tuple[Contender, ...] = (
    ("w1-t1", "batch", False, WindowLimits(max_batches=1), TransactionLimits(max_seconds=0)),
    ("w4-t1", "batch", False, WindowLimits(max_batches=4), TransactionLimits(max_seconds=0)),
)


async def _round(
    settings: Settings,
    a: str,
    b: str,
    count: int,
    number: int,
    with_mm2: bool,
    contenders: tuple[Contender, ...] = CONTENDERS,
    pull: bool = False,
) -> dict[str, float]:
    """One round of every contender on fresh topics, in records/s."""
    records = _records(count)
    names = {c[0]: (f"a{number}{c[0][:2]}", f"b{number}{c[0][:2]}") for c in contenders}
    outboxes = {label: link_topic(*n) for label, n in names.items()}
    bare_target = f"bare-copy-{number}"
    await ensure_topics(a, [TopicSpec(t, PARTITIONS) for t in outboxes.values()])
    await ensure_topics(
        b,
        [
            TopicSpec(bare_target, PARTITIONS),
            *(TopicSpec(border_topic(n[1], n[0]), PARTITIONS) for n in names.values()),
        ],
    )
    for outbox in outboxes.values():
        await _publish(a, outbox, records)
    first_outbox = next(iter(outboxes.values()))
    async with _arrivals(b, bare_target, count) as arrivals:
        await _bare_copy(a, first_outbox, b, bare_target, count)
        rates = {"bare": count / await arrivals}
    with tempfile.TemporaryDirectory() as folder:
        for label, signing, apart, window, limits in contenders:
            seconds = await _link_and_border(
                a,
                b,
                Path(folder) / label,
                count,
                signing,
                names[label],
                apart=apart,
                window=window,
                limits=limits,
            )
            rates[label] = count / seconds
        if pull:
            for label, apart in (("pull", False), ("pull-apart", True)):
                seconds = await _pull(
                    a,
                    b,
                    Path(folder) / label,
                    count,
                    (f"a{number}{label[-2:]}", f"b{number}{label[-2:]}"),
                    apart=apart,
                )
                rates[label] = count / seconds
    if with_mm2:
        rates["mm2"] = count / await _mirror_maker(settings, a, b, first_outbox, count)
    return rates


async def main(
    count: int, rounds: int, with_mm2: bool, ablation: bool = False, pull: bool = False
) -> None:
    tune_gc()  # as `lgsp gateway run` does
    settings = bench_settings()
    for name in ("bench-a", "bench-b"):
        await stop_cluster(settings, name, purge=True)
    if with_mm2:
        await mirror_maker_jars(settings)
    async with local_cluster(settings, "bench-a") as ca, local_cluster(settings, "bench-b") as cb:
        a, b = ca.bootstrap_servers or "", cb.bootstrap_servers or ""
        contenders = CONTENDERS + ABLATION if ablation else CONTENDERS
        await _round(settings, a, b, min(count, 5000), 0, False)  # warm both brokers' JIT up
        print(f"records: {count:,} a round, {PARTITIONS} partitions, clusters A -> B on loopback")
        print(
            "round  bare copy  link+border: batch-signed  per-record-signed"
            "  batch, border in own process  MirrorMaker 2"
            + ("  window 1, txn per batch  window 4, txn per batch" if ablation else "")
            + ("  pull: border reads A  pull, border in own process" if pull else "")
        )
        results = []
        for number in range(1, rounds + 1):
            rates = await _round(settings, a, b, count, number, with_mm2, contenders, pull)
            results.append(rates)
            mm2 = f"{rates['mm2']:>13,.0f}" if with_mm2 else "            -"
            extra = f"  {rates['w1-t1']:>23,.0f}  {rates['w4-t1']:>23,.0f}" if ablation else ""
            if pull:
                extra += f"  {rates['pull']:>20,.0f}  {rates['pull-apart']:>29,.0f}"
            print(
                f"{number:>5}  {rates['bare']:>9,.0f}  {rates['batch']:>25,.0f}  "
                f"{rates['record']:>17,.0f}  {rates['apart']:>29,.0f}  {mm2}{extra}",
                flush=True,
            )
    with tempfile.TemporaryDirectory() as folder:
        costs = _crypto_costs(Path(folder))

    def median_ratio(label: str, to: str) -> float:
        return statistics.median(r[label] / r[to] for r in results)

    print(
        f"median ratio to the bare copy: batch-signed {median_ratio('batch', 'bare'):.2f} "
        f"(target >= 0.60), per-record-signed {median_ratio('record', 'bare'):.2f}, "
        f"batch-signed with the border in its own process {median_ratio('apart', 'bare'):.2f}"
    )
    if with_mm2:
        print(
            f"median ratio to MirrorMaker 2: batch-signed {median_ratio('batch', 'mm2'):.2f}, "
            f"border in own process {median_ratio('apart', 'mm2'):.2f}, "
            f"bare copy {median_ratio('bare', 'mm2'):.2f}"
        )
    if ablation:
        print(
            f"median ratio to the bare copy, batch-signed: window 1 and a transaction per batch "
            f"{median_ratio('w1-t1', 'bare'):.2f}, window 4 and a transaction per batch "
            f"{median_ratio('w4-t1', 'bare'):.2f}, both changes {median_ratio('batch', 'bare'):.2f}"
        )
    if pull:
        print(
            f"median ratio to the bare copy, records signed in A's outbox: the border reading A "
            f"{median_ratio('pull', 'bare'):.2f}, in its own process "
            f"{median_ratio('pull-apart', 'bare'):.2f}"
        )
    for algorithm, (sign_us, verify_us, batch_us) in costs.items():
        print(
            f"{algorithm:18}: per record: sign {sign_us:6.1f} us, verify {verify_us:6.1f} us; "
            f"batch of 1,000 signed and verified: {batch_us:5.1f} us a record"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-mm2", action="store_true", help="leave MirrorMaker 2 out")
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also a window of 1 batch and a transaction per batch, then the window alone",
    )
    parser.add_argument(
        "--pull",
        action="store_true",
        help="also the border reading A's outbox itself, records signed there (federation_pull)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.records, args.rounds, not args.no_mm2, args.ablation, args.pull))
