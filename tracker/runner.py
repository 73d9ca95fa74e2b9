"""Run a tracker inside a process: ``async with run_tracker(config, settings) as tracker:``
starts the stream processor, the metrics refresher and the look-up API, and stops them all
when the block ends. The CLI (``lgsp tracker run``) and the demo both use it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import CollectorRegistry

from bus.httpserver import bound_port, http_server
from bus.kafka import KafkaSecurity
from bus.readiness import KafkaReadiness
from bus.settings import Settings
from tracker.api import ApiContext, tracker_api
from tracker.config import TrackerConfig
from tracker.engine import Tracker
from tracker.errors import TrackerConfigError
from tracker.figures import DossierCounts, count_dossiers
from tracker.metrics import TrackerMetrics
from tracker.periods import parse_quarter
from tracker.quarterly_report import quarter_report
from tracker.report_publisher import publish_report
from tracker.workdays import WorkingCalendar, load_calendar

log = structlog.get_logger("lgsp.tracker")


@dataclass
class RunningTracker:
    """Handle on a running tracker: its API address, tables and figures."""

    engine: Tracker
    calendar: WorkingCalendar
    registry: CollectorRegistry
    api_host: str
    api_port: int
    bootstrap: str
    task: asyncio.Task[None]
    security: KafkaSecurity

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def now_ms(self) -> int:
        return _now_ms(self.engine)

    def figures(self, group_by: str = "agency") -> dict[str, DossierCounts]:
        return count_dossiers(self.engine.state.iter_dossiers(), group_by, self.now_ms())

    def report(self, quarter: str) -> list[dict[str, Any]]:
        return quarter_report(
            self.engine.state.iter_dossiers(), parse_quarter(quarter), self.calendar, self.now_ms()
        )

    async def publish_report(self, quarter: str) -> int:
        return await publish_report(
            self.bootstrap, self.engine.config, self.report(quarter), security=self.security
        )

    async def wait_caught_up(self, timeout_s: float = 60) -> None:
        """Wait until every source record present now has been processed."""
        async with asyncio.timeout(timeout_s):
            while await self.engine.lag() > 0:
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.1)


def resolve_bootstrap(config: TrackerConfig, settings: Settings) -> str:
    bootstrap = config.bootstrap_servers or settings.bootstrap_servers
    if not bootstrap:
        raise TrackerConfigError(
            "no Kafka to connect to: set bootstrap_servers in tracker.yaml or "
            "LGSP_BOOTSTRAP_SERVERS"
        )
    return bootstrap


@contextlib.asynccontextmanager
async def run_tracker(
    config: TrackerConfig,
    settings: Settings,
    registry: CollectorRegistry | None = None,
) -> AsyncIterator[RunningTracker]:
    """A running tracker (API on ``config.api``; port 0 picks a free one)."""
    registry = registry if registry is not None else CollectorRegistry()
    bootstrap = resolve_bootstrap(config, settings)
    metrics = TrackerMetrics(registry)
    calendar = load_calendar(config.holidays, on_unconfirmed=metrics.calendar_year_unconfirmed)
    metrics.calendar_years(calendar, _now_year())
    security = settings.kafka_security()
    engine = Tracker(config, bootstrap, metrics, security=security)
    # ready: the changelog restored, the cluster answering and the event topics caught up
    readiness = KafkaReadiness(bootstrap, security=security)
    readiness.require("changelog restored")
    context = ApiContext(
        engine.state, calendar, functools.partial(_now_ms, engine), registry, readiness.report
    )
    # the API (/healthz, /readyz) answers while the changelog is being restored
    async with (
        readiness,
        http_server(tracker_api(context), config.api.host, config.api.port) as srv,
        engine,
    ):
        readiness.done("changelog restored")
        if engine.consumer is not None:
            readiness.watch(engine.consumer, config.group_id, name="event topics")
        task = asyncio.create_task(engine.run(), name="tracker")
        handle = RunningTracker(
            engine,
            calendar,
            registry,
            config.api.host,
            bound_port(srv),
            bootstrap,
            task,
            security,
        )
        refresher = asyncio.create_task(_refresh(handle, metrics), name="tracker-metrics")
        try:
            log.info("tracker_started", node=config.node, api=handle.api_url)
            yield handle
        finally:
            engine.stop()
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            if not task.done():
                await asyncio.wait([task], timeout=10)
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


def _now_year() -> int:
    return time.gmtime().tm_year


def _now_ms(engine: Tracker) -> int:
    if engine.config.clock == "events":
        return engine.state.latest_ms
    return int(time.time() * 1000)


async def _refresh(handle: RunningTracker, metrics: TrackerMetrics) -> None:
    while True:
        metrics.refresh(handle.engine.state, handle.now_ms())
        await asyncio.sleep(handle.engine.config.metrics_refresh_s)
