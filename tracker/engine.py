"""The tracker's stream processor: reads the node's dossier and document event topics, updates
the tables, and commits each batch's changelog writes, parked records and source offsets in one
Kafka transaction, so that after a crash (even SIGKILL) the tables and the read positions
agree: nothing is counted twice and nothing is skipped.

One active tracker per node: its transactional id ``lgsp-tracker-<node>`` fences any older
process, whose next commit then fails and which stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from bus.kafka import KafkaSecurity, LogReader, TopicSpec, ensure_topics, topic_partitions
from bus.kafka.factory import new_consumer, new_transactional_producer
from bus.kafka.stopping import stop_client
from bus.lifecycle import Closing
from bus.logging import bind_record
from bus.wireformat import SINGLE_OBJECT, RecordEncoding, record_encoding
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import LgspError
from schemas.parking import ParkInfo
from tracker.config import TrackerConfig
from tracker.dossiers import check_dossier_record
from tracker.errors import TrackerRecordError
from tracker.metrics import TrackerMetrics
from tracker.state import TrackerState
from tracker.topics import (
    DOCUMENT_SENT,
    DOCUMENT_STATUS,
    DOSSIER_STATUS,
    source_topics,
    tracker_topic,
)

log = structlog.get_logger("lgsp.tracker")
Record: TypeAlias = ConsumerRecord[bytes, bytes]
COMPACTED = {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}


class Tracker(Closing):
    """``async with Tracker(config, bootstrap, metrics, security=...) as t: await t.run()``."""

    def __init__(
        self,
        config: TrackerConfig,
        bootstrap: str,
        metrics: TrackerMetrics,
        *,
        security: KafkaSecurity,
    ) -> None:
        self.config = config
        self.state = TrackerState()
        self.metrics = metrics
        self._bootstrap = bootstrap
        self._security = security
        self._sources = source_topics(config.node)
        self._changelog = tracker_topic(config.node, "changelog")
        self._parked = tracker_topic(config.node, "parked")
        # Values are read with their writer's schema, never resolved to a reader schema: schema
        # resolution costs fastavro more than the rest of the record's processing, and the
        # fields added by later versions (FULL_TRANSITIVE: always with a default) are read
        # with .get() and that default.
        self._codec = AvroCodec(bundled_catalog())
        self._appliers: Mapping[str, Callable[[dict[str, Any]], bytes]] = {
            DOSSIER_STATUS: self._apply_dossier,
            DOCUMENT_SENT: self.state.apply_document_sent,
            DOCUMENT_STATUS: self.state.apply_document_status,
        }
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        # Confluent frames (wire_format.confluent_topics on the producer's side) are read
        # through wire_format.registry, opened on entering
        self._wire = RecordEncoding(SINGLE_OBJECT, None)
        self._wire_stack = contextlib.AsyncExitStack()
        self._partitions: list[TopicPartition] = []
        self._stopping = asyncio.Event()
        self.restored_records = 0
        self.recovery_s = 0.0

    async def __aenter__(self) -> Tracker:
        specs = [TopicSpec(name, self.config.partitions) for name in self._sources]
        specs += [
            TopicSpec(self._changelog, self.config.partitions, configs=COMPACTED),
            TopicSpec(self._parked, self.config.partitions),
        ]
        await ensure_topics(
            self._bootstrap, specs, security=self._security, replication=self.config.replication
        )
        self._wire = await self._wire_stack.enter_async_context(
            record_encoding(self.config.wire_format, self._codec.catalog)
        )
        # Fence first: an older tracker's open transaction is aborted before the changelog and
        # the committed offsets are read, so both are read as of the same commit.
        self._producer = new_transactional_producer(
            self._bootstrap,
            self._security,
            self.config.transactional_id,
            linger_ms=5,
            max_batch_size=512 * 1024,
        )
        await self._producer.start()
        try:
            await self._restore()
            self._partitions = await topic_partitions(
                self._bootstrap, self._sources, security=self._security
            )
            self._consumer = new_consumer(
                self._bootstrap,
                self._security,
                group_id=self.config.group_id,
                client_id=self.config.group_id,
                fetch_max_wait_ms=self.config.fetch_max_wait_ms,
                max_partition_fetch_bytes=4 * 1024 * 1024,
            )
            self._consumer.assign(self._partitions)
            await self._consumer.start()
        except BaseException:
            await stop_client(self._producer, "tracker producer")
            raise
        return self

    async def aclose(self) -> None:
        if self._consumer is not None:
            await stop_client(self._consumer, "tracker consumer")
        if self._producer is not None:
            await stop_client(self._producer, "tracker producer")
        await self._wire_stack.aclose()

    @property
    def consumer(self) -> AIOKafkaConsumer | None:
        """The source topics' consumer once started (read-only use: readiness)."""
        return self._consumer

    async def _restore(self) -> None:
        started = time.perf_counter()
        changelog = await topic_partitions(
            self._bootstrap, [self._changelog], security=self._security
        )
        async with LogReader(self._bootstrap, timeout_s=600, security=self._security) as reader:
            records = await reader.read(dict.fromkeys(changelog))
        self.state.restore_all((record.key, record.value) for record in records)
        self.restored_records = len(records)
        self.recovery_s = time.perf_counter() - started
        self.metrics.recovery_seconds.set(self.recovery_s)
        log.info(
            "tracker_restored",
            changelog_records=len(records),
            dossiers=len(self.state.dossiers),
            documents=len(self.state.documents),
            seconds=round(self.recovery_s, 3),
        )

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Process batches until ``stop()``; a failed transaction (e.g. fenced) raises."""
        assert self._consumer is not None
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(timeout_ms=200, max_records=self.config.max_batch)
            if batch:
                await self._process(batch)

    async def lag(self) -> int:
        """Source records not yet processed (0 when caught up with the topics' ends)."""
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(self._partitions)
        behind = 0
        for tp in self._partitions:
            behind += max(0, ends[tp] - await self._consumer.position(tp))
        return behind

    async def _process(self, batch: Mapping[TopicPartition, list[Record]]) -> None:
        assert self._producer is not None
        dirty: dict[bytes, int] = {}
        parked: list[tuple[Record, LgspError]] = []
        offsets: dict[TopicPartition, int] = {}
        for tp, records in batch.items():
            event_type = self._sources[tp.topic]
            changelog_partition = tp.partition % self.config.partitions
            apply = self._appliers[event_type]
            failed = 0
            for record in records:
                try:
                    value = await self._wire.single_object(record.value or b"")
                    key = apply(self._decode(event_type, record, value))
                except LgspError as error:
                    parked.append((record, error))
                    failed += 1
                except Exception as error:  # a record our rules did not foresee: park, go on
                    problem = f"cannot track it: {type(error).__name__}: {error}"
                    parked.append((record, TrackerRecordError(problem)))
                    failed += 1
                else:
                    dirty[key] = changelog_partition
            offsets[tp] = records[-1].offset + 1
            self.metrics.events.labels(event_type, "tracked").inc(len(records) - failed)
            if failed:
                self.metrics.events.labels(event_type, "parked").inc(failed)
        async with self._producer.transaction():
            sends = [
                await self._producer.send(
                    self._changelog,
                    key=key,
                    value=self.state.changelog_value(key),
                    partition=partition,
                )
                for key, partition in dirty.items()
            ]
            sends += [await self._park(record, error) for record, error in parked]
            await asyncio.gather(*sends)
            await self._producer.send_offsets_to_transaction(offsets, self.config.group_id)
        self.metrics.batches.inc()

    def _decode(self, event_type: str, record: Record, value: bytes) -> dict[str, Any]:
        envelope = Envelope.from_headers(record.headers)
        if envelope.type != event_type:
            raise TrackerRecordError(
                f"{envelope.type} record on the {event_type} topic", code="LGSP-TRACKER-TYPE"
            )
        if record.value is None:
            raise TrackerRecordError("record without a value")
        return self._codec.decode(value)

    def _apply_dossier(self, value: dict[str, Any]) -> bytes:
        check_dossier_record(value)
        return self.state.apply_dossier(value)

    async def _park(self, record: Record, error: LgspError) -> asyncio.Future[Any]:
        assert self._producer is not None
        bound: contextlib.AbstractContextManager[None]
        try:
            bound = bind_record(Envelope.from_headers(record.headers))
        except LgspError:
            bound = contextlib.nullcontext()
        with bound:
            log.warning(
                "tracker_record_parked",
                code=error.code,
                reason=error.message,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        info = ParkInfo.of_record(record, error.code, error.message)
        future: asyncio.Future[Any] = await self._producer.send(
            self._parked,
            key=record.key,
            value=record.value,
            headers=[*record.headers, *info.to_headers()],
            partition=record.partition % self.config.partitions,
        )
        return future
