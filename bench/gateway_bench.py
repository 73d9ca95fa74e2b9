"""Gateway throughput and latency on the local broker.

Both sides use the same batch settings (2,000 records per poll, 256 KiB producer batches,
linger 5 ms), so the ratio shows the cost of routing and transactions alone.

Throughput: N dossier records wait on the node's event topic; the time to drain them into the
destination is measured for (1) a bare aiokafka consume-produce passthrough (acks=1, offsets
committed per batch, no transactions, no routing) and (2) the gateway (routing, dedup marker,
transactions, exactly-once), on the same topics in the same run, repeated in rounds
(baselines and gateway interleaved, so a noisy neighbour hits all three); the median ratio is
the figure. Target ratio >= 0.8.
Peers: the same passthrough with confluent-kafka (librdkafka), plain and transactional, in a
process of its own (bench/librdkafka_passthrough.py).
Latency: records published at a steady rate through a running gateway; p50/p99 from ce_time to
the moment a read_committed consumer sees the routed copy.

    .venv/bin/python bench/gateway_bench.py [--records 50000] [--rounds 3] [--rate 2000]
        [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from benchbroker import bench_broker, bench_settings  # a sibling script
from librdkafka_passthrough import librdkafka_passthrough  # a sibling script

from bus.eventloop import run_service
from bus.gctuning import tune_gc
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.factory import PLAINTEXT, new_baseline_producer, new_consumer, new_producer
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.runner import run_gateway
from gateway.runtime.gateway import Gateway
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope, parse_time
from schemas.examples import example_record
from schemas.validation import VALIDATED_HEADER, ruleset_id

PARTITIONS = 3
# records as the connector SDK publishes them: checked against the standards and stamped, so
# the gateway's admission is one header comparison (unstamped ones are decoded and checked:
# ~130 us a record, docs/validation.md)
STAMP = (VALIDATED_HEADER, ruleset_id().encode())
ROUTES = """routes:
  - name: dossiers-to-portal
    types: [vn.gov.dossier.status.v1]
    from: [under 000.00.00.H24]
    deliver: topic
    topic: lgsp.{node}.inbox.portal
"""


def _records(count: int) -> list[OutgoingRecord]:
    schema = bundled_catalog().get("dossier.status", 1)
    codec, base = AvroCodec(), example_record(schema)
    out = []
    for i in range(count):
        code = f"H24.22-{i % 5000:05d}"
        envelope = Envelope.new(
            source="000.01.02.H24",
            type=schema.event_type,
            subject=code,
            dataschema=schema.dataschema,
        )
        out.append(
            OutgoingRecord(
                topic="",
                key=code.encode(),
                value=codec.encode(schema, base | {"dossierCode": code}),
                headers=[*envelope.to_headers(), STAMP],
            )
        )
    return out


async def _publish(bootstrap: str, topic: str, records: list[OutgoingRecord]) -> None:
    async with KafkaPublisher(bootstrap) as publisher:
        futures = [
            await publisher.enqueue(OutgoingRecord(topic, r.value, r.key, r.headers))
            for r in records
        ]
        await asyncio.gather(*futures)


async def _count_until(bootstrap: str, topic: str, expected: int, timeout_s: float = 600) -> None:
    async with kafka_consumer(bootstrap, topic, group_id=None) as consumer:
        seen, deadline = 0, time.monotonic() + timeout_s
        while seen < expected and time.monotonic() < deadline:
            seen += sum(
                len(v) for v in (await consumer.getmany(timeout_ms=200, max_records=5000)).values()
            )


async def _bare_passthrough(
    bootstrap: str, source: str, target: str, expected: int, *, durable: bool
) -> float:
    """Consume, produce as is, commit per batch. ``durable``: the bus's delivery settings
    (read_committed, idempotent acks=all) without routing or transactions."""
    consumer = new_consumer(
        bootstrap,
        PLAINTEXT,
        source,
        group_id=f"bare-{uuid.uuid4().hex[:6]}",
        max_poll_records=2000,
        isolation_level="read_committed" if durable else "read_uncommitted",
    )
    batching = {"linger_ms": 5, "max_batch_size": 256 * 1024}
    producer = (
        new_producer(bootstrap, PLAINTEXT, **batching)
        if durable
        else new_baseline_producer(bootstrap, PLAINTEXT, acks=1, **batching)
    )
    await consumer.start()
    await producer.start()
    began, moved = time.perf_counter(), 0
    try:
        while moved < expected:
            batch = await consumer.getmany(timeout_ms=200, max_records=2000)
            futures = [
                await producer.send(target, value=r.value, key=r.key, headers=list(r.headers))
                for records in batch.values()
                for r in records
            ]
            await asyncio.gather(*futures)
            if futures:
                await consumer.commit()
            moved += len(futures)
        return expected / (time.perf_counter() - began)
    finally:
        await consumer.stop()
        await producer.stop()


@contextlib.asynccontextmanager
async def _gateway(bootstrap: str, folder: Path, node: str) -> AsyncIterator[Gateway]:
    (folder / "routes.yaml").write_text(ROUTES.format(node=node))
    (folder / "node.yaml").write_text(
        json.dumps({"node": node, "partitions": PARTITIONS, "admin": {"port": 0}})
    )
    config = load_gateway_config(folder / "node.yaml")
    async with run_gateway(config, Settings(), bootstrap=bootstrap) as running:
        await running.wait_ready(timeout_s=600)
        yield running.gateway


async def _throughput(bootstrap: str, count: int) -> dict[str, float]:
    """One round: records/s of each baseline, the librdkafka peers and the gateway."""
    node = f"bench{uuid.uuid4().hex[:6]}"
    source, portal, bare_out = (
        f"lgsp.{node}.dossier.status.v1",
        f"lgsp.{node}.inbox.portal",
        f"bench.bare.{node}",
    )
    await ensure_topics(bootstrap, [TopicSpec(t, PARTITIONS) for t in (source, portal, bare_out)])
    await _publish(bootstrap, source, _records(count))
    bare = await _bare_passthrough(bootstrap, source, bare_out, count, durable=False)
    durable = await _bare_passthrough(bootstrap, source, bare_out, count, durable=True)
    rdkafka = await asyncio.to_thread(
        librdkafka_passthrough, bootstrap, source, bare_out, count, "plain"
    )
    rdkafka_tx = await asyncio.to_thread(
        librdkafka_passthrough, bootstrap, source, bare_out, count, "transactional"
    )
    with tempfile.TemporaryDirectory() as folder:
        async with _gateway(bootstrap, Path(folder), node) as gateway:
            began = time.perf_counter()  # from ready (joined, state restored), like the baseline
            while _routed(gateway) < count:  # noqa: ASYNC110 - polling the gateway's own counter
                await asyncio.sleep(0.02)
            routed = count / (time.perf_counter() - began)
    await _count_until(bootstrap, portal, count)  # and every routed record is really there
    return {
        "bare": bare,
        "durable": durable,
        "rdkafka": rdkafka,
        "rdkafka_tx": rdkafka_tx,
        "gateway": routed,
    }


def _routed(gateway: Gateway) -> float:
    """Records routed so far, read from the one counter (cheap: this runs in the measured
    process while it routes)."""
    return sum(
        s.value
        for m in gateway.metrics.records_out.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


async def _latency(bootstrap: str, rate: int, seconds: float) -> list[float]:
    node = f"bench{uuid.uuid4().hex[:6]}"
    source, portal = f"lgsp.{node}.dossier.status.v1", f"lgsp.{node}.inbox.portal"
    await ensure_topics(bootstrap, [TopicSpec(t, PARTITIONS) for t in (source, portal)])
    total = int(rate * seconds)
    records = _records(total)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        async with _gateway(bootstrap, Path(folder), node):

            async def receive() -> None:
                async with kafka_consumer(
                    bootstrap,
                    portal,
                    group_id=None,
                    auto_offset_reset="latest",
                    fetch_max_wait_ms=10,
                ) as consumer:
                    while len(latencies) < total:
                        for batch in (await consumer.getmany(timeout_ms=200)).values():
                            now = datetime.now(UTC)
                            latencies.extend(
                                (
                                    now - parse_time(dict(r.headers)["ce_time"].decode())
                                ).total_seconds()
                                for r in batch
                            )

            receiver = asyncio.create_task(receive())
            await asyncio.sleep(2)
            async with KafkaPublisher(bootstrap, linger_ms=1) as publisher:
                began = time.perf_counter()
                for i, r in enumerate(records):
                    fresh = Envelope.from_headers(r.headers)
                    fresh = Envelope.new(
                        source=fresh.source,
                        type=fresh.type,
                        subject=fresh.subject,
                        dataschema=fresh.dataschema,
                    )
                    await publisher.enqueue(
                        OutgoingRecord(source, r.value, r.key, [*fresh.to_headers(), STAMP])
                    )
                    delay = began + (i + 1) / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await publisher.flush()
            await asyncio.wait_for(receiver, 120)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (median shown)")
    parser.add_argument("--uvloop", action="store_true", help="uvloop, not asyncio's loop")
    args = parser.parse_args()
    tune_gc()  # as `lgsp gateway run` does; the baselines run in this process too
    settings = bench_settings()
    async with bench_broker(settings) as bootstrap:
        await _throughput(bootstrap, min(args.records, 20_000))  # warm the broker's JIT up first
        loop = "uvloop" if args.uvloop else "asyncio"
        print(f"{args.records} dossier records, {PARTITIONS} partitions, one process each, {loop}")
        print(
            "round  bare acks=1  bare durable*  librdkafka  librdkafka tx**  gateway"
            "  ratio to bare  to durable*  to librdkafka  to librdkafka tx**"
        )
        rounds = []
        for number in range(1, args.rounds + 1):
            rates = await _throughput(bootstrap, args.records)
            ratios = {k: rates["gateway"] / v for k, v in rates.items() if k != "gateway"}
            rounds.append(ratios)
            print(
                f"{number:>5}  {rates['bare']:>11,.0f}  {rates['durable']:>13,.0f}  "
                f"{rates['rdkafka']:>10,.0f}  {rates['rdkafka_tx']:>15,.0f}  "
                f"{rates['gateway']:>7,.0f}  {ratios['bare']:>13.2f}  {ratios['durable']:>11.2f}  "
                f"{ratios['rdkafka']:>13.2f}  {ratios['rdkafka_tx']:>18.2f}"
            )
        print("* idempotent acks=all, read_committed: the bus's delivery settings")
        print("** confluent-kafka (librdkafka), read_committed, one transaction per batch")

        def median(key: str) -> float:
            return statistics.median(r[key] for r in rounds)

        print(
            f"median ratio to bare acks=1: {median('bare'):.2f}; to bare durable: "
            f"{median('durable'):.2f} (target >= 0.80); to librdkafka acks=1: "
            f"{median('rdkafka'):.2f}; to librdkafka transactional: {median('rdkafka_tx'):.2f}"
        )
        latencies = await _latency(bootstrap, args.rate, args.seconds)
        warm = sorted(latencies[len(latencies) // 5 :])  # the first fifth warms up connections
        cold = sorted(latencies)
        where = f"at {args.rate} records/s for {args.seconds:.0f} s, ce_time to routed and visible"
        print(f"latency {where}:")
        for label, values in (("all", cold), ("after warm-up", warm)):
            p50, p90, p99 = (values[int(len(values) * q) - 1] * 1000 for q in (0.5, 0.9, 0.99))
            print(
                f"  {label:>14}: p50 {p50:.0f} ms, p90 {p90:.0f} ms, p99 {p99:.0f} ms, "
                f"max {values[-1] * 1000:.0f} ms"
            )


if __name__ == "__main__":
    run_service(main(), use_uvloop="--uvloop" in sys.argv)
