"""The webhook connector: serves ``webhook_app`` and publishes what it accepts."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

import structlog
from aiokafka.errors import KafkaError

from bus.httpserver import http_server
from bus.kafka import KafkaPublisher
from bus.logging import bind_record
from connectors.config import ConnectorConfig
from connectors.events import CheckedEvent, EventBuilder
from connectors.lifecycle import Connector, bound_port
from connectors.webhook.app import webhook_app
from connectors.webhook.config import WebhookConfig
from connectors.webhook.handling import Published
from schemas.errors import LgspError

log = structlog.get_logger("lgsp.connector.webhook")
_levels = logging.getLogger("lgsp.connector.webhook")  # the stdlib logger behind ``log``


class WebhookConnector(Connector[WebhookConfig]):
    """Listens on ``host:port`` until stopped; ``port`` is the bound port."""

    config_model: ClassVar[type[ConnectorConfig]] = WebhookConfig
    port: int | None = None

    async def open(self) -> None:
        config = self.config
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
        self._in_flight = self.metrics.child(self.metrics.in_flight)
        app = webhook_app(config, self.publish, self.metrics, self.builder.directory)
        server = await self.enter.enter_async_context(http_server(app, config.host, config.port))
        self.port = bound_port(server)

    async def publish(self, event: CheckedEvent) -> Published:
        """Publish and wait for the broker's acknowledgement (at most max_in_flight at once:
        further requests wait, which slows callers down instead of exhausting memory)."""
        built = self.builder.build_checked(event)
        # a topic in wire_format.confluent_topics gets a Confluent frame (schema registered)
        record = await self.wire.outgoing(built.record)
        gauge = self._in_flight
        async with self._slots:
            gauge.inc()
            try:
                landed = await self.publisher.publish(record)
            except KafkaError as error:
                raise LgspError(
                    f"Kafka did not acknowledge the record: {error}",
                    code="LGSP-CONN-KAFKA-UNAVAILABLE",
                    retriable=True,
                ) from error
            finally:
                gauge.dec()
        if _levels.isEnabledFor(logging.DEBUG):  # binding the record costs more than the line
            with bind_record(built.envelope):
                log.debug("webhook_event_published", topic=landed.topic, offset=landed.offset)
        envelope = built.envelope
        return Published(envelope.id, envelope.type, landed.topic, landed.partition, landed.offset)

    async def run(self) -> None:
        await self._stopping.wait()
