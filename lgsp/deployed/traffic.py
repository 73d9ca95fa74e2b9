"""Traffic across the topology's link: the demo's workload (``lgsp.demo.traffic``) for Hà Nội
alone: ministries' documents to its units and their status feedback, dossiers posted by its
one-stop-shops to the webhook process, citizen look-ups to the national population database.
The agencies' systems publish as each cluster's super user (they are not the bus's services);
the population database answers look-ups with ``LookupResponder`` on NGSP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher
from bus.kafka.access import ClusterAccess
from bus.requestreply import LookupMetrics, LookupResponder
from lgsp.demo.agency_systems import Posting, Webhook
from lgsp.demo.nodes import DANANG, HANOI, NGSP, POPULATION_DB, PROVINCES
from lgsp.demo.population import population_answer
from lgsp.demo.traffic import Published, Workload
from lgsp.deployed.topology import ProductionTopology
from schemas.envelope import Envelope
from schemas.ids.directory import bundled_directory


@dataclass
class SentTraffic:
    """What the agencies sent: ce_ids by kind (dossiers once the webhook answered)."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    dossier_statuses: dict[str, list[int]] = field(default_factory=dict)
    lookup_ids: set[str] = field(default_factory=set)
    webhook_answers: dict[int, int] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)  # ce_id -> wall time published

    @property
    def all_ids(self) -> set[str]:
        return set().union(*self.ids.values()) if self.ids else set()


def in_topology(published: Published) -> bool:
    """Records of the two-node topology only (the demo's workload also feeds Đà Nẵng)."""
    if published.role == DANANG or published.kind in ("directive", "bad"):
        return False
    if published.record is None:
        return True
    envelope = Envelope.from_headers(published.record.headers)
    return not any(r.endswith(PROVINCES[DANANG][-3:]) for r in envelope.recipients)


@contextlib.asynccontextmanager
async def population_database(topology: ProductionTopology) -> AsyncIterator[LookupMetrics]:
    """NGSP's population database answering look-ups in its inbox, until the block ends; its
    metrics count the requests it answered and those it dropped past their deadline."""
    access = ClusterAccess(topology.bootstraps[NGSP], topology.admin(NGSP))
    metrics = LookupMetrics(CollectorRegistry())
    responder = LookupResponder(access, NGSP, POPULATION_DB, population_answer, metrics)
    task = asyncio.create_task(responder.run())
    try:
        yield metrics
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def send_traffic(
    topology: ProductionTopology, count: int, rate: float, seed: int = 16
) -> SentTraffic:
    """Send ``count`` records at ``rate`` per second; return once all were acknowledged."""
    workload = Workload(bundled_directory(), seed=seed, bad_share=0.0)
    sent = SentTraffic()
    webhook = Webhook(topology.webhook_url, topology.webhook_keys)
    posting = Posting({HANOI: webhook}, workload)
    began = time.monotonic()
    async with (
        KafkaPublisher(topology.bootstraps[NGSP], security=topology.admin(NGSP)) as ngsp,
        KafkaPublisher(topology.bootstraps[HANOI], security=topology.admin(HANOI)) as hanoi,
    ):
        publishers = {NGSP: ngsp, HANOI: hanoi}
        pending = []
        done, skipped = 0, set[str]()
        while done < count:
            published = next(workload.next_records(1))
            if not in_topology(published):
                if published.record is not None:
                    skipped.add(Envelope.from_headers(published.record.headers).id)
                continue
            done += 1
            if published.record is not None:
                envelope = Envelope.from_headers(published.record.headers)
                sent.ids.setdefault(published.kind, set()).add(envelope.id)
                sent.sent_at[envelope.id] = time.time()
                if published.kind == "lookup":
                    sent.lookup_ids.add(envelope.correlation_id or "")
                pending.append(await publishers[published.role].enqueue(published.record))
            elif published.post is not None:
                posting.post(published.role, published.post)
            ahead = done / rate - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)
        await asyncio.gather(*pending)
        try:
            await posting.finish()
        finally:
            await posting.close()
    record_ids = sent.all_ids
    sent.ids["dossier"] = workload.published_ids - record_ids - skipped
    sent.dossier_statuses = {
        code: statuses
        for code, statuses in workload.dossier_statuses.items()
        if code.startswith(PROVINCES[HANOI][-3:])
    }
    sent.webhook_answers = dict(webhook.accepted)
    return sent
