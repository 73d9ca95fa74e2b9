"""Request and reply over the bus, across nodes: record look-ups (e.g. a citizen by CCCD, from
a province's department to the national population database on NGSP) and fee payments (from a
one-stop-shop to the national payment platform), each an ``Exchange`` (``bus.exchanges``).

``LookupRequester`` publishes the exchange's request for one agency and waits for the reply
that carries the same correlation id in that agency's inbox, until the deadline; a reply that
comes after it is dropped and counted. ``LookupResponder`` answers the requests in an
agency's inbox with a handler; requests already past their deadline are dropped unanswered and
counted. A handler that raises an ``LgspError`` (a refused payment, a bad checksum) has the
request parked in ``<inbox>.dlq`` with the park headers, counted by code, and answered with
the exchange's failure reply when it has one; retriable errors are tried again first.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry, Counter, Histogram

from bus.backoff import exponential_s
from bus.exchanges import LOOKUP, Exchange
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.access import ClusterAccess
from bus.lifecycle import Closing
from schemas.catalog import SchemaCatalog, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import LgspError
from schemas.parking import ParkInfo
from schemas.topics import event_topic, inbox_topic

log = structlog.get_logger("lgsp.lookup")
REQUEST = LOOKUP.request_type
REPLY = LOOKUP.reply_type
Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
_HANDLER_ATTEMPTS = 4  # a retriable failure of the handler is tried this many times


class LookupTimeoutError(LgspError):
    code = "LGSP-LOOKUP-TIMEOUT"
    retriable = True


class LookupMetrics:
    """Metrics of one exchange, ``lgsp_<exchange>_*`` (``lgsp_lookup_*`` for look-ups)."""

    def __init__(self, registry: CollectorRegistry, exchange: str = "lookup") -> None:
        prefix = f"lgsp_{exchange}"
        self.requests = Counter(
            f"{prefix}_requests_total",
            "Requests asked, by outcome (replied, timeout).",
            ["node", "outcome"],
            registry=registry,
        )
        self.late = Counter(
            f"{prefix}_late_replies_total",
            "Replies that arrived after their request's deadline, dropped.",
            ["node"],
            registry=registry,
        )
        self.expired = Counter(
            f"{prefix}_expired_requests_total",
            "Requests that reached the responder after their deadline, dropped unanswered.",
            ["node"],
            registry=registry,
        )
        self.answered = Counter(
            f"{prefix}_answered_total",
            "Requests answered by a responder.",
            ["node"],
            registry=registry,
        )
        self.failed = Counter(
            f"{prefix}_failed_requests_total",
            "Requests the responder's handler failed (parked), by error code.",
            ["node", "code"],
            registry=registry,
        )
        self.round_trip = Histogram(
            f"{prefix}_round_trip_seconds",
            "From request published to reply received.",
            ["node"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=registry,
        )


async def _ensure_topic(cluster: ClusterAccess, topic: str, partitions: int) -> str:
    await ensure_topics(
        cluster.bootstrap_servers,
        [TopicSpec(topic, partitions)],
        security=cluster.security,
        replication=cluster.replication,
    )
    return topic


async def _ensure_inbox(cluster: ClusterAccess, node: str, agency: str, partitions: int) -> str:
    return await _ensure_topic(cluster, inbox_topic(node, agency), partitions)


class LookupRequester(Closing):
    """Ask look-ups for ``agency`` on ``node``; use as ``async with``."""

    def __init__(
        self,
        cluster: ClusterAccess,
        node: str,
        agency: str,
        metrics: LookupMetrics,
        catalog: SchemaCatalog | None = None,
        partitions: int = 3,
        exchange: Exchange = LOOKUP,
    ) -> None:
        self.cluster, self.node, self.agency = cluster, node, agency
        self.bootstrap = cluster.bootstrap_servers
        self.metrics, self.partitions, self.exchange = metrics, partitions, exchange
        self.catalog = catalog or bundled_catalog()
        self.codec = AvroCodec(self.catalog)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._given_up: set[str] = set()
        self._stack = contextlib.AsyncExitStack()
        self._publisher: KafkaPublisher | None = None

    async def __aenter__(self) -> LookupRequester:
        inbox = await _ensure_inbox(self.cluster, self.node, self.agency, self.partitions)
        security = self.cluster.security
        await self._stack.__aenter__()
        self._publisher = await self._stack.enter_async_context(
            KafkaPublisher(self.bootstrap, security=security)
        )
        consumer = await self._stack.enter_async_context(
            kafka_consumer(
                self.bootstrap,
                inbox,
                group_id=None,
                auto_offset_reset="latest",
                security=security,
            )
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
        """Send ``request`` (a request record of the exchange, stamped here: a look-up's id and
        times) to the ``target`` agency; the reply, or ``LookupTimeoutError`` at the deadline."""
        assert self._publisher is not None
        exchange = self.exchange
        now = datetime.now(UTC)
        record = exchange.stamp(request, now, now + timedelta(seconds=deadline_s))
        request_id = str(record[exchange.id_field])
        schema = self.catalog.for_event_type(exchange.request_type)
        envelope = Envelope.new(
            source=self.agency,
            type=exchange.request_type,
            dataschema=schema.dataschema,
            recipients=[target],
            correlation_id=request_id,
        )
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        started = time.monotonic()
        await self._publisher.publish(
            OutgoingRecord(
                str(event_topic(self.node, exchange.request_type)),
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
                    if envelope.type != self.exchange.reply_type or record.value is None:
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
    """Answer the requests in ``agency``'s inbox with ``handler``; run with ``run()``."""

    def __init__(
        self,
        cluster: ClusterAccess,
        node: str,
        agency: str,
        handler: Handler,
        metrics: LookupMetrics,
        catalog: SchemaCatalog | None = None,
        partitions: int = 3,
        exchange: Exchange = LOOKUP,
    ) -> None:
        self.cluster, self.node, self.agency = cluster, node, agency
        self.bootstrap = cluster.bootstrap_servers
        self.handler, self.metrics, self.partitions = handler, metrics, partitions
        self.exchange = exchange
        self.catalog = catalog or bundled_catalog()
        self.codec = AvroCodec(self.catalog)

    @property
    def parked_topic(self) -> str:
        """Where requests the handler failed are parked, with the park headers."""
        return f"{inbox_topic(self.node, self.agency)}.dlq"

    async def run(self) -> None:
        inbox = await _ensure_inbox(self.cluster, self.node, self.agency, self.partitions)
        await _ensure_topic(self.cluster, self.parked_topic, self.partitions)
        schema = self.catalog.for_event_type(self.exchange.reply_type)
        group = f"lgsp-{self.exchange.name}-{self.node}-{self.agency}"
        security = self.cluster.security
        async with (
            KafkaPublisher(self.bootstrap, security=security) as publisher,
            kafka_consumer(self.bootstrap, inbox, group_id=group, security=security) as consumer,
        ):
            while True:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        await self._answer(publisher, schema, record)
                if batch:
                    await consumer.commit()

    async def _answer(self, publisher: KafkaPublisher, schema: Any, record: Any) -> None:
        envelope = Envelope.from_headers(record.headers)
        exchange = self.exchange
        if envelope.type != exchange.request_type or record.value is None:
            return
        request = self.codec.decode(record.value)
        deadline = request.get(exchange.deadline_field) if exchange.deadline_field else None
        if deadline is not None and deadline < datetime.now(UTC):
            self.metrics.expired.labels(self.node).inc()
            log.info("expired_request_dropped", ce_id=envelope.id)
            return
        try:
            reply = await self._handled(request)
        except LgspError as error:
            await self._park(publisher, record, error)
            if exchange.failure_reply is None:
                return
            reply = exchange.failure_reply(request, error)
        answer = Envelope.new(
            source=self.agency,
            type=exchange.reply_type,
            dataschema=schema.dataschema,
            recipients=[envelope.source],
            correlation_id=envelope.correlation_id,
            traceparent=envelope.traceparent,
        )
        await publisher.publish(
            OutgoingRecord(
                str(event_topic(self.node, exchange.reply_type)),
                self.codec.encode(schema, reply),
                str(request[exchange.id_field]).encode(),
                answer.to_headers(),
            )
        )
        self.metrics.answered.labels(self.node).inc()

    async def _handled(self, request: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, _HANDLER_ATTEMPTS + 1):
            try:
                return await self._handler_once(request)
            except LgspError as error:
                if not error.retriable or attempt == _HANDLER_ATTEMPTS:
                    raise
                log.warning("request_handler_retry", code=error.code, attempt=attempt)
                await asyncio.sleep(exponential_s(0.5, attempt - 1, max_s=10.0))
        raise AssertionError("unreachable")

    async def _handler_once(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.handler(request)
        except LgspError:
            raise
        except Exception as error:  # a handler's bug parks its request, never stops the rest
            raise LgspError(
                f"the {self.exchange.name} handler failed: {type(error).__name__}: {error}",
                code="LGSP-REQUEST-HANDLER-FAILED",
            ) from error

    async def _park(self, publisher: KafkaPublisher, record: Any, error: LgspError) -> None:
        info = ParkInfo.of_record(record, error.code, error.message, attempts=1)
        await publisher.publish(
            OutgoingRecord(
                self.parked_topic,
                record.value,
                record.key,
                [*record.headers, *info.to_headers()],
            )
        )
        self.metrics.failed.labels(self.node, error.code).inc()
        log.warning("request_parked", code=error.code, reason=error.message, offset=record.offset)
