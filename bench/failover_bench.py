"""How long a broker fail-over holds traffic: on a local 3-broker cluster (replication 3,
min.insync 2), publish with the bus's producer (idempotent, acks=all) one record at a time to a
topic's partition 0, SIGKILL the broker leading it, and report the longest wait for an
acknowledgement, then check every acknowledged record is there exactly once (read_committed).

    .venv/bin/python bench/failover_bench.py [--seconds 40] [--kill-at 10]

Starts (and afterwards stops and purges) a cluster "bench-failover" of three brokers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
import uuid

from aiokafka import TopicPartition
from benchbroker import bench_settings  # a sibling script

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_admin
from bus.localkafka import start_cluster, stop_cluster
from bus.localkafka.layout import ClusterPaths, read_pid

NAME = "bench-failover"


async def _leader(bootstrap: str, topic: str) -> int:
    admin = new_admin(bootstrap, PLAINTEXT)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return int(next(p["leader"] for p in described["partitions"] if p["partition"] == 0))


async def _run(seconds: float, kill_at: float) -> None:
    settings = bench_settings()
    status = await start_cluster(settings, NAME, brokers=3)
    assert status.bootstrap_servers
    bootstrap = status.bootstrap_servers
    topic = f"lgsp.bench{uuid.uuid4().hex[:6]}.inbox.000-00-00-g22"
    try:
        await ensure_topics(bootstrap, [TopicSpec(topic, 3)])
        leader = await _leader(bootstrap, topic)
        victim = read_pid(ClusterPaths.of(settings.home, NAME).node(leader))
        acked, longest, killed_at = 0, 0.0, None
        began = time.monotonic()
        async with KafkaPublisher(bootstrap, request_timeout_ms=60_000) as publisher:
            while time.monotonic() - began < seconds:
                if killed_at is None and time.monotonic() - began >= kill_at and victim:
                    os.killpg(victim, signal.SIGKILL)
                    killed_at = time.monotonic()
                sent = time.monotonic()
                await publisher.publish(
                    OutgoingRecord(topic, str(acked).encode(), key=b"k", partition=0)
                )
                waited = time.monotonic() - sent
                if killed_at is not None:
                    longest = max(longest, waited)
                acked += 1
        new_leader = await _leader(bootstrap, topic)
        async with LogReader(bootstrap) as reader:
            records = await reader.read({TopicPartition(topic, 0): None})
        values = [int(r.value or b"-1") for r in records]
        print(
            f"leader broker {leader} killed after {kill_at:.0f} s; new leader {new_leader}; "
            f"longest wait for an ack after the kill {longest:.2f} s; {acked} acknowledged, "
            f"{len(values)} in the log, in order and without duplicates: "
            f"{values == list(range(acked))}"
        )
    finally:
        await stop_cluster(settings, NAME, purge=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--kill-at", type=float, default=10)
    args = parser.parse_args()
    asyncio.run(_run(args.seconds, args.kill_at))


if __name__ == "__main__":
    main()
