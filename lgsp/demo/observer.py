"""Watches everything the three nodes deliver, as the agencies' sinks would: counts per kind
and level, latency from ce_time, duplicates, the order and timeliness of each dossier's
statuses at the national portal, look-up replies, and what was dead-lettered or refused."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bus.kafka import kafka_consumer, topic_partitions
from lgsp.demo.nodes import NGSP, PORTAL_SYSTEM
from schemas.codec import AvroCodec
from schemas.envelope import parse_time
from schemas.ids.directory import AgencyDirectory
from schemas.topics import inbox_topic


@dataclass
class Watch:
    """What to watch on one node's cluster."""

    bootstrap: str
    inboxes: list[str]
    dead_letters: list[str]


@dataclass
class Observer:
    watches: dict[str, Watch]
    directory: AgencyDirectory
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    copies: Counter[tuple[str, str]] = field(default_factory=Counter)
    dossier_statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    finished: dict[str, bool] = field(default_factory=dict)  # dossier -> finished on time
    masked_ids: int = 0
    replies: dict[str, datetime] = field(default_factory=dict)  # correlation id -> arrival
    dead_lettered: Counter[str] = field(default_factory=Counter)  # by park code
    settled_ids: set[str] = field(default_factory=set)  # delivered somewhere, or dead-lettered
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        """Watch from the current end of every topic until ``stop``."""
        started = [asyncio.Event() for _ in self.watches]
        tasks = [
            asyncio.create_task(self._watch(role, watch, stop, ready))
            for (role, watch), ready in zip(self.watches.items(), started, strict=True)
        ]
        await asyncio.gather(*(event.wait() for event in started))
        self.ready.set()
        await asyncio.gather(*tasks)

    async def _watch(
        self, role: str, watch: Watch, stop: asyncio.Event, ready: asyncio.Event
    ) -> None:
        codec = AvroCodec()
        portal = inbox_topic(NGSP, PORTAL_SYSTEM)
        dead_letters = set(watch.dead_letters)
        watched = [*watch.inboxes, *dead_letters]
        partitions = await topic_partitions(watch.bootstrap, watched)
        async with kafka_consumer(watch.bootstrap, group_id=None, fetch_max_wait_ms=20) as consumer:
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
            ready.set()
            last_check = time.monotonic()
            while not stop.is_set():
                if time.monotonic() - last_check > 2:  # a sink that comes online late
                    last_check = time.monotonic()
                    found = await topic_partitions(watch.bootstrap, watched)
                    if set(found) - set(partitions):
                        positions = {tp: await consumer.position(tp) for tp in partitions}
                        partitions = found
                        consumer.assign(partitions)  # new topics are read from their start
                        for tp, offset in positions.items():
                            consumer.seek(tp, offset)
                batch = await consumer.getmany(timeout_ms=200, max_records=2000)
                for records in batch.values():
                    now = datetime.now(UTC)
                    for record in records:
                        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
                        self.settled_ids.add(headers.get("ce_id", ""))
                        if record.topic in dead_letters:
                            self.dead_lettered[headers.get("lgsp-park-code", "?")] += 1
                            continue
                        self._delivered(record.topic, headers, now)
                        dossier = headers.get("ce_type", "").startswith("vn.gov.dossier.status")
                        if record.topic == portal and record.value and dossier:
                            self._at_portal(codec.decode(record.value))

    def _delivered(self, topic: str, headers: dict[str, str], now: datetime) -> None:
        kind = headers.get("ce_type", "?").removeprefix("vn.gov.").removesuffix(".v1")
        self.latencies.append((now - parse_time(headers["ce_time"])).total_seconds())
        self.copies[(headers["ce_id"], topic)] += 1
        recipient = headers.get("ce_recipients", "").split(",")[0]
        agency = self.directory.find(recipient) if recipient else None
        if topic == inbox_topic(NGSP, PORTAL_SYSTEM):
            level = "national portal"
        else:
            level = agency.tier if agency else "unknown"
        self.delivered[(kind, level)] += 1
        if kind == "lookup.reply" and headers.get("ce_correlationid"):
            self.replies[headers["ce_correlationid"]] = now

    def _at_portal(self, dossier: dict[str, object]) -> None:
        code = str(dossier["dossierCode"])
        self.dossier_statuses[code].append(int(dossier["statusCode"]))  # type: ignore[call-overload]
        owner = dossier["owner"]
        assert isinstance(owner, dict)
        self.masked_ids += "*" in (owner.get("idNumber") or "")
        finished, due = dossier.get("finishedAt"), dossier.get("dueAt")
        if (
            dossier["statusCode"] == 9
            and isinstance(finished, datetime)
            and isinstance(due, datetime)
        ):
            self.finished[code] = finished <= due

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.copies.values() if n > 1)
