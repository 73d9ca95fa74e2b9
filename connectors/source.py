"""Base of every source: poll the agency's system, publish, then commit the position.

A subclass writes ``poll(position)``: read what changed since ``position`` and return it with
the position to start from next time. The base publishes the events (idempotent producer,
acks=all, at most ``max_in_flight`` unacknowledged), parks those that do not fit their schema,
and saves the new position in the connector's checkpoint topic only once every event of the
batch is acknowledged. Killed at any moment, a source resumes without loss; events published
again carry the same ce_id (from ``SourceEvent.identity``), so sinks drop the copies.
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from bus.kafka import KafkaPublisher, ensure_topics
from bus.kafka.producer import OutgoingRecord
from bus.schemaregistry import RegistryError
from connectors.checkpoints import CheckpointStore
from connectors.config import SourceConfig
from connectors.events import EventBuilder, SourceEvent
from connectors.lifecycle import Connector
from connectors.topics import checkpoint_spec, dlq_spec
from schemas.errors import ContractError, LgspError

log = structlog.get_logger("lgsp.connector.source")
SourceConfigT = TypeVar("SourceConfigT", bound=SourceConfig)


@dataclass(frozen=True)
class SourceBatch:
    """Events read in one poll, and the position after them (None: unchanged).

    ``more`` says the agency's system has more right away (poll again without waiting);
    ``context`` is the subclass's own (e.g. the files to archive once acknowledged).
    """

    events: Sequence[SourceEvent] = ()
    position: str | None = None
    more: bool = False
    context: Any = field(default=None, compare=False)


class SourceConnector(Connector[SourceConfigT]):
    """Subclass and write ``poll``; optionally ``acknowledged`` (e.g. to archive files)."""

    readiness_steps = ("checkpoint restored",)

    @abstractmethod
    async def poll(self, position: str | None) -> SourceBatch:
        """Read what changed since ``position``; raise ``RetriableDeliveryError`` to retry later."""

    async def acknowledged(self, batch: SourceBatch) -> None:
        """Called once every event of ``batch`` is acknowledged and its position saved."""

    async def open_source(self) -> None:
        """Open the subclass's own resources (HTTP client, folders)."""

    async def open(self) -> None:
        config = self.config
        await ensure_topics(
            self.context.bootstrap_servers,
            [checkpoint_spec(config.node, config.name), dlq_spec(config.node, config.name)],
            security=self.context.security,
            replication=config.replication,
        )
        self.publisher = await self.enter.enter_async_context(
            KafkaPublisher(
                self.context.bootstrap_servers,
                client_id=f"lgsp-{config.name}",
                security=self.context.security,
            )
        )
        self.builder = EventBuilder(
            config.node, config.name, config.agency, self.context.codec, config.load_directory()
        )
        self.checkpoints = CheckpointStore(
            self.context.bootstrap_servers,
            config.node,
            config.name,
            security=self.context.security,
        )
        self._slots = asyncio.Semaphore(config.max_in_flight)
        await self.open_source()

    async def run(self) -> None:
        """Poll, publish and checkpoint until stopped."""
        position = await self.checkpoints.load()
        self.readiness.done("checkpoint restored")
        log.info("source_started", connector=self.config.name, position=position)
        while not self.stopping:
            try:
                batch = await self.poll(position)
            except LgspError as error:
                # the agency's system is down or answered something unusable: say so, and
                # try again later
                log.error("source_poll_failed", code=error.code, reason=error.message)
                await self.sleep(self.config.poll_interval_s)
                continue
            if batch.events:
                try:
                    await self.publish(batch.events)
                except RegistryError as error:
                    # wire_format's registry is down: the position is not saved, so the
                    # batch is read and published again (same ce_ids) once it is back
                    log.error("source_publish_failed", code=error.code, reason=error.message)
                    await self.sleep(self.config.poll_interval_s)
                    continue
            if batch.position is not None and batch.position != position:
                await self.checkpoints.save(self.publisher, batch.position)
                self.metrics.checkpoints.labels(self.config.name).inc()
                position = batch.position
            await self.acknowledged(batch)
            if batch.events:
                log.info("source_batch_published", count=len(batch.events), position=position)
            if not batch.more:
                await self.sleep(self.config.poll_interval_s)
        log.info("source_stopped", connector=self.config.name, position=position)

    async def publish(self, events: Sequence[SourceEvent]) -> None:
        """Publish ``events`` in order, pipelined, and return once all are acknowledged."""
        started = time.perf_counter()
        futures: list[asyncio.Future[object]] = []
        published = 0
        for event in events:
            try:
                built = self.builder.build(event)
                # a topic in wire_format.confluent_topics gets a Confluent frame
                record: OutgoingRecord = await self.wire.outgoing(built.record)
                published += 1
            except ContractError as error:
                log.warning(
                    "source_event_parked", code=error.code, reason=error.message, key=event.key
                )
                record = self.builder.parked_event(event, error.code, error.message)
                self.metrics.park(error.code)
            futures.append(await self._enqueue(record))
        await asyncio.gather(*futures)
        self.metrics.count("published", published)
        self.metrics.seconds.labels(self.config.name).observe(time.perf_counter() - started)

    async def _enqueue(self, record: OutgoingRecord) -> asyncio.Future[object]:
        await self._slots.acquire()
        gauge = self.metrics.child(self.metrics.in_flight)
        gauge.inc()
        future: asyncio.Future[object] = await self.publisher.enqueue(record)

        def settled(_: asyncio.Future[object]) -> None:
            self._slots.release()
            gauge.dec()

        future.add_done_callback(settled)
        return future
