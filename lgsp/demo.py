"""``lgsp demo``: the main job.

Until the gateway and federation exist this runs the smallest honest end-to-end path: a local
Kafka cluster is started, one record is published with the bus's producer settings and read
back by a manually committing consumer, and the round trip is reported.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Annotated

import typer
from rich.console import Console

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.localkafka import start_cluster
from bus.settings import Settings

console = Console()


def demo_command(
    cluster: Annotated[str, typer.Option(help="Local cluster to run on.")] = "demo",
) -> None:
    """Run the demo end to end on a local Kafka cluster and print a summary."""
    settings = Settings()
    asyncio.run(_run(settings, cluster))


async def _run(settings: Settings, cluster: str) -> None:
    console.print(
        "[bold]lgsp demo[/] (foundation stage: one record through a real local broker;"
        " the full national exchange comes with the gateway and federation)"
    )
    if settings.bootstrap_servers:
        bootstrap = settings.bootstrap_servers
    else:
        with console.status(f"starting local Kafka cluster {cluster!r}"):
            status = await start_cluster(settings, cluster)
        bootstrap = status.bootstrap_servers or ""
        console.print(f"Kafka cluster {cluster!r} at {bootstrap} (log: {status.log_path})")
    topic = "demo.roundtrip"
    await ensure_topics(bootstrap, [TopicSpec(topic)])
    event_id = str(uuid.uuid4())
    record = OutgoingRecord(
        topic=topic,
        key=b"demo",
        value=f"hello from lgsp demo {event_id}".encode(),
        headers=(("ce_id", event_id.encode()), ("ce_source", b"000.00.00.G22")),
    )
    began = time.perf_counter()
    async with KafkaPublisher(bootstrap, client_id="lgsp-demo") as publisher:
        meta = await publisher.publish(record)
    async with kafka_consumer(bootstrap, topic, group_id=f"lgsp-demo-{event_id}") as consumer:
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            found = [
                r
                for rs in batch.values()
                for r in rs
                if dict(r.headers).get("ce_id") == event_id.encode()
            ]
            if found:
                await consumer.commit()
                break
    elapsed_ms = (time.perf_counter() - began) * 1000
    console.print(
        f"published and consumed record {event_id} on {topic}"
        f" partition {meta.partition} offset {meta.offset} in {elapsed_ms:.0f} ms"
    )
    console.print(f"stop the cluster with: lgsp kafka down --name {cluster}")
