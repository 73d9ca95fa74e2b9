"""The gateway process: consume the node's event and retry topics, decide, produce, commit,
all inside one Kafka transaction per partition number and batch.

A record's outputs (deliveries, retry or dead-letter copies, the routed-id marker) and the
offset that consumed it commit together or not at all, so a gateway killed at any instant
neither loses nor duplicates a routed record inside the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from types import TracebackType

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from prometheus_client import CollectorRegistry

from bus.kafka.security import KafkaSecurity, client_options
from gateway.config import GatewayConfig, load_route_table
from gateway.metrics import GatewayMetrics
from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.records import Outcome, Output
from gateway.routing.retry_tiers import RetryTiers, parse_delay
from gateway.routing.table import RouteTable
from gateway.runtime.batching import TransactionBatches
from gateway.runtime.ownership import STOP_GRACE_S, PartitionOwnership
from gateway.runtime.producers import PartitionProducers
from gateway.runtime.queues import Batch, PartitionPipeline
from gateway.runtime.rebalance import RebalanceListener
from gateway.runtime.topology import consumed_topics, ensure_gateway_topics
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.errors import LgspError
from schemas.topics import TopicName, event_topic, gateway_topic

log = structlog.get_logger("lgsp.gateway")
_TOPIC_REFRESH_S = 2.0


class Gateway:
    """One gateway process of a node; use as ``async with Gateway(...) as gw: await gw.run()``."""

    def __init__(
        self,
        config: GatewayConfig,
        bootstrap: str,
        registry: CollectorRegistry,
        catalog: SchemaCatalog | None = None,
        *,
        security: KafkaSecurity | None = None,
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
        self.producers = PartitionProducers(
            bootstrap, f"lgsp-gateway-{config.node}", security=security
        )
        self.states: dict[int, PartitionState] = {}
        self._routed_topic = gateway_topic(config.node, "routed")
        self._partition_counts: dict[str, int] = {}
        self.positions: dict[TopicPartition, int] = {}  # next offset to route, for lag
        self.ready = asyncio.Event()
        self._lock = asyncio.Lock()
        self.stopping = asyncio.Event()
        self._known_topics: set[str] = set()
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(security))
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            **client_options(security),
            group_id=config.group_id,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            max_poll_records=config.max_batch,
            fetch_max_wait_ms=config.fetch_max_wait_ms,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.pipeline = PartitionPipeline(
            self._process, self.states.__contains__, max_queued=2 * config.max_batch
        )
        self.ownership = PartitionOwnership(self)

    @property
    def consumer(self) -> AIOKafkaConsumer:
        """The group consumer (read-only use: its assignment, for readiness)."""
        return self._consumer

    @property
    def table(self) -> RouteTable:
        return self.processor.table

    def main_topics(self) -> list[TopicName]:
        return [event_topic(self.config.node, t) for t in self.table.event_types()]

    def consumed_topics(self) -> list[str]:
        return consumed_topics(self.main_topics(), self.tiers.names)

    async def __aenter__(self) -> Gateway:
        await self._admin.start()
        try:
            await self._ensure_topics()
            await self._consumer.start()
        except BaseException:
            await self._admin.close()
            raise
        self._consumer.subscribe(self.consumed_topics(), listener=RebalanceListener(self.ownership))
        self._tasks.append(asyncio.create_task(self._refresh_topics_forever()))
        log.info(
            "gateway_started",
            node=self.config.node,
            topics=len(self.consumed_topics()),
            routes=len(self.table.spec.routes),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._consumer.stop()  # leaves the group: the revocation closes the producers
        await self.producers.close(grace_s=STOP_GRACE_S)
        await self._admin.close()
        log.info("gateway_stopped", node=self.config.node)

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> None:
        """Consume and route until ``stop()``; the transactions in flight end before it returns."""
        last_prune = time.monotonic()
        try:
            while not self.stopping.is_set():
                await self.pipeline.room()
                batch = await self._consumer.getmany(
                    timeout_ms=200, max_records=self.config.max_batch
                )
                by_number: dict[int, Batch] = defaultdict(dict)
                for tp, records in batch.items():
                    by_number[tp.partition][tp] = records
                for partition, records_of in by_number.items():
                    self.pipeline.add(partition, records_of)
                if time.monotonic() - last_prune > 10:
                    self._prune()
                    last_prune = time.monotonic()
        finally:
            await self.pipeline.close(STOP_GRACE_S)

    def _prune(self) -> None:
        now = time.time()
        for state in self.states.values():
            state.prune(now)
        self.metrics.held_keys.labels(self.config.node).set(
            sum(len(s.holds) for s in self.states.values())
        )

    async def reload(self) -> RouteTable:
        """Load the routing table again; an invalid one raises and the old one stays."""
        try:
            table = load_route_table(self.config, self.directory, self.catalog)
        except LgspError:
            self.metrics.reloads.labels(self.config.node, "rejected").inc()
            raise
        async with self._lock:
            self.processor.table = table
        await self._ensure_topics()
        self._consumer.subscribe(self.consumed_topics(), listener=RebalanceListener(self.ownership))
        self.metrics.reloads.labels(self.config.node, "applied").inc()
        self.metrics.routes.labels(self.config.node).set(len(table.spec.routes))
        log.info("routes_reloaded", node=self.config.node, routes=len(table.spec.routes))
        return table

    async def _process(self, partition: int, batch: Batch) -> None:
        producer = self.producers.get(partition)
        state = self.states[partition]
        started, now = time.perf_counter(), time.time()
        outcomes: list[Outcome] = []
        offsets: dict[TopicPartition, int] = {}
        try:
            await producer.begin_transaction()
            batches = TransactionBatches(producer, self._partition_counts, self.config.partitions)
            for tp, records in batch.items():
                for record in records:
                    outcome = self.processor.handle(record, state, now, self._topic_exists)
                    if outcome.kind == "waiting":
                        self._pause_until(tp, record.offset, outcome.due_at or now)
                        self.pipeline.drop(partition, tp)  # fetched again when it is due
                        break
                    for out in outcome.outputs:
                        await batches.add(out, partition)
                    offsets[tp] = record.offset + 1
                    outcomes.append(outcome)
            routed_ids = [o.ce_id for o in outcomes if o.kind == "routed" and o.ce_id]
            if routed_ids:  # one dedup marker per transaction, read back by restore
                marker = "\n".join(routed_ids).encode()
                await batches.add(
                    Output(self._routed_topic, None, marker, (), partition), partition
                )
            # The offsets join the transaction while its records are still being acknowledged:
            # both must be in before the commit, in no particular order.
            steps = [batches.flush()]
            if offsets:
                steps.append(producer.send_offsets_to_transaction(offsets, self.config.group_id))
            await asyncio.gather(*steps)
            await producer.commit_transaction()
        except Exception as error:  # abort, rewind and rebuild: nothing half-done survives
            self.metrics.transactions.labels(self.config.node, "aborted").inc()
            log.warning(
                "transaction_aborted", node=self.config.node, partition=partition, error=repr(error)
            )
            with contextlib.suppress(Exception):
                await producer.abort_transaction()
            await self.ownership.rebuild(partition)
            return
        self.metrics.transactions.labels(self.config.node, "committed").inc()
        self.metrics.count(outcomes, time.perf_counter() - started)
        self.positions.update(offsets)

    def _topic_exists(self, topic: str) -> bool:
        return topic in self._known_topics

    async def _refresh_topics_forever(self) -> None:
        """Keep the known-topic set and the consumer lag gauges fresh."""
        while True:
            with contextlib.suppress(Exception):
                self._known_topics = set(await self._admin.list_topics())
            self.metrics.report_lag(
                self.positions, self._consumer.last_stable_offset, set(self.states)
            )
            await asyncio.sleep(_TOPIC_REFRESH_S)

    def _pause_until(self, tp: TopicPartition, offset: int, due_at: float) -> None:
        """Hold a retry tier partition until its head record is due (non-blocking retries)."""
        self._consumer.seek(tp, offset)
        self._consumer.pause(tp)
        asyncio.get_running_loop().call_later(max(0.0, due_at - time.time()), self._resume, tp)

    def _resume(self, tp: TopicPartition) -> None:
        if tp in self._consumer.assignment():
            self._consumer.resume(tp)

    async def _ensure_topics(self) -> None:
        await ensure_gateway_topics(
            self.bootstrap,
            self.config.node,
            self.main_topics(),
            self.tiers.names,
            self.config.partitions,
            self.window_s,
            security=self.security,
        )
        self._known_topics = set(await self._admin.list_topics())
