"""The border: where records from other nodes enter. Each is verified (signature, key,
sender, age), dropped if it already crossed (same ce_id and recipients), and then let into the
node's event topic, where the gateway routes it like any other record; refused records go to
``lgsp.<node>.gateway.border-refused`` with the reason. Every decision is appended to the
audit chain, and every accepted record is acknowledged to its sender with signed receipts.

All the outputs, audit entries and consumed offsets of a transaction commit together: a
border killed at any instant neither loses a record nor audits one twice. A transaction spans
the batches fetched until it holds ``TransactionLimits.max_records`` or has been open
``max_seconds``, so the border decides the next batch while the last one's records are on
their way, and pays a transaction's round trips once for several batches. Transactions run one
after the other: the audit chain is one sequence, each entry holding the hash of the one
before. One border process runs per node (its transactional id fences any older one). What
happens to each record is ``decision.py``'s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import new_consumer, new_transactional_producer
from bus.kafka.stopping import stop_client
from gateway.federation.border.decision import BorderDecisions, Record, refused_topic
from gateway.federation.border.state import (
    BorderState,
    audit_topic,
    ensure_audit_topic,
    restore_state,
)
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.signing import NodeSigner
from gateway.federation.trust.store import TrustStore
from gateway.routing.records import Output
from gateway.runtime.batching import TransactionBatches
from schemas.catalog import SchemaCatalog
from schemas.topics import border_topic

log = structlog.get_logger("lgsp.border")


@dataclass(frozen=True, slots=True)
class TransactionLimits:
    """When the border closes a transaction: records in it, or seconds since it opened (the
    latency a record may wait at the border for its batch's neighbours)."""

    max_records: int = 5000
    max_seconds: float = 0.1


class Border:
    def __init__(
        self,
        node: str,
        cluster: ClusterAccess,
        peers: list[str],
        partitions: int,
        trust: TrustStore,
        signer: Callable[[], NodeSigner | None],
        catalog: SchemaCatalog,
        routed_types: Callable[[], set[str]],
        metrics: FederationMetrics,
        max_age: timedelta,
        window: timedelta,
        max_batch: int = 1000,
        limits: TransactionLimits | None = None,
    ) -> None:
        self.node, self.cluster, self.peers = node, cluster, peers
        self.bootstrap = cluster.bootstrap_servers
        self.partitions = partitions
        self.trust, self.signer, self.metrics = trust, signer, metrics
        self.routed_types = routed_types
        self.window, self.max_batch = window, max_batch
        self.group_id = f"lgsp-border-{node}"
        self.ready = asyncio.Event()
        self._topics_made: set[str] = set()
        self.limits = limits or TransactionLimits()
        self._partition_counts: dict[str, int] = {}
        self.decisions = BorderDecisions(node, trust, signer, catalog, metrics, max_age)

    async def run(self) -> None:
        if not self.peers:
            return
        inbound = [border_topic(self.node, peer) for peer in self.peers]
        await self._ensure(
            [TopicSpec(t, self.partitions) for t in [*inbound, refused_topic(self.node)]]
        )
        await ensure_audit_topic(self.cluster, self.node)
        while True:
            try:
                await self._serve(inbound)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a lost broker or a fenced producer: start again
                log.error("border_failed", node=self.node, error=repr(error))
                self.ready.clear()
                await asyncio.sleep(1.0)

    async def _serve(self, inbound: list[str]) -> None:
        state = await restore_state(self.cluster, self.node, self.window)
        security = self.cluster.security
        producer = new_transactional_producer(
            self.bootstrap,
            security,
            f"lgsp-border-{self.node}",
            linger_ms=5,
            max_batch_size=256 * 1024,
            # the next transaction's first request meets the last one's markers being written
            # (CONCURRENT_TRANSACTIONS): retried after 20 ms, not the default 100 ms
            retry_backoff_ms=20,
        )
        consumer = self._consumer(inbound)
        await producer.start()
        try:
            await consumer.start()
            try:
                self.ready.set()
                log.info("border_started", node=self.node, peers=self.peers, audit_seq=state.seq)
                await self._loop(consumer, producer, state)
            finally:
                await stop_client(consumer, "border consumer")
        finally:
            await stop_client(producer, "border producer")

    async def _loop(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, state: BorderState
    ) -> None:
        while True:
            if not self.trust.usable() or self.signer() is None:
                consumer.pause(*consumer.assignment())
                await asyncio.sleep(0.5)
                continue
            consumer.resume(*consumer.assignment())
            batch = await consumer.getmany(timeout_ms=200, max_records=self.max_batch)
            if not batch:
                state.prune(datetime.now(UTC))
                continue
            try:
                async with producer.transaction():
                    await self._transaction(consumer, producer, state, batch)
            except BaseException:
                state.abort()
                raise
            state.commit()

    async def _transaction(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        state: BorderState,
        batch: dict[TopicPartition, list[Record]],
    ) -> None:
        """Decide ``batch`` and the batches fetched after it, within the limits, in the open
        transaction; their consumed offsets join it."""
        outputs = TransactionBatches(producer, self._partition_counts, self.partitions)
        offsets: dict[TopicPartition, int] = {}
        closes = time.monotonic() + self.limits.max_seconds
        count = 0
        routed = self.routed_types()  # once a transaction: it may build the set each call
        made, decide = self._topics_made, self.decisions.decide
        while True:
            for tp, records in batch.items():
                for record in records:
                    decided = decide(record, state, routed)
                    for output in decided:
                        if output.topic not in made:  # checked here: no coroutine a record
                            await self._ensure_destinations(decided)
                        if not outputs.add_now(output, record.partition):
                            await outputs.add(output, record.partition)
                offsets[tp] = records[-1].offset + 1
                count += len(records)
            left = closes - time.monotonic()
            if count >= self.limits.max_records or left <= 0:
                break
            batch = await consumer.getmany(
                timeout_ms=int(left * 1000),
                max_records=min(self.max_batch, self.limits.max_records - count),
            )
            if not batch:
                break
        acks = await outputs.submit()
        await self._commit_offsets(producer, offsets)
        await acks

    def _consumer(self, inbound: list[str]) -> AIOKafkaConsumer:
        """The consumer of the inbound topics, in this node's cluster, its offsets those of
        the border's group."""
        return new_consumer(
            self.bootstrap,
            self.cluster.security,
            *inbound,
            group_id=self.group_id,
            max_poll_records=self.max_batch,
            fetch_max_wait_ms=100,
        )

    async def _commit_offsets(
        self, producer: AIOKafkaProducer, offsets: dict[TopicPartition, int]
    ) -> None:
        """The consumed ``offsets`` into the open transaction."""
        await producer.send_offsets_to_transaction(offsets, self.group_id)

    def _decide(self, record: Record, state: BorderState, routed: set[str]) -> list[Output]:
        return self.decisions.decide(record, state, routed)

    async def _ensure_destinations(self, outputs: list[Output]) -> None:
        missing = {o.topic for o in outputs} - self._topics_made
        if missing:
            specs = [TopicSpec(t, self.partitions) for t in missing if t != audit_topic(self.node)]
            await self._ensure(specs)
            self._topics_made |= missing

    async def _ensure(self, specs: list[TopicSpec]) -> None:
        await ensure_topics(
            self.bootstrap,
            specs,
            security=self.cluster.security,
            replication=self.cluster.replication,
        )
