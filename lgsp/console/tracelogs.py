"""The trace's routed and link hops, from the node's route log and link log
(``lgsp.<node>.gateway.route-log`` and ``.link-log``, gateway/routing/tracelog.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import TopicPartition

from bus.kafka import LogReader, topic_partitions
from bus.kafka.security import KafkaSecurity
from gateway.routing.tracelog import (
    LINK_LOG,
    ROUTE_LOG,
    CrossedEntry,
    RoutedEntry,
    crossed_entries,
    routed_entries,
)
from schemas.envelope import format_time
from schemas.topics import PREFIX, gateway_topic


@dataclass(frozen=True, slots=True)
class LoggedHops:
    routed: tuple[RoutedEntry, ...]
    crossed: tuple[CrossedEntry, ...]


def at_text(at_ms: int) -> str:
    return format_time(datetime.fromtimestamp(at_ms / 1000, UTC))


def link_peer(node: str, topic: str) -> str | None:
    """The peer of a link outbox topic of ``node`` (``lgsp.<node>.link.<peer>``), else None."""
    prefix = f"{PREFIX}.{node}.link."
    return topic[len(prefix) :] if topic.startswith(prefix) else None


async def logged_hops(
    bootstrap: str, node: str, subject: str, security: KafkaSecurity | None
) -> LoggedHops:
    """What the route log and link log say of records keyed ``subject`` (one read of both,
    each record's value searched for the key before its lines are parsed)."""
    logs = [gateway_topic(node, ROUTE_LOG), gateway_topic(node, LINK_LOG)]
    partitions = await topic_partitions(bootstrap, logs, security=security)
    if not partitions:
        return LoggedHops((), ())
    needle = subject.encode()

    def wanted(_ce_id: str, key: str) -> bool:
        return key == subject

    routed: list[RoutedEntry] = []
    crossed: list[CrossedEntry] = []
    async with LogReader(bootstrap, security=security) as reader:
        starts: dict[TopicPartition, int | None] = dict.fromkeys(partitions)
        for record in await reader.read(starts):
            if needle not in (record.value or b""):
                continue
            if record.topic == logs[0]:
                routed += routed_entries(record.value, record.timestamp, wanted)
            else:
                crossed += crossed_entries(record.value, record.timestamp, wanted)
    return LoggedHops(tuple(routed), tuple(crossed))
