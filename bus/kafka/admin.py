"""Topic administration: create the topics a component needs, idempotently."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.errors import LgspError


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partitions, replication and topic-level configs."""

    name: str
    partitions: int = 1
    replication_factor: int = 1
    configs: dict[str, str] = field(default_factory=dict)


async def ensure_topics(bootstrap_servers: str, topics: Iterable[TopicSpec]) -> list[str]:
    """Create each topic that does not exist yet; return the names that were created."""
    wanted = {t.name: t for t in topics}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for name, t in wanted.items() if name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=dict(t.configs))
            for t in missing
        ]
        response = await admin.create_topics(new)
        failures = [
            f"{name}: error {error_code} {rest[0] if rest else ''}".strip()
            for name, error_code, *rest in response.topic_errors
            # 36 TOPIC_ALREADY_EXISTS: a concurrent creator won the race, which is all we need
            if error_code not in (0, TopicAlreadyExistsError.errno)
        ]
        if failures:
            raise LgspError(
                "could not create topics: " + "; ".join(failures), code="LGSP-KAFKA-TOPIC"
            )
        return [t.name for t in missing]
    finally:
        await admin.close()
