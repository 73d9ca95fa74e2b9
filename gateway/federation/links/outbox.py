"""Where a link's consumer stands in its outbox: how far behind it is, and going back to the
committed offsets after a failed batch."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer


async def outbox_lag(consumer: AIOKafkaConsumer) -> int | None:
    """Offsets not yet read in the assigned outbox partitions (transaction markers count too,
    until read past), or None while nothing is assigned."""
    assigned = list(consumer.assignment())
    if not assigned:
        return None
    ends = await consumer.end_offsets(assigned)
    lag = 0
    for tp in assigned:
        lag += max(ends[tp] - await consumer.position(tp), 0)
    return lag


async def rewind(consumer: AIOKafkaConsumer) -> None:
    """Go back to the committed offsets: the unacknowledged batch is sent again."""
    for tp in consumer.assignment():
        committed = await consumer.committed(tp)
        if committed is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, committed)
