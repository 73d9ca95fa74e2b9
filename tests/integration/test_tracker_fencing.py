"""One active tracker per node: a second tracker of the same node fences the first, whose next
commit fails and whose run stops with the error, while the second tracks every event."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from bus.kafka.factory import PLAINTEXT
from bus.settings import Settings
from tracker.config import ApiConfig, TrackerConfig
from tracker.engine import Tracker
from tracker.metrics import TrackerMetrics
from tracker.replay import publish_events
from tracker.runner import run_tracker
from tracker.topics import DOSSIER_STATUS
from tracker.traffic import TrafficSpec, generate_quarter


async def test_a_second_tracker_fences_the_first(kafka_bootstrap: str) -> None:
    """The older tracker's run fails on its next commit; the newer one tracks every dossier."""
    node = f"t{uuid.uuid4().hex[:8]}"
    events = generate_quarter(TrafficSpec(dossiers=200, documents=0, seed=5))
    config = TrackerConfig(node=node, api=ApiConfig(port=0), max_batch=100)
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    metrics = TrackerMetrics(CollectorRegistry())
    with pytest.raises(KafkaError):
        async with (
            run_tracker(config, settings, CollectorRegistry()) as first,
            Tracker(config, kafka_bootstrap, metrics, security=PLAINTEXT) as second,
        ):
            await publish_events(kafka_bootstrap, node, events)
            running = asyncio.create_task(second.run())
            async with asyncio.timeout(60):
                while await second.lag() > 0:  # noqa: ASYNC110 (lag is asked of the broker)
                    await asyncio.sleep(0.1)
            second.stop()
            await running
            done, _ = await asyncio.wait([first.task], timeout=30)
            assert done, "the fenced tracker kept running"
    dossiers = {e.key for e in events if e.event_type == DOSSIER_STATUS}
    assert set(second.state.dossiers) == dossiers
