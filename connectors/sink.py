"""Base of every sink: read the agency's inbox, deliver each record, commit after the target
acknowledged.

A subclass writes ``deliver(delivery)`` and raises ``RetriableDeliveryError`` (timeouts, 429, 5xx)
or ``PermanentDeliveryError`` (4xx) when the target does not take it. The base:

- reads ``lgsp.<node>.inbox.<agency>`` in the group ``lgsp.<node>.connector.<name>``;
- keeps each key's records in order, delivers different keys concurrently (at most
  ``max_in_flight`` at once);
- retries with exponential back-off and jitter, honouring the target's Retry-After;
- parks what cannot be delivered (undecodable, wrong type, refused, retries exhausted) in
  ``lgsp.<node>.connector.<name>.dlq`` with the park headers of ``schemas.parking``;
- commits a partition's offset only past records delivered or parked, so a sink killed at any
  moment delivers again what the target may not have; the target drops the copy by the
  ``Idempotency-Key`` (the ce_id) it is given.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeAlias, TypeVar

import structlog
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.structs import ConsumerRecord

from bus.kafka import KafkaPublisher, ensure_topics, kafka_consumer
from bus.logging import bind_record
from connectors.config import SinkConfig
from connectors.errors import DeliveryError, PermanentDeliveryError, RetriableDeliveryError
from connectors.events import EventBuilder
from connectors.lifecycle import Connector
from connectors.retry import backoff_s
from connectors.sla import delivery_delay_s
from connectors.topics import consumer_group, dlq_spec
from schemas.catalog import SchemaVersion
from schemas.envelope import Envelope
from schemas.errors import ContractError
from schemas.jsonform import to_json
from schemas.parking import ParkInfo
from schemas.topics import inbox_topic

log = structlog.get_logger("lgsp.connector.sink")
_levels = logging.getLogger("lgsp.connector.sink")  # the stdlib logger behind ``log``
SinkConfigT = TypeVar("SinkConfigT", bound=SinkConfig)
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass(frozen=True)
class Delivery:
    """One record to hand to the target, decoded, with its idempotency key."""

    envelope: Envelope
    key: str | None
    schema: SchemaVersion
    record: dict[str, Any]
    topic: str
    partition: int
    offset: int
    attempt: int = 1

    @property
    def idempotency_key(self) -> str:
        """The ce_id: the same for every copy of the event, whatever path it took."""
        return self.envelope.id

    def as_json(self) -> dict[str, Any]:
        """The record as plain JSON (the form agencies send and receive)."""
        return to_json(self.schema, self.record)


class _StoppedError(Exception):
    """Raised inside a delivery chain when the sink stops while waiting to retry."""


class SinkConnector(Connector[SinkConfigT]):
    """Subclass and write ``deliver``."""

    readiness_steps = ("inbox consumer started",)

    @abstractmethod
    async def deliver(self, delivery: Delivery) -> None:
        """Hand one record to the agency's system; raise ``RetriableDeliveryError`` to retry."""

    async def open_sink(self) -> None:
        """Open the subclass's own resources (HTTP client, folders)."""

    @property
    def inbox(self) -> str:
        return inbox_topic(self.config.node, self.config.agency)

    async def open(self) -> None:
        config = self.config
        await ensure_topics(
            self.context.bootstrap_servers,
            [dlq_spec(config.node, config.name)],
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
        self._slots = asyncio.Semaphore(config.max_in_flight)
        await self.open_sink()

    async def run(self) -> None:
        """Deliver the inbox's records until stopped."""
        async with kafka_consumer(
            self.context.bootstrap_servers,
            self.inbox,
            group_id=consumer_group(self.config.node, self.config.name),
            client_id=f"lgsp-{self.config.name}",
            max_poll_records=self.config.max_batch,
            security=self.context.security,
        ) as consumer:
            group = consumer_group(self.config.node, self.config.name)
            self.readiness.watch(consumer, group, name="inbox")
            self.readiness.done("inbox consumer started")
            log.info("sink_started", connector=self.config.name, inbox=self.inbox)
            lag = asyncio.create_task(self.metrics.report_lag_forever(consumer))
            try:
                while not self.stopping:
                    fetched = await consumer.getmany(
                        timeout_ms=500, max_records=self.config.max_batch
                    )
                    if not fetched:
                        continue
                    done = await self._deliver_batch(fetched)
                    offsets = _committable(fetched, done)
                    if offsets:
                        try:
                            await consumer.commit(offsets)
                        except (CommitFailedError, IllegalStateError) as error:
                            # partitions moved to another process of the group mid-batch: it
                            # delivers them again, and the target drops what it already has
                            log.warning("sink_commit_skipped", reason=str(error))
                            continue
                        self.metrics.checkpoints.labels(self.config.name).inc()
            finally:
                lag.cancel()
        log.info("sink_stopped", connector=self.config.name)

    async def _deliver_batch(
        self, fetched: dict[TopicPartition, list[Record]]
    ) -> set[tuple[int, int]]:
        """Deliver a fetched batch: each key's records in order, keys concurrently. Returns
        (partition, offset) of the records finished (delivered or parked)."""
        chains: dict[tuple[int, bytes | int], list[Record]] = defaultdict(list)
        for records in fetched.values():
            for record in records:
                # records without a key have no order to keep: each is its own chain
                chains[(record.partition, record.key or record.offset)].append(record)
        done: set[tuple[int, int]] = set()

        async def chain(records: list[Record]) -> None:
            for record in records:
                async with self._slots:
                    await self._handle(record)
                done.add((record.partition, record.offset))

        try:
            async with asyncio.TaskGroup() as group:
                for records in chains.values():
                    group.create_task(chain(records))
        except* _StoppedError:
            log.info("sink_stopping_mid_batch", finished=len(done))
        return done

    async def _handle(self, record: Record) -> None:
        try:
            # a Confluent frame (first byte 00) is read through wire_format.registry
            value = await self.wire.single_object(record.value or b"")
            delivery = self._decode(record, value)
        except (ContractError, PermanentDeliveryError) as error:
            await self._park(record, error.code, error.message, attempts=0)
            return
        with bind_record(delivery.envelope):
            await self._deliver_with_retries(record, delivery)

    def _decode(self, record: Record, value: bytes) -> Delivery:
        envelope = Envelope.from_headers(record.headers)
        accepted = self.config.event_types
        if accepted and envelope.type not in accepted:
            raise PermanentDeliveryError(
                f"this sink takes {', '.join(accepted)}, not {envelope.type}",
                code="LGSP-CONN-SCHEMA-MISMATCH",
            )
        codec = self.context.codec
        schema = codec.writer_of(value)
        return Delivery(
            envelope=envelope,
            key=record.key.decode("utf-8", "replace") if record.key is not None else None,
            schema=schema,
            record=codec.decode(value),
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )

    async def _deliver_with_retries(self, record: Record, delivery: Delivery) -> None:
        policy, name = self.config.retry, self.config.name
        gauge = self.metrics.child(self.metrics.in_flight)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            gauge.inc()
            try:
                # the first attempt is the delivery as decoded: no copy per record
                await self.deliver(delivery if attempt == 1 else replace(delivery, attempt=attempt))
            except PermanentDeliveryError as error:
                await self._park(record, error.code, error.message, attempts=attempt)
                return
            except Exception as error:  # timeouts, 5xx, and anything a plug-in did not foresee
                failure = _as_retriable(error)
                if policy.max_attempts is not None and attempt >= policy.max_attempts:
                    reason = f"{attempt} attempts failed, the last: {failure.message}"
                    await self._park(record, "LGSP-CONN-RETRIES-EXHAUSTED", reason, attempt)
                    return
                delay = backoff_s(policy, attempt, failure.retry_after_s)
                self.metrics.retries.labels(name, failure.code).inc()
                log.warning(
                    "sink_delivery_retry",
                    code=failure.code,
                    reason=failure.message,
                    attempt=attempt,
                    wait_s=round(delay, 3),
                )
                if await self.sleep(delay):
                    raise _StoppedError from error
                continue
            finally:
                gauge.dec()
            self.metrics.child(self.metrics.seconds).observe(time.perf_counter() - started)
            delay_s = self._delivered(delivery)
            if _levels.isEnabledFor(logging.DEBUG):  # a line a record: the call alone costs
                log.debug("sink_delivered", attempt=attempt, delay_s=round(delay_s, 3))
            return

    def _delivered(self, delivery: Delivery) -> float:
        """The target acknowledged: count it, and time it from ce_time against the SLA (the
        delay is returned)."""
        config = self.config
        event_type = delivery.schema.event_type  # of the contract: a bounded label
        delay_s = delivery_delay_s(delivery.envelope.time, datetime.now(UTC))
        sla_s = config.sla.for_type(event_type)
        self.metrics.count("delivered")
        self.metrics.delivered_in(config.node, config.agency, event_type, delay_s, sla_s)
        return delay_s

    async def _park(self, record: Record, code: str, reason: str, attempts: int) -> None:
        info = ParkInfo.of_record(record, code, reason, attempts=attempts)
        await self.publisher.publish(
            self.builder.parked_record(
                value=record.value or b"", key=record.key, headers=record.headers, info=info
            )
        )
        self.metrics.park(code)
        log.warning("sink_record_parked", code=code, reason=reason, offset=record.offset)


def _as_retriable(error: Exception) -> RetriableDeliveryError:
    if isinstance(error, RetriableDeliveryError):
        return error
    if isinstance(error, DeliveryError):
        return RetriableDeliveryError(error.message, code=error.code)
    return RetriableDeliveryError(
        f"{type(error).__name__}: {error}", code="LGSP-CONN-DELIVERY-FAILED"
    )


def _committable(
    fetched: dict[TopicPartition, list[Record]], done: Iterable[tuple[int, int]]
) -> dict[TopicPartition, int]:
    """Per partition, the offset after the longest run of finished records from the start."""
    finished = set(done)
    offsets: dict[TopicPartition, int] = {}
    for tp, records in fetched.items():
        for record in records:
            if (record.partition, record.offset) not in finished:
                break
            offsets[tp] = record.offset + 1
    return offsets
