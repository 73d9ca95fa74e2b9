"""What security costs: publish and consume throughput of the bus's clients over SASL_SSL
(TLS + SCRAM-SHA-512, ACLs checked) against plaintext, same records, same run, same machine.

    .venv/bin/python bench/security_bench.py [--records 50000] [--size 400] [--rounds 3]

Starts two local clusters, "bench" (plaintext) and "bench-secure" (``up --secure``), empty,
and stops both afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from benchbroker import bench_settings  # a sibling script

from bus.kafka import (
    KafkaPublisher,
    KafkaSecurity,
    OutgoingRecord,
    TopicSpec,
    ensure_topics,
    kafka_consumer,
)
from bus.kafka.acladmin import create_acls, upsert_scram_user
from bus.kafka.acls import AclBinding, Operation, PatternType, ResourceType, user
from bus.localkafka import secure, start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths


async def _publish(
    bootstrap: str, topic: str, values: list[bytes], security: KafkaSecurity | None
) -> float:
    async with KafkaPublisher(bootstrap, security=security) as publisher:
        began = time.perf_counter()
        futures = [
            await publisher.enqueue(OutgoingRecord(topic, v, key=f"k{i % 500}".encode()))
            for i, v in enumerate(values)
        ]
        await asyncio.gather(*futures)
        return len(values) / (time.perf_counter() - began)


async def _consume(bootstrap: str, topic: str, count: int, security: KafkaSecurity | None) -> float:
    # No group: the figure is fetching alone, without the group join's fixed delay.
    async with kafka_consumer(bootstrap, topic, group_id=None, security=security) as consumer:
        began, seen = time.perf_counter(), 0
        while seen < count:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                seen += len(records)
        return count / (time.perf_counter() - began)


async def _round(
    bootstrap: str, admin: KafkaSecurity | None, client: KafkaSecurity | None, values: list[bytes]
) -> tuple[float, float]:
    topic = f"bench.security.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, partitions=4)], security=admin)
    published = await _publish(bootstrap, topic, values, client)
    return published, await _consume(bootstrap, topic, len(values), client)


async def _principal(bootstrap: str, files: secure.SecureFiles) -> KafkaSecurity:
    """A non-super user with prefixed ACLs on the bench topics: the authorizer is exercised."""
    admin = secure.client_security(files)
    password = os.urandom(16).hex()
    await upsert_scram_user(bootstrap, "bench", password, security=admin)
    secure.save_user(files, "bench", password)
    grants = [
        AclBinding(user("bench"), ResourceType.TOPIC, "bench.", PatternType.PREFIXED, op)
        for op in (Operation.READ, Operation.WRITE)
    ] + [
        AclBinding(
            user("bench"), ResourceType.GROUP, "bench-", PatternType.PREFIXED, Operation.READ
        )
    ]
    await create_acls(bootstrap, grants, security=admin)
    return secure.client_security(files, "bench")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = bench_settings()
    values = [os.urandom(args.size) for _ in range(args.records)]
    for name in ("bench", "bench-secure"):
        await stop_cluster(settings, name, purge=True)
    try:
        plain = await start_cluster(settings, "bench")
        locked = await start_cluster(settings, "bench-secure", secure_mode=True)
        assert plain.bootstrap_servers and locked.bootstrap_servers
        files = secure.SecureFiles.of(ClusterPaths.of(settings.home, "bench-secure"))
        client = await _principal(locked.bootstrap_servers, files)
        admin = secure.client_security(files)
        best = {"plain": [0.0, 0.0], "secure": [0.0, 0.0]}
        for _ in range(args.rounds):
            for label, bootstrap, adm, cli in (
                ("plain", plain.bootstrap_servers, None, None),
                ("secure", locked.bootstrap_servers, admin, client),
            ):
                rates = await _round(bootstrap, adm, cli, values)
                best[label] = [max(a, b) for a, b in zip(best[label], rates, strict=True)]
    finally:
        for name in ("bench", "bench-secure"):
            await stop_cluster(settings, name, purge=True)
    print(f"{args.records} records of {args.size} bytes, 4 partitions, best of {args.rounds}")
    print(f"{'':24}{'publish/s':>12}{'consume/s':>12}")
    for label in ("plain", "secure"):
        publish, consume = best[label]
        print(
            f"{label + (' (SASL_SSL, ACLs)' if label == 'secure' else ''):24}"
            f"{publish:>12,.0f}{consume:>12,.0f}"
        )
    ratios = [s / p for s, p in zip(best["secure"], best["plain"], strict=True)]
    print(f"ratio secure/plain: publish {ratios[0]:.2f}, consume {ratios[1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
