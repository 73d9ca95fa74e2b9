"""faust-streaming passthrough throughput, for the gateway engine decision.

A faust worker (bench/faust_passthrough/app.py) forwards N records waiting on a topic; the
rate is counted from its first output to its last. Compare with bench/gateway_bench.py.

    .venv/bin/python bench/faust_passthrough_bench.py [--records 20000] [--guarantee exactly_once]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics, kafka_consumer

sys.path.insert(0, str(Path(__file__).parent))
from benchbroker import bench_broker, bench_settings  # sibling scripts
from gateway_bench import _publish, _records


async def _run(bootstrap: str, count: int, guarantee: str) -> None:
    tag = uuid.uuid4().hex[:6]
    source, target = f"bench.faust.in.{tag}", f"bench.faust.out.{tag}"
    await ensure_topics(bootstrap, [TopicSpec(source, 3), TopicSpec(target, 3)])
    await _publish(bootstrap, source, _records(count))
    env = {
        **os.environ,
        "LGSP_BENCH_BOOTSTRAP": bootstrap,
        "LGSP_BENCH_SOURCE": source,
        "LGSP_BENCH_TARGET": target,
        "LGSP_BENCH_GUARANTEE": guarantee,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "faust",
        "-A",
        "app",
        "worker",
        "-l",
        "warn",
        cwd=Path(__file__).parent / "faust_passthrough",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    seen, first = 0, None
    try:
        async with kafka_consumer(
            bootstrap, target, group_id=None, fetch_max_wait_ms=20
        ) as consumer:
            deadline = time.monotonic() + 300
            while seen < count and time.monotonic() < deadline:
                got = sum(len(v) for v in (await consumer.getmany(timeout_ms=200)).values())
                if got and first is None:
                    first = time.perf_counter()
                seen += got
    finally:
        worker.terminate()
        await asyncio.wait_for(worker.wait(), 30)
    rate = count / (time.perf_counter() - first) if first else 0.0
    print(
        f"faust-streaming passthrough ({guarantee}): {seen}/{count} records, {rate:,.0f} records/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument(
        "--guarantee", choices=["exactly_once", "at_least_once"], default="exactly_once"
    )
    args = parser.parse_args()
    settings = bench_settings()
    async with bench_broker(settings) as bootstrap:
        await _run(bootstrap, args.records, args.guarantee)


if __name__ == "__main__":
    asyncio.run(main())
