"""``LookupRequester``: publish an exchange's request for one agency and wait for the reply
with the same correlation id in that agency's inbox, until the deadline; a reply that comes
after it is dropped and counted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer

from bus.exchanges import LOOKUP, Exchange
from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from bus.kafka.access import ClusterAccess
from bus.lifecycle import Closing
from bus.requestreply.common import (
    ExchangeParty,
    LookupMetrics,
    LookupTimeoutError,
    ensure_inbox,
)
from schemas.catalog import SchemaCatalog
from schemas.envelope import Envelope
from schemas.topics import event_topic

log = structlog.get_logger("lgsp.lookup")


class LookupRequester(ExchangeParty, Closing):
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
        super().__init__(cluster, node, agency, metrics, catalog, partitions, exchange)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._given_up: set[str] = set()
        self._stack = contextlib.AsyncExitStack()
        self._publisher: KafkaPublisher | None = None

    async def __aenter__(self) -> LookupRequester:
        inbox = await ensure_inbox(self.cluster, self.node, self.agency, self.partitions)
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
