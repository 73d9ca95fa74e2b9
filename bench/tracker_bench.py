"""Tracker throughput and recovery on the local broker.

A generated quarter of a province's traffic (``--dossiers`` dossiers, a tenth as many
documents, about 6 events per dossier) waits on the node's event topics (3 partitions each).
Measured in the same run, on the same topics:

1. baseline: a bare aiokafka read_committed consumer draining every record (no decoding);
2. the tracker draining them: decode, update the tables, write the changelog and commit the
   source offsets in one transaction per batch;
3. recovery: a tracker process (``lgsp tracker run``) is SIGKILLed, then a new one starts; the
   time until it is ready (fencing, changelog read back, consumer started) for that table size.

    .venv/bin/python bench/tracker_bench.py [--dossiers 20000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchbroker import bench_broker, bench_settings  # a sibling script
from prometheus_client import CollectorRegistry

from bus.kafka import topic_partitions
from bus.kafka.factory import PLAINTEXT, new_consumer
from tracker.config import TrackerConfig
from tracker.engine import Tracker
from tracker.metrics import TrackerMetrics
from tracker.replay import replay_quarter
from tracker.topics import source_topics, tracker_topic
from tracker.traffic import TrafficSpec

PARTITIONS = 3


async def _publish(bootstrap: str, node: str, dossiers: int) -> int:
    spec = TrafficSpec(dossiers=dossiers, documents=dossiers // 10)
    return len(await replay_quarter(bootstrap, node, spec, PARTITIONS))


async def _bare_consume(bootstrap: str, node: str, total: int, batch: int) -> float:
    partitions = await topic_partitions(bootstrap, source_topics(node))
    consumer = new_consumer(
        bootstrap,
        PLAINTEXT,
        group_id=None,
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    consumer.assign(partitions)
    await consumer.start()
    try:
        seen, started = 0, time.perf_counter()
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=200, max_records=batch)).values():
                seen += len(records)
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def _tracker(bootstrap: str, node: str, total: int, batch: int) -> tuple[float, int]:
    config = TrackerConfig(node=node, max_batch=batch, partitions=PARTITIONS)
    async with Tracker(
        config, bootstrap, TrackerMetrics(CollectorRegistry()), security=PLAINTEXT
    ) as tracker:
        started = time.perf_counter()
        task = asyncio.create_task(tracker.run())
        while await tracker.lag() > 0:  # noqa: ASYNC110 (lag is asked of the broker)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        tracker.stop()
        await task
        return total / elapsed, len(tracker.state)


async def _kill_then_recover(bootstrap: str, node: str, batch: int) -> tuple[float, int, int]:
    """SIGKILL a caught-up tracker process, then time a new tracker's start."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder) / "tracker.yaml"
        config_file.write_text(f"node: {node}\napi: {{port: 0}}\n", encoding="utf-8")
        env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": bootstrap, "LGSP_LOG_LEVEL": "WARNING"}
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "lgsp", "tracker", "run", "--config", str(config_file)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(20)  # it restores the tables and waits at the end of the topics
        process.send_signal(signal.SIGKILL)
        await process.wait()
    config = TrackerConfig(node=node, max_batch=batch, partitions=PARTITIONS)
    started = time.perf_counter()
    async with Tracker(
        config, bootstrap, TrackerMetrics(CollectorRegistry()), security=PLAINTEXT
    ) as tracker:
        ready = time.perf_counter() - started
        return ready, tracker.restored_records, len(tracker.state)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    args = parser.parse_args()
    async with bench_broker(bench_settings()) as bootstrap:
        node = f"bench{uuid.uuid4().hex[:6]}"
        total = await _publish(bootstrap, node, args.dossiers)
        bare = await _bare_consume(bootstrap, node, total, args.batch)
        tracked, rows = await _tracker(bootstrap, node, total, args.batch)
        ready, restored, restored_rows = await _kill_then_recover(bootstrap, node, args.batch)
        assert restored_rows == rows, (restored_rows, rows)
        changelog = tracker_topic(node, "changelog")
        print(f"{args.dossiers:,} dossiers, {total:,} events, {PARTITIONS} partitions per topic")
        print(f"bare aiokafka read_committed consume:   {bare:>9,.0f} events/s")
        print(f"tracker (tables, changelog, transactions): {tracked:>9,.0f} events/s")
        print(f"ratio tracker / bare consume:          {tracked / bare:>9.2f}")
        print(
            f"recovery after SIGKILL: {ready:.2f} s to ready, {restored:,} records of {changelog}"
            f" read back into {restored_rows:,} rows"
        )


if __name__ == "__main__":
    asyncio.run(main())
