"""A faust-streaming agent that forwards every record unchanged: the faust side of the
gateway's engine decision (docs/decisions/0001-gateway-engine.md). Run by
bench/faust_passthrough_bench.py as ``faust -A app worker``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import faust

app = faust.App(
    f"lgsp-faust-bench-{os.environ['LGSP_BENCH_SOURCE'][-6:]}",
    broker=f"kafka://{os.environ['LGSP_BENCH_BOOTSTRAP']}",
    value_serializer="raw",
    key_serializer="raw",
    processing_guarantee=os.environ.get("LGSP_BENCH_GUARANTEE", "exactly_once"),
    topic_partitions=3,
    web_enabled=False,
    store="memory://",
    broker_commit_every=2000,
)
source = app.topic(os.environ["LGSP_BENCH_SOURCE"], value_type=bytes, key_type=bytes, partitions=3)
target = app.topic(os.environ["LGSP_BENCH_TARGET"], value_type=bytes, key_type=bytes, partitions=3)


@app.agent(source)
async def forward(stream: Any) -> AsyncIterator[None]:
    async for event in stream.events():
        await target.send(key=event.key, value=event.value, headers=event.headers)
        yield None
