"""The production topology (issue 16 part 7): NGSP and Hà Nội, each a 3-broker SASL_SSL cluster
with ACLs, each service (gateway with border and link, tracker, webhook, HTTP sink) its own
``lgsp … run`` process with its own principal (``lgsp/deployed``). Traffic crosses the link
while NGSP's busiest broker is SIGKILLed (started again after LGSP_TEST_BROKER_DOWN_S), Hà Nội's
gateway is SIGKILLed and restarted, and Hà Nội's link is refused by NGSP's cluster for a while
(its principal's ACLs revoked, then granted again: a real refusal by the brokers; a TCP proxy
would not do, clients reconnect to the brokers' advertised addresses).

LGSP_TEST_PRODUCTION_SCALE multiplies the traffic (default 1: about 1,260 records, as
long as the faults last)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from prometheus_client import Counter as Counter_

from bus.kafka import KafkaSecurity, LogReader, topic_partitions
from bus.requestreply import LookupMetrics
from bus.settings import Settings
from lgsp.demo.nodes import HANOI, NGSP
from lgsp.deployed import ProductionTopology, TopologyPlan
from lgsp.deployed.failover import held_for_s, probe_partition
from lgsp.deployed.inspection import audit_chain, node_topics, partition_loads, replica_counts
from lgsp.deployed.topology import GATEWAYS
from lgsp.deployed.traffic import SentTraffic, population_database, send_traffic
from schemas.envelope import Envelope
from tests.connectorharness import AgencyApp

SCALE = float(os.environ.get("LGSP_TEST_PRODUCTION_SCALE", "1"))
BROKER_DOWN_S = float(os.environ.get("LGSP_TEST_BROKER_DOWN_S", "60"))
RATE = 12.0  # records per second the agencies send
# the traffic lasts as long as the faults (~15 s before them, then the broker's time down)
RECORDS = int(RATE * (BROKER_DOWN_S + 45) * SCALE)
LINK_CUT_S = 20.0
DRAIN_S = 300.0


@pytest.mark.timeout(1500)
async def test_production_topology_delivers_everything_once_through_broker_gateway_and_link_faults(
    tmp_path: Path,
) -> None:
    """Through a broker SIGKILL on NGSP, a SIGKILLed Hà Nội gateway and a refused link: every
    ce_id reaches each receiver exactly once, every dossier's statuses reach the portal in
    order, both audit chains verify, and every topic the nodes created has 3 replicas."""
    suffix = uuid.uuid4().hex[:6]
    async with AgencyApp().serve() as portal:
        plan = TopologyPlan(
            folder=tmp_path,
            sink_url=f"{portal.url}/inbox",
            clusters={NGSP: f"pytest-prod-ng-{suffix}", HANOI: f"pytest-prod-hn-{suffix}"},
        )
        began = time.monotonic()
        async with ProductionTopology(Settings(), plan) as topology:
            print(f"topology up in {time.monotonic() - began:.0f} s: {sorted(topology.services)}")
            async with population_database(topology) as lookups:
                traffic = asyncio.create_task(send_traffic(topology, RECORDS, RATE))
                try:
                    figures = await _faults(topology)
                except BaseException:  # a failed fault step must not leave the agencies sending
                    traffic.cancel()
                    await asyncio.gather(traffic, return_exceptions=True)
                    raise
                sent = await traffic
                await _drained(topology, sent, portal, lookups)
            figures["lookups_expired"] = _count(lookups.expired)
            await _check(topology, sent, portal, figures)


def _count(counter: Counter_) -> float:
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


async def _faults(topology: ProductionTopology) -> dict[str, float]:
    """During the traffic: NGSP's busiest broker killed (and started again after
    BROKER_DOWN_S) while, meanwhile, Hà Nội's gateway is killed and restarted, then its link
    refused for LINK_CUT_S; the figures measured."""
    figures: dict[str, float] = {}
    await asyncio.sleep(15)
    ngsp = topology.bootstraps[NGSP]
    admin = topology.admin(NGSP)
    loads = await partition_loads(ngsp, admin, await node_topics(ngsp, admin, NGSP))
    busiest = loads[0]
    print(f"busiest NGSP partition: {busiest}")
    probe = await probe_partition(ngsp, admin, busiest.leader)
    killed_at = time.monotonic()
    await topology.kill_broker(NGSP, busiest.leader)
    broker_back = asyncio.create_task(_broker_back(topology, busiest.leader, killed_at, figures))
    try:
        await _gateway_and_link_faults(topology, ngsp, admin, probe, killed_at, figures)
        await broker_back
    finally:  # never leave the restart holding the cluster's lock while the topology stops
        broker_back.cancel()
        await asyncio.gather(broker_back, return_exceptions=True)
    return figures


async def _gateway_and_link_faults(
    topology: ProductionTopology,
    ngsp: str,
    admin: KafkaSecurity,
    probe: int | None,
    killed_at: float,
    figures: dict[str, float],
) -> None:
    if probe is not None:  # the probe's client finds the new leader through the survivors
        figures["failover_held_s"] = await held_for_s(ngsp, admin, probe, killed_at, 120)
        print("NGSP's busiest broker killed: writes to the partitions it led held "
              f"{figures['failover_held_s']:.1f} s")  # fmt: skip
    gateway = topology.services[GATEWAYS[HANOI]]
    await gateway.kill()
    await asyncio.sleep(3)
    restarted = time.monotonic()
    await gateway.restart()
    figures["gateway_restart_ready_s"] = time.monotonic() - restarted
    print(f"Hà Nội's gateway SIGKILLed, ready again {figures['gateway_restart_ready_s']:.1f} s "
          "after its restart")  # fmt: skip
    await topology.cut_link(HANOI)
    print(f"Hà Nội's link refused (ACLs revoked on NGSP's cluster) for {LINK_CUT_S:g} s")
    await asyncio.sleep(LINK_CUT_S)
    await topology.restore_link(HANOI)


async def _broker_back(
    topology: ProductionTopology, broker: int, killed_at: float, figures: dict[str, float]
) -> None:
    await asyncio.sleep(max(0.0, BROKER_DOWN_S - (time.monotonic() - killed_at)))
    figures["broker_down_s"] = time.monotonic() - killed_at
    restarted = time.monotonic()
    await topology.restart_brokers(NGSP)
    figures["broker_restart_s"] = time.monotonic() - restarted
    print(f"broker {broker} started again after {figures['broker_down_s']:.0f} s down, "
          f"answered in {figures['broker_restart_s']:.0f} s")  # fmt: skip


async def _inbox_records(topology: ProductionTopology) -> dict[str, list[Envelope]]:
    """Every committed record of every inbox of both nodes, as envelopes, by topic."""
    found: dict[str, list[Envelope]] = {}
    for node in (NGSP, HANOI):
        bootstrap, admin = topology.bootstraps[node], topology.admin(node)
        topics = [t for t in await node_topics(bootstrap, admin, node) if ".inbox." in t]
        topics = [t for t in topics if not t.endswith(".dlq")]
        partitions = await topic_partitions(bootstrap, topics, security=admin)
        async with LogReader(bootstrap, security=admin) as reader:
            records = await reader.read(dict.fromkeys(partitions))
        for record in records:
            found.setdefault(record.topic, []).append(Envelope.from_headers(record.headers))
    return found


def _arrived(inboxes: dict[str, list[Envelope]]) -> set[str]:
    return {e.id for envelopes in inboxes.values() for e in envelopes} | {
        e.correlation_id or "" for envelopes in inboxes.values() for e in envelopes
    }


async def _drained(
    topology: ProductionTopology, sent: SentTraffic, portal: AgencyApp, lookups: LookupMetrics
) -> None:
    """Wait until every record sent reached an inbox, the portal took every dossier, and each
    look-up was answered or dropped past its deadline."""
    deadline = time.monotonic() + DRAIN_S
    while True:
        inboxes = await _inbox_records(topology)
        missing = sent.all_ids - _arrived(inboxes)
        missing_portal = sent.ids.get("dossier", set()) - set(portal.received)
        replied = {e.correlation_id for e in _replies(inboxes)}
        settled = len(replied & sent.lookup_ids) + _count(lookups.expired)
        if not missing and not missing_portal and settled >= len(sent.lookup_ids):
            return
        if time.monotonic() > deadline:
            print(f"after {DRAIN_S:g} s: {len(missing)} missing in inboxes, "
                  f"{len(missing_portal)} at the portal, {settled} look-ups settled")  # fmt: skip
            return
        await asyncio.sleep(5)


async def _tracker_lag(topology: ProductionTopology, sent: SentTraffic) -> list[str]:
    """Dossiers whose status in Hà Nội's tracker (its API) is not the last one posted, after
    giving the tracker a minute to catch up."""
    url = f"http://127.0.0.1:{topology.ports.tracker}/dossiers"
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            lagging = []
            for code, statuses in sent.dossier_statuses.items():
                answer = await client.get(f"{url}/{code}")
                if answer.status_code != 200 or answer.json()["status"] != statuses[-1]:
                    lagging.append(code)
            if not lagging or time.monotonic() > deadline:
                print(f"tracker: {len(sent.dossier_statuses) - len(lagging)} dossiers at their "
                      f"last status, {len(lagging)} behind")  # fmt: skip
                return lagging
            await asyncio.sleep(5)


def _replies(inboxes: dict[str, list[Envelope]]) -> list[Envelope]:
    return [e for es in inboxes.values() for e in es if e.type == "vn.gov.lookup.reply.v1"]


async def _check(
    topology: ProductionTopology, sent: SentTraffic, portal: AgencyApp, figures: dict[str, float]
) -> None:
    figures.update({f"rss_mb_{n}": mb for n, (_, mb) in topology.brokers().items()})
    inboxes = await _inbox_records(topology)
    copies = Counter((topic, e.id) for topic, envelopes in inboxes.items() for e in envelopes)
    twice = {k: n for k, n in copies.items() if n > 1}
    replies = Counter(e.correlation_id for e in _replies(inboxes))
    arrived = _arrived(inboxes)
    kinds = {kind: len(ids) for kind, ids in sent.ids.items()}
    delivered = {kind: len(ids & arrived) for kind, ids in sent.ids.items()}
    print(f"sent by kind: {kinds}; reached an inbox: {delivered}")
    answered = sum(1 for i in sent.lookup_ids if replies[i])
    print(f"look-ups: {len(sent.lookup_ids)} asked, {answered} answered")
    print(f"inbox records: {sum(copies.values())} in {len(inboxes)} inboxes, {len(twice)} twice")
    print(f"portal: {len(portal.received)} dossier events, {portal.duplicates} repeated deliveries "
          f"(deduplicated by Idempotency-Key); webhook answers {sent.webhook_answers}")  # fmt: skip
    print(f"figures: {figures}")
    print(f"service starts: { {n: s.starts for n, s in topology.services.items()} }")
    assert not twice, f"records in one inbox twice: {list(twice)[:5]}"
    assert sent.all_ids <= arrived, f"{len(sent.all_ids - arrived)} records never delivered"
    # a look-up that reached the population database after its deadline (90 s: it waited out
    # the gateway's restart and the link's cut) is dropped unanswered, as it must be
    assert all(replies[i] <= 1 for i in sent.lookup_ids), "a look-up answered twice"
    assert answered + figures["lookups_expired"] == len(sent.lookup_ids), figures
    assert set(sent.webhook_answers) == {202}, sent.webhook_answers
    assert set(portal.received) == sent.ids["dossier"], "the portal's dossiers differ"
    # each dossier's statuses at the portal, in the order its one-stop-shop posted them
    order: dict[str, list[int]] = {}
    for key in portal.arrivals:
        data = portal.received[key]["data"]
        order.setdefault(data["dossierCode"], []).append(data["statusCode"])
    assert order == sent.dossier_statuses, "a dossier's statuses out of order or missing"
    for node in (NGSP, HANOI):
        bootstrap, admin = topology.bootstraps[node], topology.admin(node)
        chain = await audit_chain(bootstrap, admin, node)
        print(f"{node} audit chain: {chain.entries} entries, intact={chain.intact}")
        assert chain.intact and chain.entries > 0, chain
        created = await node_topics(bootstrap, admin, node)
        found = await replica_counts(bootstrap, admin, created)
        wrong = {t: r for t, r in found.items() if r != {3}}
        assert not wrong and len(found) == len(created) > 0, wrong
    lagging = await _tracker_lag(topology, sent)
    assert not lagging, f"the tracker's last status differs for {len(lagging)} dossiers"
    assert topology.services[GATEWAYS[HANOI]].starts == 2
    assert figures["failover_held_s"] < 60, figures
