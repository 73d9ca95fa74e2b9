"""Topic administration: create the topics a component needs, idempotently."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest

from bus.kafka.createtopics import CLUSTER_DEFAULT_REPLICATION, create_topics
from bus.kafka.factory import new_admin
from bus.kafka.replication import CLUSTER_DEFAULT, Replication
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from schemas.errors import LgspError


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partitions and topic-level configs. Its replication comes from
    the ``Replication`` given to ``ensure_topics`` (the node's), not from the topic."""

    name: str
    partitions: int = 1
    configs: dict[str, str] = field(default_factory=dict)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[TopicSpec],
    *,
    security: KafkaSecurity | None = None,
    replication: Replication = CLUSTER_DEFAULT,
) -> list[str]:
    """Create each topic that does not exist yet, replicated as ``replication`` says (unset:
    the cluster's defaults); return the names that were created."""
    wanted = {t.name: t for t in topics}
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for name, t in wanted.items() if name not in existing]
        if not missing:
            return []
        factor = replication.replication_factor or CLUSTER_DEFAULT_REPLICATION
        errors = await create_topics(
            admin,
            [(t.name, t.partitions, factor, replication.topic_configs(t.configs)) for t in missing],
        )
        failures = [
            f"{name}: error {error_code} {message or ''}".strip()
            for name, error_code, message in errors
            # 36 TOPIC_ALREADY_EXISTS: a concurrent creator won the race, which is all we need
            if error_code not in (0, TopicAlreadyExistsError.errno)
        ]
        if failures:
            raise LgspError(
                "could not create topics: " + "; ".join(failures), code="LGSP-KAFKA-TOPIC"
            )
        await _wait_until_described(admin, {t.name: t.partitions for t in missing})
        return [t.name for t in missing]
    finally:
        await admin.close()


async def topic_partitions(
    bootstrap_servers: str, topics: Iterable[str], *, security: KafkaSecurity | None = None
) -> list[TopicPartition]:
    """Every partition of ``topics`` (those that exist)."""
    names = list(topics)
    if not names:
        return []
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t["error_code"]
        for p in t["partitions"]
    ]


async def list_topics(
    bootstrap_servers: str, *, security: KafkaSecurity | None = None
) -> list[str]:
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def _wait_until_described(
    admin: AIOKafkaAdminClient, partitions: dict[str, int], timeout_s: float = 30
) -> None:
    """Wait until every broker of the cluster shows the new topics with all their partitions,
    each with a leader: only then can any client, whichever broker it asks, produce to them
    (on a 3-broker cluster the others learn of a topic a moment after the controller)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    names = list(partitions)
    while True:
        brokers = [b.nodeId for b in admin._client.cluster.brokers()] or [None]
        answers = [
            (await admin._send_request(MetadataRequest(names), node)).to_object()["topics"]
            for node in brokers
        ]
        if all(_usable(t, partitions[t["topic"]]) for described in answers for t in described):
            return
        if loop.time() > deadline:
            raise LgspError(
                f"topics {', '.join(partitions)} were created but never became visible",
                code="LGSP-KAFKA-TOPIC",
                retriable=True,
            )
        await asyncio.sleep(0.1)


async def delete_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    timeout_s: float = 30,
    *,
    security: KafkaSecurity | None = None,
) -> None:
    """Delete the topics that exist among ``names`` and wait until they are gone."""
    admin = admin_client(bootstrap_servers, security)
    await admin.start()
    try:
        doomed = [n for n in names if n in set(await admin.list_topics())]
        if not doomed:
            return
        await admin.delete_topics(doomed)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while set(doomed) & set(await admin.list_topics()):
            if loop.time() > deadline:
                raise LgspError(
                    f"topics {', '.join(doomed)} were not deleted in time",
                    code="LGSP-KAFKA-TOPIC",
                    retriable=True,
                )
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def admin_client(
    bootstrap_servers: str, security: KafkaSecurity | None = None
) -> AIOKafkaAdminClient:
    """An admin client (not started) with the given security."""
    return new_admin(bootstrap_servers, security or PLAINTEXT)


def _usable(described: dict[str, Any], partitions: int) -> bool:
    found = described["partitions"]
    return (
        not described["error_code"]
        and len(found) >= partitions
        and all(p["leader"] is not None and p["leader"] >= 0 for p in found)
    )
