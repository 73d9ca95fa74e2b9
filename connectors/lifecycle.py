"""What source and sink bases share: start and stop, the stop signal, and the HTTP port of
``/metrics``, ``/healthz`` and ``/readyz`` (``metrics_port``)."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Self, TypeVar

from bus.health import health_and_metrics_app
from bus.httpserver import http_server
from bus.lifecycle import Closing
from bus.readiness import KafkaReadiness
from bus.wireformat import RecordEncoding, record_encoding
from connectors.config import ConnectorConfig
from connectors.context import ConnectorContext
from connectors.metrics import ConnectorMetrics

ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)


class Connector(Closing, ABC, Generic[ConfigT]):
    """Base of every connector: ``async with Connector(config, context) as c: await c.run()``.

    Subclasses open their own resources (HTTP clients, folders) in ``open`` and release them
    in ``close``; ``run`` works until ``stop`` is called (SIGTERM in ``lgsp connector run``).
    """

    config_model: ClassVar[type[ConnectorConfig]]
    # what a kind must have done before it is ready (besides its cluster answering)
    readiness_steps: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ConfigT, context: ConnectorContext) -> None:
        self.config = config
        self.context = context
        self.metrics = ConnectorMetrics(context.registry, config.name)
        self._stopping = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()
        self.metrics_port: int | None = None
        # ready: the cluster answers, plus what the kind adds (a sink: its inbox caught up)
        self.readiness = KafkaReadiness(context.bootstrap_servers, security=context.security)
        self.readiness.require("connector opened", *self.readiness_steps)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Finish what is in flight, commit the position, and return from ``run``."""
        self._stopping.set()

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped first; True if stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self.stopping

    async def open(self) -> None:
        """Open the connector's own resources (called on entering ``async with``)."""

    async def close(self) -> None:
        """Release them (called on leaving, even after an error)."""

    @abstractmethod
    async def run(self) -> None:
        """Work until ``stop`` is called."""

    async def __aenter__(self) -> Self:
        await self._stack.__aenter__()
        try:
            if self.config.metrics_port is not None:
                await self._stack.enter_async_context(self.readiness)
                app = health_and_metrics_app(
                    self.context.registry,
                    self.readiness.report,
                    lambda: {"connector": self.config.name},
                )
                server = await self._stack.enter_async_context(
                    http_server(
                        app,
                        self.config.metrics_host,
                        self.config.metrics_port,
                    )
                )
                self.metrics_port = bound_port(server)
            # the format of each topic's values (wire_format), and the registry client it needs
            self.wire: RecordEncoding = await self._stack.enter_async_context(
                record_encoding(self.config.wire_format, self.context.codec.catalog)
            )
            self._stack.push_async_callback(self.close)
            await self.open()
            self.readiness.done("connector opened")
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def aclose(self) -> None:
        await self._stack.aclose()

    @property
    def enter(self) -> contextlib.AsyncExitStack:
        """The stack subclasses push their resources on in ``open``."""
        return self._stack


def bound_port(server: Any) -> int:
    """The port an embedded uvicorn server listens on (useful when asked for port 0)."""
    for listener in server.servers:
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("server has no listening socket")
