"""The gateway process: consume the node's event and retry topics, decide, produce, commit,
all inside one Kafka transaction per partition number and batch.

``Gateway`` puts the parts together and owns their clients; each part has one job:

    ConsumeLoop            fetch and dispatch to the per-partition queues   runtime/loop.py
    PartitionQueues        one transaction in flight per partition number   runtime/queues.py
    PartitionTransactions  decide a batch and commit it in one transaction  runtime/transaction.py
    PartitionOwner         states, positions, producers, pause/seek/resume  runtime/ownership.py
    RecordProcessor        what to do with one record (pure)                routing/processor.py
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from prometheus_client import CollectorRegistry

from bus.kafka.factory import new_admin, new_consumer
from bus.kafka.security import KafkaSecurity
from bus.kafka.stopping import stop_client
from bus.lifecycle import Closing
from bus.wireformat import record_encoding
from gateway.config import GatewayConfig, load_route_table
from gateway.metrics import GatewayMetrics
from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.retry_tiers import RetryTiers, parse_delay
from gateway.routing.table import RouteTable
from gateway.routing.tracelog import ROUTE_LOG
from gateway.runtime.loop import ConsumeLoop
from gateway.runtime.ownership import STOP_GRACE_S, Committed, PartitionOwner
from gateway.runtime.producers import PartitionProducers
from gateway.runtime.queues import Batch, PartitionQueues
from gateway.runtime.rebalance import RebalanceListener
from gateway.runtime.restore import restore_partitions
from gateway.runtime.topology import KnownTopics, consumed_topics, ensure_gateway_topics
from gateway.runtime.transaction import PartitionTransactions
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.errors import LgspError
from schemas.topics import TopicName, event_topic, gateway_topic

log = structlog.get_logger("lgsp.gateway")
_TOPIC_REFRESH_S = 2.0


class Gateway(Closing):
    """One gateway process of a node; use as ``async with Gateway(...) as gw: await gw.run()``
    (or ``gateway.runner.run_gateway``, which also starts federation and the admin API)."""

    def __init__(
        self,
        config: GatewayConfig,
        bootstrap: str,
        registry: CollectorRegistry,
        catalog: SchemaCatalog | None = None,
        *,
        security: KafkaSecurity,
    ) -> None:
        self.security = security
        self.config = config
        self.bootstrap = bootstrap
        self.registry = registry
        self.catalog = catalog or bundled_catalog()
        self.directory = config.load_directory()
        self.tiers = RetryTiers(config.retry_tiers)
        self.window_s = parse_delay(config.dedup_window)
        table = load_route_table(config, self.directory, self.catalog)
        self.processor = RecordProcessor(
            config.node,
            table,
            self.tiers,
            self.directory,
            self.catalog,
            max_record_bytes=config.max_record_bytes,
        )
        self.metrics = GatewayMetrics(registry, config.node)
        self.metrics.routes.labels(config.node).set(len(table.spec.routes))
        self.stopping = asyncio.Event()
        self._admin = new_admin(bootstrap, security)
        self.topics = KnownTopics(self._admin)
        self._consumer = new_consumer(
            bootstrap,
            security,
            group_id=config.group_id,
            partition_assignment_strategy=(RangePartitionAssignor,),
            max_poll_records=config.max_batch,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            # aiokafka sends no heartbeat while on_partitions_assigned runs, and that callback
            # restores the partitions' state: under load (a restart after SIGKILL with a few
            # thousand records of state, a busy 2-core host) it took ~20 s, past aiokafka's 10 s
            # default, so the group expelled the member after every restore and the gateway
            # never became ready (tests/integration/test_production_topology.py). 45 s is
            # Kafka's own default since 3.0 (KIP-735).
            session_timeout_ms=45_000,
        )
        self.producers = PartitionProducers(
            bootstrap, f"lgsp-gateway-{config.node}", security=security
        )
        self.transactions = PartitionTransactions(
            self.processor,
            self.metrics,
            self.topics.exists,
            group_id=config.group_id,
            routed_topic=gateway_topic(config.node, "routed"),
            route_log_topic=gateway_topic(config.node, ROUTE_LOG),
            source_partitions=config.partitions,
        )
        self.queues = PartitionQueues(
            self._transaction, self._owns, max_queued=2 * config.max_batch
        )
        self.ownership = PartitionOwner(
            self._consumer, self.producers, self.queues, self._restore, self.metrics, self.stopping
        )
        self.loop = ConsumeLoop(
            self._consumer, self.queues, self.ownership, self.metrics, max_batch=config.max_batch
        )
        self._stack = contextlib.AsyncExitStack()

    @property
    def consumer(self) -> AIOKafkaConsumer:
        """The group consumer, for readiness to read its assignment and positions (only the
        partition owner pauses, seeks and resumes it)."""
        return self._consumer

    @property
    def ready(self) -> asyncio.Event:
        """Set once the process owns partitions with their state restored."""
        return self.ownership.ready

    @property
    def table(self) -> RouteTable:
        return self.processor.table

    def main_topics(self) -> list[TopicName]:
        return [event_topic(self.config.node, t) for t in self.table.event_types()]

    def consumed_topics(self) -> list[str]:
        return consumed_topics(self.main_topics(), self.tiers.names)

    async def __aenter__(self) -> Gateway:
        async with contextlib.AsyncExitStack() as stack:  # everything opened is closed
            await self._admin.start()
            stack.push_async_callback(stop_client, self._admin, "gateway admin")
            # values on wire_format.confluent_topics are re-framed, Confluent frames read back
            self.transactions.wire = await stack.enter_async_context(
                record_encoding(self.config.wire_format, self.catalog)
            )
            stack.push_async_callback(self.producers.close, grace_s=STOP_GRACE_S)
            await self._ensure_topics()
            await self._consumer.start()
            # leaving the group revokes the partitions, which closes their producers
            stack.push_async_callback(stop_client, self._consumer, "gateway consumer")
            self._subscribe()
            refresher = asyncio.create_task(self._refresh_forever(), name="gateway-topics")
            stack.push_async_callback(_cancelled, refresher)
            stack.callback(self.stopping.set)
            self._stack = stack.pop_all()
        log.info(
            "gateway_started",
            node=self.config.node,
            topics=len(self.consumed_topics()),
            routes=len(self.table.spec.routes),
        )
        return self

    async def aclose(self) -> None:
        await self._stack.aclose()
        log.info("gateway_stopped", node=self.config.node)

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Consume and route until ``stop()``; the transactions in flight end before it returns."""
        await self.loop.run(self.stopping)

    async def reload(self) -> RouteTable:
        """Load the routing table again; an invalid one raises and the old one stays."""
        try:
            table = load_route_table(self.config, self.directory, self.catalog)
        except LgspError:
            self.metrics.reloads.labels(self.config.node, "rejected").inc()
            raise
        self.processor.table = table  # whole: a transaction sees the old or the new table
        await self._ensure_topics()
        self._subscribe()
        self.metrics.reloads.labels(self.config.node, "applied").inc()
        self.metrics.routes.labels(self.config.node).set(len(table.spec.routes))
        log.info("routes_reloaded", node=self.config.node, routes=len(table.spec.routes))
        return table

    def _subscribe(self) -> None:
        self._consumer.subscribe(self.consumed_topics(), listener=RebalanceListener(self.ownership))

    def _owns(self, partition: int) -> bool:
        return self.ownership.owns(partition)

    async def _transaction(self, partition: int, batch: Batch) -> None:
        owner = self.ownership
        result = await self.transactions.run(
            partition, batch, owner.producer(partition), owner.state(partition)
        )
        await owner.settled(partition, result)

    async def _restore(self, numbers: list[int], committed: Committed) -> dict[int, PartitionState]:
        return await restore_partitions(
            self.bootstrap,
            numbers,
            self.main_topics(),
            self.tiers,
            self.processor,
            committed,
            self.window_s,
            security=self.security,
        )

    async def _refresh_forever(self) -> None:
        """Keep the known-topic set and the consumer lag gauges fresh."""
        while True:
            with contextlib.suppress(Exception):
                await self.topics.refresh()
            try:
                self.metrics.report_lag(
                    self.ownership.positions, self._stable_offset, set(self.ownership.states)
                )
            except Exception as error:  # said, and tried again: this task must not die
                log.warning("consumer_lag_not_reported", node=self.config.node, error=repr(error))
            await asyncio.sleep(_TOPIC_REFRESH_S)

    def _stable_offset(self, tp: TopicPartition) -> int | None:
        """The last stable offset the consumer saw; None for a partition it no longer has
        (aiokafka asserts on those: a revocation must not end the refresh)."""
        if tp not in self._consumer.assignment():
            return None
        offset: int | None = self._consumer.last_stable_offset(tp)
        return offset

    async def _ensure_topics(self) -> None:
        await ensure_gateway_topics(
            self.bootstrap,
            self.config.node,
            self.main_topics(),
            self.tiers.names,
            self.config.partitions,
            self.window_s,
            parse_delay(self.config.trace_log_retention),
            security=self.security,
            replication=self.config.replication,
        )
        await self.topics.refresh()


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
