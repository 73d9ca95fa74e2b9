"""``LookupResponder``: answer the requests in an agency's inbox with a handler. Requests past
their deadline are dropped unanswered and counted; a handler that raises an ``LgspError`` has
the request parked in ``<inbox>.dlq`` with the park headers, counted by code, and answered
with the exchange's failure reply when it has one; retriable errors are tried again first."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from bus.backoff import exponential_s
from bus.exchanges import LOOKUP, Exchange
from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from bus.kafka.access import ClusterAccess
from bus.requestreply.common import ExchangeParty, LookupMetrics, ensure_inbox, ensure_topic
from schemas.catalog import SchemaCatalog
from schemas.envelope import Envelope
from schemas.errors import LgspError
from schemas.parking import ParkInfo
from schemas.topics import event_topic, inbox_topic

log = structlog.get_logger("lgsp.lookup")
Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
_HANDLER_ATTEMPTS = 4  # a retriable failure of the handler is tried this many times


class LookupResponder(ExchangeParty):
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
        super().__init__(cluster, node, agency, metrics, catalog, partitions, exchange)
        self.handler = handler

    @property
    def parked_topic(self) -> str:
        """Where requests the handler failed are parked, with the park headers."""
        return f"{inbox_topic(self.node, self.agency)}.dlq"

    async def run(self) -> None:
        inbox = await ensure_inbox(self.cluster, self.node, self.agency, self.partitions)
        await ensure_topic(self.cluster, self.parked_topic, self.partitions)
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
