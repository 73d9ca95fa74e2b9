"""Pause and resume of links by an operator, kept in a compacted topic of the node
(``lgsp.<node>.gateway.link-state``, key = peer, value = ``paused`` or ``running``), so the
state survives restarts and every gateway process of the node sees it."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import TopicPartition

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.lifecycle import Closing
from schemas.topics import gateway_topic

PAUSED = b"paused"
RUNNING = b"running"


def state_topic(node: str) -> str:
    return gateway_topic(node, "link-state")


async def ensure_state_topic(cluster: ClusterAccess, node: str) -> None:
    await ensure_topics(
        cluster.bootstrap_servers,
        [TopicSpec(state_topic(node), 1, configs={"cleanup.policy": "compact"})],
        security=cluster.security,
        replication=cluster.replication,
    )


async def set_link_paused(cluster: ClusterAccess, node: str, peer: str, paused: bool) -> None:
    """Record an operator's decision; running links follow it within a second or two."""
    await ensure_state_topic(cluster, node)
    async with KafkaPublisher(
        cluster.bootstrap_servers,
        client_id=f"lgsp-link-control-{node}",
        security=cluster.security,
    ) as publisher:
        await publisher.publish(
            OutgoingRecord(state_topic(node), PAUSED if paused else RUNNING, key=peer.encode())
        )


class LinkControl(Closing):
    """Follows the state topic; ``paused(peer)`` answers from what it read last."""

    def __init__(self, cluster: ClusterAccess, node: str) -> None:
        self._cluster = cluster
        self._node = node
        self._paused: set[str] = set()
        self._next = 0
        self._task: asyncio.Task[None] | None = None
        self.loaded = asyncio.Event()

    def paused(self, peer: str) -> bool:
        return peer in self._paused

    async def __aenter__(self) -> LinkControl:
        await ensure_state_topic(self._cluster, self._node)
        self._task = asyncio.create_task(self._follow())
        return self

    async def aclose(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        tp = TopicPartition(state_topic(self._node), 0)
        async with LogReader(
            self._cluster.bootstrap_servers, security=self._cluster.security
        ) as reader:
            while True:
                for record in await reader.read({tp: self._next}):
                    peer = (record.key or b"").decode()
                    if record.value == PAUSED:
                        self._paused.add(peer)
                    else:
                        self._paused.discard(peer)
                    self._next = record.offset + 1
                self.loaded.set()
                await asyncio.sleep(1.0)
