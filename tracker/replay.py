"""Publish generated traffic (``tracker.traffic``) on a node's event topics, as its agencies'
connectors would: the demo, the tests, the benchmark and ``lgsp tracker replay`` use it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bus.kafka import KafkaPublisher, TopicSpec, ensure_topics
from tracker.traffic import TrafficEvent, TrafficSpec, generate_quarter, outgoing_records

PROGRESS_STEP = 1000
Progress = Callable[[int, int], None]
"""Told ``(records enqueued so far, records in all)`` as publishing goes (a progress bar)."""


async def publish_events(
    bootstrap: str,
    node: str,
    events: Sequence[TrafficEvent],
    partitions: int = 3,
    progress: Progress | None = None,
) -> int:
    """Create the event topics that are missing, publish every event in order, wait for the
    broker's acknowledgements; return how many were published. ``progress`` hears every
    ``PROGRESS_STEP`` records, and once all are acknowledged."""
    records = outgoing_records(events, node)
    topics = sorted({record.topic for record in records})
    await ensure_topics(bootstrap, [TopicSpec(topic, partitions) for topic in topics])
    async with KafkaPublisher(bootstrap, client_id=f"lgsp-replay-{node}") as publisher:
        for number, record in enumerate(records, start=1):
            await publisher.enqueue(record)
            if progress is not None and number % PROGRESS_STEP == 0:
                progress(number, len(records))
        await publisher.flush()
    if progress is not None:
        progress(len(records), len(records))
    return len(records)


async def replay_quarter(
    bootstrap: str,
    node: str,
    spec: TrafficSpec,
    partitions: int = 3,
    progress: Progress | None = None,
) -> list[TrafficEvent]:
    """Generate a quarter of a province's traffic and publish it on ``node``; return the
    events (for figures to compare with)."""
    events = generate_quarter(spec)
    await publish_events(bootstrap, node, events, partitions, progress)
    return events
