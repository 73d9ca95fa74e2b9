"""What a connector parked: the records of its DLQ topic with their park headers, for
``lgsp connector parked``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bus.kafka import LogReader, topic_partitions
from connectors.topics import connector_dlq_topic
from schemas.envelope import format_time, header_value
from schemas.parking import read_park_info


@dataclass(frozen=True)
class ParkedRecord:
    """One parked record, summarised (never its value: it may hold personal data)."""

    offset: int
    key: str | None
    ce_id: str | None
    type: str | None
    code: str
    reason: str
    attempts: int
    original: str
    first_failure: str

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


async def read_parked(bootstrap_servers: str, node: str, connector: str) -> list[ParkedRecord]:
    """Every record the connector parked so far, oldest first."""
    topic = connector_dlq_topic(node, connector)
    partitions = await topic_partitions(bootstrap_servers, [topic])
    async with LogReader(bootstrap_servers) as reader:
        records = await reader.read(dict.fromkeys(partitions))
    parked = []
    for record in records:
        info = read_park_info(record.headers)
        if info is None:
            continue
        parked.append(
            ParkedRecord(
                offset=record.offset,
                key=record.key.decode("utf-8", "replace") if record.key is not None else None,
                ce_id=header_value(record.headers, "ce_id"),
                type=header_value(record.headers, "ce_type")
                or header_value(record.headers, "lgsp-subject"),
                code=info.code,
                reason=info.reason,
                attempts=info.attempts,
                original=f"{info.original_topic}:{info.original_partition}:{info.original_offset}",
                first_failure=format_time(info.first_failure),
            )
        )
    return parked
