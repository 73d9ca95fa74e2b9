"""Record look-ups as request and reply over the bus (e.g. a citizen by CCCD, from a province's
department to the national population database on NGSP).

``LookupRequester`` publishes ``vn.gov.lookup.request.v1`` for one agency and waits for the
``vn.gov.lookup.reply.v1`` that carries the same correlation id in that agency's inbox, until
the request's deadline; a reply that comes after it is dropped and counted.
``LookupResponder`` answers the requests in a database agency's inbox with a handler; requests
already past their deadline are dropped unanswered and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry, Counter, Histogram

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.lifecycle import Closing
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import LgspError
from schemas.topics import event_topic, inbox_topic

log = structlog.get_logger("lgsp.lookup")
REQUEST = "vn.gov.lookup.request.v1"
REPLY = "vn.gov.lookup.reply.v1"
Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class LookupTimeoutError(LgspError):
    code = "LGSP-LOOKUP-TIMEOUT"
    retriable = True


class LookupMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "lgsp_lookup_requests_total",
            "Look-ups asked, by outcome (replied, timeout).",
            ["node", "outcome"],
            registry=registry,
        )
        self.late = Counter(
            "lgsp_lookup_late_replies_total",
            "Replies that arrived after their request's deadline, dropped.",
            ["node"],
            registry=registry,
        )
        self.expired = Counter(
            "lgsp_lookup_expired_requests_total",
            "Requests that reached the responder after their deadline, dropped unanswered.",
            ["node"],
            registry=registry,
        )
        self.answered = Counter(
            "lgsp_lookup_answered_total",
            "Requests answered by a responder.",
            ["node"],
            registry=registry,
        )
        self.round_trip = Histogram(
            "lgsp_lookup_round_trip_seconds",
            "From request published to reply received.",
            ["node"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=registry,
        )


async def _ensure_inbox(bootstrap: str, node: str, agency: str, partitions: int) -> str:
    topic = inbox_topic(node, agency)
    await ensure_topics(bootstrap, [TopicSpec(topic, partitions)])
    return topic


class LookupRequester(Closing):
    """Ask look-ups for ``agency`` on ``node``; use as ``async with``."""

    def __init__(
        self,
        bootstrap: str,
        node: str,
        agency: str,
        metrics: LookupMetrics,
        catalog: SchemaCatalog | None = None,
        partitions: int = 3,
    ) -> None:
        self.bootstrap, self.node, self.agency = bootstrap, node, agency
        self.metrics, self.partitions = metrics, partitions
        self.catalog = catalog or bundled_catalog()
        self.codec = AvroCodec(self.catalog)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._given_up: set[str] = set()
        self._stack = contextlib.AsyncExitStack()
        self._publisher: KafkaPublisher | None = None

    async def __aenter__(self) -> LookupRequester:
        inbox = await _ensure_inbox(self.bootstrap, self.node, self.agency, self.partitions)
        await self._stack.__aenter__()
        self._publisher = await self._stack.enter_async_context(KafkaPublisher(self.bootstrap))
        consumer = await self._stack.enter_async_context(
            kafka_consumer(self.bootstrap, inbox, group_id=None, auto_offset_reset="latest")
        )
        task = asyncio.create_task(self._read_replies(consumer))
        self._stack.callback(task.cancel)
        while not consumer.assignment():  # noqa: ASYNC110 (replies may come fast: listen first)
            await asyncio.sleep(0.05)
        for tp in consumer.assignment():
            await consumer.position(tp)
        return self

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def lookup(
        self, request: dict[str, Any], target: str, deadline_s: float
    ) -> dict[str, Any]:
        """Send ``request`` (a lookup.request record, ids and times filled in here) to the
        ``target`` database agency; the reply, or ``LookupTimeoutError`` at the deadline."""
        assert self._publisher is not None
        request_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        record = request | {
            "requestId": request_id,
            "requestedAt": now,
            "deadlineAt": now + timedelta(seconds=deadline_s),
        }
        schema = self.catalog.for_event_type(REQUEST)
        envelope = Envelope.new(
            source=self.agency,
            type=REQUEST,
            dataschema=schema.dataschema,
            recipients=[target],
            correlation_id=request_id,
        )
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        started = time.monotonic()
        await self._publisher.publish(
            OutgoingRecord(
                str(event_topic(self.node, REQUEST)),
                self.codec.encode(schema, record),
                request_id.encode(),
                envelope.to_headers(),
            )
        )
        try:
            reply = await asyncio.wait_for(future, deadline_s - (time.monotonic() - started))
        except TimeoutError:
            self._given_up.add(request_id)
            self.metrics.requests.labels(self.node, "timeout").inc()
            raise LookupTimeoutError(
                f"no reply from {target} within {deadline_s:g} s (request {request_id})"
            ) from None
        finally:
            self._waiting.pop(request_id, None)
        self.metrics.requests.labels(self.node, "replied").inc()
        self.metrics.round_trip.labels(self.node).observe(time.monotonic() - started)
        return reply

    async def _read_replies(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    envelope = Envelope.from_headers(record.headers)
                    if envelope.type != REPLY or record.value is None:
                        continue
                    waiting = self._waiting.get(envelope.correlation_id or "")
                    if waiting is not None and not waiting.done():
                        waiting.set_result(self.codec.decode(record.value))
                    elif envelope.correlation_id in self._given_up:
                        self.metrics.late.labels(self.node).inc()
                        log.info(
                            "late_reply_dropped",
                            ce_id=envelope.id,
                            correlation_id=envelope.correlation_id,
                        )


class LookupResponder:
    """Answer the look-ups in ``agency``'s inbox with ``handler``; run with ``run()``."""

    def __init__(
        self,
        bootstrap: str,
        node: str,
        agency: str,
        handler: Handler,
        metrics: LookupMetrics,
        catalog: SchemaCatalog | None = None,
        partitions: int = 3,
    ) -> None:
        self.bootstrap, self.node, self.agency = bootstrap, node, agency
        self.handler, self.metrics, self.partitions = handler, metrics, partitions
        self.catalog = catalog or bundled_catalog()
        self.codec = AvroCodec(self.catalog)

    async def run(self) -> None:
        inbox = await _ensure_inbox(self.bootstrap, self.node, self.agency, self.partitions)
        schema = self.catalog.for_event_type(REPLY)
        async with (
            KafkaPublisher(self.bootstrap) as publisher,
            kafka_consumer(
                self.bootstrap, inbox, group_id=f"lgsp-lookup-{self.node}-{self.agency}"
            ) as consumer,
        ):
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        await self._answer(publisher, schema, record.headers, record.value)
                if batch:
                    await consumer.commit()

    async def _answer(
        self, publisher: KafkaPublisher, schema: Any, headers: Any, value: bytes | None
    ) -> None:
        envelope = Envelope.from_headers(headers)
        if envelope.type != REQUEST or value is None:
            return
        request = self.codec.decode(value)
        if request["deadlineAt"] < datetime.now(UTC):
            self.metrics.expired.labels(self.node).inc()
            log.info("expired_request_dropped", ce_id=envelope.id)
            return
        reply = await self.handler(request)
        answer = Envelope.new(
            source=self.agency,
            type=REPLY,
            dataschema=schema.dataschema,
            recipients=[envelope.source],
            correlation_id=envelope.correlation_id,
            traceparent=envelope.traceparent,
        )
        await publisher.publish(
            OutgoingRecord(
                str(event_topic(self.node, REPLY)),
                self.codec.encode(schema, reply),
                request["requestId"].encode(),
                answer.to_headers(),
            )
        )
        self.metrics.answered.labels(self.node).inc()
