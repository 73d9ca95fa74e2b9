"""faust-streaming table throughput, for the tracker's engine decision.

The dossier events of a generated quarter wait on a topic; a faust worker
(bench/faust_table/tableapp.py) applies them to a changelog-backed table, one agent, concurrency 1.
The rate is counted from the first changelog write to the last. Compare with
bench/tracker_bench.py (same events, same rules, same state encoding).

    .venv/bin/python bench/faust_table_bench.py [--dossiers 5000] [--guarantee exactly_once]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

from benchbroker import bench_broker, bench_settings  # a sibling script

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from tracker.topics import DOSSIER_STATUS
from tracker.traffic import TrafficSpec, generate_quarter, outgoing_records

REPO = str(Path(__file__).resolve().parent.parent)


async def _run(bootstrap: str, dossiers: int, guarantee: str) -> None:
    tag = uuid.uuid4().hex[:6]
    source = f"bench.faust.dossiers.{tag}"
    events = [
        e
        for e in generate_quarter(TrafficSpec(dossiers=dossiers, documents=0))
        if e.event_type == DOSSIER_STATUS
    ]
    await ensure_topics(bootstrap, [TopicSpec(source, 3)])
    async with KafkaPublisher(bootstrap) as publisher:
        for record in outgoing_records(events, "bench"):
            await publisher.enqueue(
                OutgoingRecord(source, record.value, record.key, record.headers)
            )
        await publisher.flush()
    changelog = f"lgsp-faust-table-{tag}-dossiers-changelog"
    await ensure_topics(bootstrap, [TopicSpec(changelog, 3, configs={"cleanup.policy": "compact"})])
    env = {
        **os.environ,
        "LGSP_BENCH_BOOTSTRAP": bootstrap,
        "LGSP_BENCH_SOURCE": source,
        "LGSP_BENCH_GUARANTEE": guarantee,
        "PYTHONPATH": REPO,
    }
    worker = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "faust", "-A", "tableapp", "worker", "-l", "warn"],
        cwd=Path(__file__).parent / "faust_table",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    seen, first = 0, None
    try:
        async with kafka_consumer(bootstrap, changelog, group_id=None, fetch_max_wait_ms=20) as c:
            deadline = time.monotonic() + 600
            while seen < len(events) and time.monotonic() < deadline:
                if worker.returncode is not None:
                    raise SystemExit(f"the faust worker exited with {worker.returncode}")
                got = sum(len(v) for v in (await c.getmany(timeout_ms=200)).values())
                if got and first is None:
                    first = time.perf_counter()
                seen += got
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 30)
    rate = len(events) / (time.perf_counter() - first) if first else 0.0
    print(
        f"faust-streaming table ({guarantee}): {seen}/{len(events)} dossier events, "
        f"{rate:,.0f} events/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=5_000)
    parser.add_argument(
        "--guarantee", choices=["exactly_once", "at_least_once"], default="exactly_once"
    )
    args = parser.parse_args()
    async with bench_broker(bench_settings()) as bootstrap:
        await _run(bootstrap, args.dossiers, args.guarantee)


if __name__ == "__main__":
    asyncio.run(main())
