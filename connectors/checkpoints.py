"""A source's position (a cursor, a file offset) in a compacted Kafka topic.

The position is written only after every record it covers was acknowledged by the broker, so
a source that restarts from it re-reads at worst what it had published, never skips.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aiokafka import TopicPartition

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord
from bus.kafka.security import KafkaSecurity
from connectors.topics import checkpoint_topic
from schemas.envelope import format_time


class CheckpointStore:
    """Load and save one connector's position."""

    def __init__(
        self,
        bootstrap_servers: str,
        node: str,
        connector: str,
        *,
        security: KafkaSecurity | None = None,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._security = security
        self._topic = checkpoint_topic(node, connector)
        self._key = connector.encode()

    async def load(self) -> str | None:
        """The last saved position, or None when the connector never saved one."""
        async with LogReader(self._bootstrap, security=self._security) as reader:
            records = await reader.read({TopicPartition(self._topic, 0): None})
        position: str | None = None
        for record in records:
            if record.key == self._key and record.value is not None:
                position = json.loads(record.value)["position"]
        return position

    async def save(self, publisher: KafkaPublisher, position: str) -> None:
        """Write the position and wait for the broker's acknowledgement."""
        value = {"position": position, "saved_at": format_time(datetime.now(UTC))}
        await publisher.publish(
            OutgoingRecord(self._topic, json.dumps(value).encode(), self._key, partition=0)
        )
