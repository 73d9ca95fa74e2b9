"""Shared fixtures: the run's Kafka broker and a fresh topic per test.

One broker serves the whole run: the one named by ``LGSP_BOOTSTRAP_SERVERS`` when set, else a
local cluster named ``pytest`` started here (and stopped at the end if this run started it).
Tests under tests/unit are marked ``unit``, tests under tests/integration ``integration``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bus.kafka import TopicSpec, ensure_topics
from bus.localkafka import cluster_status, start_cluster, stop_cluster
from bus.settings import Settings

NewTopic = Callable[..., Awaitable[str]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "unit" in parts:
            item.add_marker(pytest.mark.unit)
        elif "integration" in parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: Settings) -> Iterator[str]:
    """Bootstrap address of the broker every integration test of the run talks to."""
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    if not cluster_status(settings, "pytest").running:
        # A stopped cluster holds the topics of earlier runs only: start from an empty one.
        asyncio.run(stop_cluster(settings, "pytest", purge=True))
    status = asyncio.run(start_cluster(settings, "pytest"))
    assert status.bootstrap_servers
    try:
        yield status.bootstrap_servers
    finally:
        if not status.reused:
            asyncio.run(stop_cluster(settings, "pytest"))


@pytest.fixture
def new_topic(kafka_bootstrap: str, request: pytest.FixtureRequest) -> NewTopic:
    """Create a topic that belongs to this test alone and return its name."""

    async def create(partitions: int = 1, configs: dict[str, str] | None = None) -> str:
        name = f"test.{request.node.name[:60]}.{uuid.uuid4().hex[:8]}"
        name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        await ensure_topics(kafka_bootstrap, [TopicSpec(name, partitions, configs=configs or {})])
        return name

    return create
