"""Run a connector inside a process: ``async with run_connector(config, settings) as running``.

This is how ``lgsp connector run`` runs one, and how the demo or a test runs several in one
event loop. ``running.port`` is the webhook's bound port (useful with ``port: 0``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from bus.settings import Settings
from connectors.config import ConnectorConfig
from connectors.context import ConnectorContext
from connectors.lifecycle import Connector
from connectors.registry import connector_class


@dataclass
class RunningConnector:
    """A started connector and the task running it."""

    connector: Connector[Any]
    task: asyncio.Task[None]

    @property
    def port(self) -> int | None:
        """The HTTP port a webhook listens on (None for other kinds)."""
        return getattr(self.connector, "port", None)

    @property
    def metrics_port(self) -> int | None:
        return self.connector.metrics_port

    def stop(self) -> None:
        self.connector.stop()

    async def wait(self) -> None:
        """Until the connector stops (by ``stop``, or an error, which is raised here)."""
        await asyncio.shield(self.task)


def bootstrap_of(config: ConnectorConfig, settings: Settings) -> str:
    return settings.bootstrap_for(config.bootstrap_servers, "the connector file")


@contextlib.asynccontextmanager
async def run_connector(
    config: ConnectorConfig,
    settings: Settings,
    *,
    registry: CollectorRegistry | None = None,
) -> AsyncIterator[RunningConnector]:
    """Start the connector ``config`` describes; stop it gracefully when the block ends."""
    context = ConnectorContext(
        bootstrap_of(config, settings),
        settings.kafka_security(),
        registry or CollectorRegistry(),
    )
    async with connector_class(config)(config, context) as connector:
        running = RunningConnector(connector, asyncio.create_task(connector.run()))
        try:
            yield running
        finally:
            connector.stop()
            if running.task.done() and not running.task.cancelled():
                running.task.result()  # an error that ended run() early
            else:
                await running.task
