"""The shapes ``federation_bench.py`` times between clusters A and B: the bare copy (its
baseline), the link with B's border behind it, the border reading A itself (``--pull``) and
MirrorMaker 2."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from federation_pull import ensure_offsets_topic, signed_batches  # a sibling script
from federation_setup import (  # a sibling script
    PARTITIONS,
    STATUS,
    publish,
    run_border,
    running_link,
    spawn_border,
    status_records,
    stop_all,
    timed_arrivals,
    write_registry,
)
from mirrormaker import mirror_maker  # a sibling script

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_consumer, new_producer
from bus.settings import Settings
from gateway.federation.border.admission import TransactionLimits
from gateway.federation.config import SigningMode
from gateway.federation.links.window import WindowLimits
from gateway.federation.trust.signing import (
    NodeSigner,
    load_private_key,
)
from schemas.topics import border_topic, event_topic


async def bare_copy(source: str, topic: str, target: str, target_topic: str, count: int) -> None:
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


async def pull_copy(
    a: str, b: str, folder: Path, count: int, names: tuple[str, str], *, apart: bool
) -> float:
    """Seconds for B's border to carry ``count`` batch-signed records from A's outbox into
    B's event topic itself, without a link (``federation_pull``)."""
    node_a, node_b = names
    write_registry(folder, "Ed25519", node_a, node_b)
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    outbox, destination = border_topic(node_b, node_a), str(event_topic(node_b, STATUS))
    await ensure_topics(a, [TopicSpec(outbox, PARTITIONS)])
    await ensure_topics(b, [TopicSpec(destination, PARTITIONS)])
    await ensure_offsets_topic(b, node_b)
    await publish(a, outbox, signed_batches(status_records(count), signer))
    async with timed_arrivals(b, destination, count) as arrivals:
        tasks, processes = [], []
        if apart:
            processes.append(spawn_border(b, folder, names, pull_from=a))
        else:
            tasks.append(asyncio.create_task(run_border(b, folder, names, pull_from=a)))
        try:
            return await arrivals
        finally:
            await stop_all(tasks, processes)


async def link_and_border(
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
    destination = str(event_topic(names[1], STATUS))
    await ensure_topics(b, [TopicSpec(destination, PARTITIONS)])
    async with (
        timed_arrivals(b, destination, count) as arrivals,
        running_link(a, b, folder, names, signing, window),
    ):
        tasks, processes = [], []
        if apart:
            processes.append(spawn_border(b, folder, names))
        else:
            tasks.append(asyncio.create_task(run_border(b, folder, names, limits)))
        try:
            return await arrivals
        finally:
            await stop_all(tasks, processes)


async def mirror_maker_copy(settings: Settings, a: str, b: str, topic: str, count: int) -> float:
    """Seconds for MirrorMaker 2 to copy ``count`` records of ``topic`` onto B."""
    copied = f"A.{topic}"
    await ensure_topics(b, [TopicSpec(copied, PARTITIONS)])
    async with (
        timed_arrivals(b, copied, count) as arrivals,
        mirror_maker(settings, a, b, topic) as mm2,
    ):
        done, _ = await asyncio.wait([arrivals], timeout=900)
        if not done or mm2.returncode is not None:
            raise RuntimeError(f"MirrorMaker 2 stopped or stalled (exit {mm2.returncode})")
        return arrivals.result()
