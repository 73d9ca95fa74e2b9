"""Exactly-once routing inside the cluster: a gateway killed with SIGKILL mid-stream, and a
second gateway joining mid-stream, lose nothing and duplicate nothing (counted by ce_id)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.runtime.gateway import Gateway
from tests.faultharness import Counter as _Counter
from tests.faultharness import kill_gateway, stop_gateway
from tests.faultharness import publish_many as _publish_many
from tests.faultharness import start_gateway as _start_gateway
from tests.gatewayharness import DOSSIER, PORTAL_ROUTES, PrivateNode, running_gateway

ROUTES = PORTAL_ROUTES


def _records_routed(gateway: Gateway) -> float:
    return sum(
        sample.value
        for metric in gateway.registry.collect()
        if metric.name == "lgsp_gateway_records_out"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_a_gateway_killed_mid_stream_loses_and_duplicates_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SIGKILL while routing 20,000 records, then a restart: every ce_id arrives exactly once."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal, node.topic(DOSSIER))
    ids = await _publish_many(kafka_bootstrap, node.topic(DOSSIER), 20_000)
    async with _Counter(kafka_bootstrap, portal) as counter:
        first = _start_gateway(config, tmp_path / "gateway.log")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            while sum(counter.seen.values()) < 4_000 and loop.time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            delivered_at_kill = sum(counter.seen.values())
            kill_gateway(first)
        finally:
            first.kill()
        assert 0 < delivered_at_kill < len(ids), "the kill must land mid-stream"
        second = _start_gateway(config, tmp_path / "gateway.log")
        try:
            await counter.wait_for(len(ids), timeout_s=180)
        finally:
            stop_gateway(second, tmp_path / "gateway.log")
    assert set(counter.seen) == ids
    duplicated = [ce_id for ce_id, n in counter.seen.items() if n > 1]
    assert duplicated == [], f"{len(duplicated)} ce_ids delivered more than once"
    print(
        f"\nkilled at {delivered_at_kill} of {len(ids)} delivered; after restart "
        f"{len(counter.seen)} distinct, {sum(counter.seen.values())} total"
    )


async def test_a_second_gateway_joining_mid_stream_shares_the_work_without_loss(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Scale out: a gateway joins the group while records flow; the rebalance loses and
    duplicates nothing, and both end up owning partitions."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES, partitions=4)
    portal = f"lgsp.{node.name}.inbox.portal"
    await node.create(portal, partitions=4)
    await node.create(node.topic(DOSSIER), partitions=4)
    async with _Counter(kafka_bootstrap, portal) as counter, running_gateway(config) as first:
        ids = await _publish_many(kafka_bootstrap, node.topic(DOSSIER), 6_000)
        async with running_gateway(config) as second:
            more = await _publish_many(kafka_bootstrap, node.topic(DOSSIER), 6_000)
            await counter.wait_for(len(ids | more), timeout_s=120)
            work = [_records_routed(g) for g in (first, second)]
    assert set(counter.seen) == ids | more
    assert max(counter.seen.values()) == 1
    assert work[0] > 0 and work[1] > 0, f"routed per gateway: {work}"
