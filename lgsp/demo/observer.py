"""Watches everything the node delivers, as the agencies' sinks would: counts per kind and
level, latency from ce_time, duplicates, and the order of each dossier's statuses."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bus.kafka import kafka_consumer, topic_partitions
from lgsp.demo.node import NODE, PORTAL_INBOX
from schemas.codec import AvroCodec
from schemas.envelope import parse_time
from schemas.ids.directory import AgencyDirectory
from schemas.topics import link_topic


@dataclass
class Observer:
    bootstrap: str
    topics: list[str]
    directory: AgencyDirectory
    delivered: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    copies: Counter[tuple[str, str]] = field(default_factory=Counter)
    dossier_statuses: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    masked_ids: int = 0
    dead_letter_topics: list[str] = field(default_factory=list)
    settled_ids: set[str] = field(default_factory=set)  # delivered somewhere, or dead-lettered
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        """Watch from the current end of every topic (earlier runs do not count) until ``stop``."""
        codec = AvroCodec()
        link = link_topic(NODE, "ngsp")
        partitions = await topic_partitions(
            self.bootstrap, [*self.topics, *self.dead_letter_topics]
        )
        dead_letters = set(self.dead_letter_topics)
        async with kafka_consumer(self.bootstrap, group_id=None, fetch_max_wait_ms=20) as consumer:
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
            self.ready.set()
            while not stop.is_set():
                for records in (await consumer.getmany(timeout_ms=200, max_records=2000)).values():
                    now = datetime.now(UTC)
                    for record in records:
                        headers = {k: v.decode() for k, v in record.headers}
                        self.settled_ids.add(headers.get("ce_id", ""))
                        if record.topic in dead_letters:
                            continue
                        kind = (
                            headers.get("ce_type", "?").removeprefix("vn.gov.").removesuffix(".v1")
                        )
                        self.latencies.append(
                            (now - parse_time(headers["ce_time"])).total_seconds()
                        )
                        self.copies[(headers["ce_id"], record.topic)] += 1
                        self.delivered[(kind, self._level(record.topic, headers, link))] += 1
                        if record.topic == PORTAL_INBOX and record.value:
                            dossier = codec.decode(record.value)
                            self.dossier_statuses[dossier["dossierCode"]].append(
                                dossier["statusCode"]
                            )
                            self.masked_ids += "*" in (dossier["owner"]["idNumber"] or "")

    def _level(self, topic: str, headers: dict[str, str], link: str) -> str:
        if topic == link:
            return "national (NGSP link)"
        if topic == PORTAL_INBOX:
            return "national portal"
        recipient = headers.get("ce_recipients", "")
        agency = self.directory.find(recipient)
        return agency.tier if agency else "unknown"

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.copies.values() if n > 1)
