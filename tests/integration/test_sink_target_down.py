"""A sink's target down for a while, then back on the same port (real broker, real HTTP sink,
a real agency application on loopback): the records wait in Kafka, the sink commits no offset
past a record the agency has not received, and once the target is back every record reaches
it once (deduplicated by Idempotency-Key), none lost, none parked.

``LGSP_TEST_TARGET_DOWN_S`` sets how long the target stays down (default 60 s)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from prometheus_client import CollectorRegistry

from bus.httpserver import http_server
from bus.settings import Settings
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic, consumer_group
from tests.connectorharness import AgencyApp, publish_dossiers, read_topic
from tests.integration.test_connector_http_sink import _inbox, _until, sink_config
from tests.integration.test_tracker_recovery import committed_total

DOWN_S = float(os.environ.get("LGSP_TEST_TARGET_DOWN_S", "60"))


async def test_a_target_down_then_back_gets_every_record_once_and_nothing_is_parked(
    kafka_bootstrap: str,
) -> None:
    """Records published before and during the outage all reach the agency once it is back,
    once each by Idempotency-Key; the committed offset never passes an undelivered record;
    the sink's DLQ stays empty and the sink keeps running."""
    node, inbox = await _inbox(kafka_bootstrap)
    group = consumer_group(node, "dms")
    ids = await publish_dossiers(kafka_bootstrap, inbox, [f"H24.22-a{i:03d}" for i in range(20)])
    agency = AgencyApp()
    violations: list[str] = []

    async def watch_commits() -> None:
        """Every committed offset c must mean the agency holds the records at offsets < c."""
        while True:
            # the commit first: a record committed by then was delivered by then, so it is in
            # what the agency holds when read after; read the other way round, a record
            # delivered and committed between the two reads looked undelivered
            committed = await committed_total(kafka_bootstrap, group)
            received = set(agency.received)
            missing = [i for i in range(committed) if ids[i] not in received]
            if missing:
                violations.append(f"committed {committed} but offsets {missing} not delivered")
            await asyncio.sleep(0.5)

    registry = CollectorRegistry()
    async with contextlib.AsyncExitStack() as first_run:
        await first_run.enter_async_context(agency.serve())
        retry = {"initial_backoff_s": 0.2, "max_backoff_s": 2.0}
        config = sink_config(node, kafka_bootstrap, agency.url, retry=retry)
        async with run_connector(config, Settings(), registry=registry) as running:
            watcher = asyncio.create_task(watch_commits())
            await _until(lambda: len(agency.received) == len(ids))
            await first_run.aclose()  # the agency's system goes down
            down_at = time.monotonic()
            ids += await publish_dossiers(
                kafka_bootstrap, inbox, [f"H24.22-b{i:03d}" for i in range(30)]
            )
            await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_at)))
            assert len(agency.received) == 20, "delivered while the target was down"
            assert not running.task.done(), "the sink stopped while its target was down"
            held_at = await committed_total(kafka_bootstrap, group)
            lag_while_down = _lag(registry)
            async with http_server(agency.app(), "127.0.0.1", agency.port):  # back, same port
                await _until(lambda: len(agency.received) == len(ids), timeout_s=60)
                async with asyncio.timeout(30):
                    while await committed_total(kafka_bootstrap, group) < len(ids):  # noqa: ASYNC110
                        await asyncio.sleep(0.3)
            watcher.cancel()
            final = await committed_total(kafka_bootstrap, group)
            await _until(lambda: _lag(registry) == 0, timeout_s=15)  # refreshed every 5 s
    parked = await read_topic(kafka_bootstrap, connector_dlq_topic(node, "dms"))
    print(
        f"\ntarget down {DOWN_S:.0f} s: published {len(ids)}, received {len(agency.received)} "
        f"distinct ({len(agency.requests)} requests, {agency.duplicates} repeated keys), "
        f"parked {len(parked)}, committed {held_at} while down, {final} at the end"
    )
    assert set(agency.received) == set(ids)
    assert not violations, violations
    assert held_at <= 20 and final == len(ids)
    assert lag_while_down == len(ids) - held_at  # lgsp_connector_consumer_lag_records
    assert parked == []
    assert registry.get_sample_value(
        "lgsp_connector_records_total", {"connector": "dms", "outcome": "delivered"}
    ) == len(ids)


def _lag(registry: CollectorRegistry) -> float:
    """The sink's lag gauge summed over its partitions."""
    return sum(
        sample.value
        for family in registry.collect()
        if family.name == "lgsp_connector_consumer_lag_records"
        for sample in family.samples
    )
