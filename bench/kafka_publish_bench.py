"""Publish throughput through the local broker: the bus's producer (idempotent, acks=all)
against a bare aiokafka producer with acks=1 and no idempotence, same records, same run.

    .venv/bin/python bench/kafka_publish_bench.py [--records 50000] [--size 400]

Uses LGSP_BOOTSTRAP_SERVERS if set, else starts (and afterwards stops) a local cluster "bench".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from benchbroker import bench_settings  # a sibling script

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_baseline_producer
from bus.localkafka import cluster_status, local_cluster, stop_cluster


async def _ours(bootstrap: str, topic: str, values: list[bytes]) -> float:
    async with KafkaPublisher(bootstrap) as publisher:
        began = time.perf_counter()
        futures = [
            await publisher.enqueue(
                OutgoingRecord(topic=topic, key=f"k{i % 500}".encode(), value=v)
            )
            for i, v in enumerate(values)
        ]
        await asyncio.gather(*futures)
        return len(values) / (time.perf_counter() - began)


async def _bare(bootstrap: str, topic: str, values: list[bytes]) -> float:
    producer = new_baseline_producer(
        bootstrap, PLAINTEXT, acks=1, linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [
            await producer.send(topic, key=f"k{i % 500}".encode(), value=v)
            for i, v in enumerate(values)
        ]
        await asyncio.gather(*futures)
        return len(values) / (time.perf_counter() - began)
    finally:
        await producer.stop()


async def _bench(bootstrap: str, records: int, size: int, rounds: int) -> None:
    values = [os.urandom(size) for _ in range(records)]
    best = {"bus": 0.0, "bare": 0.0}
    for _ in range(rounds):
        for name, run in (("bare", _bare), ("bus", _ours)):
            topic = f"bench.publish.{name}.{uuid.uuid4().hex[:8]}"
            await ensure_topics(bootstrap, [TopicSpec(topic, partitions=4)])
            best[name] = max(best[name], await run(bootstrap, topic, values))
    print(f"{records} records of {size} bytes, 4 partitions, best of {rounds} rounds")
    print(f"bus producer (idempotent, acks=all): {best['bus']:>10,.0f} records/s")
    print(f"bare aiokafka (acks=1):              {best['bare']:>10,.0f} records/s")
    print(f"ratio: {best['bus'] / best['bare']:.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = bench_settings()
    if settings.bootstrap_servers:
        await _bench(settings.bootstrap_servers, args.records, args.size, args.rounds)
        return
    await stop_cluster(settings, "bench", purge=True)  # no topics of earlier runs
    async with local_cluster(settings, "bench") as cluster:
        print(
            f"broker: local cluster 'bench', heap {settings.kafka_heap_mb} MiB, "
            f"resident {cluster.resident_memory_mb or 0:.0f} MiB at start"
        )
        await _bench(cluster.bootstrap_servers or "", args.records, args.size, args.rounds)
        after = cluster_status(settings, "bench").resident_memory_mb or 0
        print(f"broker resident memory after the run: {after:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
