"""Dead letters of a node: list, show, redrive and purge them.

Kafka cannot delete one record in the middle of a log, so what happened to a dead letter
(redriven, purged) is kept in the compacted topic ``lgsp.<node>.gateway.dlq-state``, keyed by
``topic:partition:offset``. Redrive puts the record back on its original topic and partition
and marks it, in one Kafka transaction, so running it twice does not send it twice (and the
gateway's dedup by ce_id would drop a second copy anyway).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.structs import ConsumerRecord

from bus.kafka import LogReader, list_topics, topic_partitions
from bus.kafka.factory import new_transactional_producer
from bus.kafka.security import KafkaSecurity
from bus.kafka.stopping import stop_client
from schemas.envelope import header_value
from schemas.ids.agency import AgencyCode
from schemas.parking import ParkInfo, read_park_info, without_park_headers
from schemas.topics import gateway_topic


@dataclass(frozen=True)
class DeadLetter:
    """One parked record and what has been done with it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    info: ParkInfo
    state: str = "parked"

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def ce_id(self) -> str:
        return header_value(self.headers, "ce_id") or ""

    @property
    def event_type(self) -> str:
        return header_value(self.headers, "ce_type") or ""

    @property
    def source(self) -> str:
        return header_value(self.headers, "ce_source") or ""


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters an operator means; every field narrows the selection."""

    code: str | None = None
    reason: str | None = None
    agency: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ce_id: str | None = None
    include_done: bool = False
    event_type: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        info = letter.info
        return all(
            (
                self.include_done or letter.state == "parked",
                self.code is None or info.code == self.code,
                self.reason is None or self.reason.lower() in info.reason.lower(),
                self.agency is None or _under(letter.source, self.agency),
                self.since is None or info.first_failure >= self.since,
                self.until is None or info.first_failure <= self.until,
                self.ce_id is None or letter.ce_id == self.ce_id,
                self.event_type is None or letter.event_type == self.event_type,
            )
        )


class DeadLetters:
    """The dead-letter topics of one node."""

    def __init__(self, bootstrap: str, node: str, *, security: KafkaSecurity) -> None:
        self.security = security
        self.bootstrap = bootstrap
        self.node = node
        self.state_topic = gateway_topic(node, "dlq-state")

    async def read(self, selection: DeadLetterFilter = DeadLetterFilter()) -> list[DeadLetter]:
        """Every dead letter of the node that ``selection`` matches, oldest first per topic."""
        topics = [
            t
            for t in await list_topics(self.bootstrap, security=self.security)
            if t.startswith(f"lgsp.{self.node}.") and t.endswith(".dlq")
        ]
        states = {
            r.key.decode(): json.loads(r.value or b"{}").get("state", "parked")
            for r in await _read_topics(self.bootstrap, [self.state_topic], self.security)
            if r.key
        }
        letters = []
        for record in await _read_topics(self.bootstrap, topics, self.security):
            info = read_park_info(record.headers)
            if info is None:
                continue
            letter = DeadLetter(
                record.topic,
                record.partition,
                record.offset,
                record.key,
                record.value,
                tuple(record.headers),
                info,
            )
            letter = DeadLetter(**{**letter.__dict__, "state": states.get(letter.ref, "parked")})
            if selection.matches(letter):
                letters.append(letter)
        return letters

    async def redrive(self, letters: Sequence[DeadLetter]) -> int:
        """Send still-parked letters back to their original topic and partition; return how many."""
        todo = [letter for letter in letters if letter.state == "parked"]
        return await self._mark(todo, "redriven", send_back=True)

    async def purge(self, letters: Sequence[DeadLetter]) -> int:
        """Mark letters as purged: they no longer show in lists nor can be redriven."""
        todo = [letter for letter in letters if letter.state == "parked"]
        return await self._mark(todo, "purged", send_back=False)

    async def _mark(self, letters: Sequence[DeadLetter], state: str, *, send_back: bool) -> int:
        if not letters:
            return 0
        producer = new_transactional_producer(
            self.bootstrap, self.security, f"lgsp-dlq-{self.node}"
        )
        await producer.start()
        try:
            async with producer.transaction():
                sends = []
                now = datetime.now(UTC).isoformat()
                for letter in letters:
                    if send_back:
                        sends.append(
                            await producer.send(
                                letter.info.original_topic,
                                value=letter.value,
                                key=letter.key,
                                headers=without_park_headers(letter.headers),
                                partition=letter.info.original_partition,
                            )
                        )
                    marker = json.dumps({"state": state, "at": now, "ce_id": letter.ce_id}).encode()
                    sends.append(
                        await producer.send(self.state_topic, key=letter.ref.encode(), value=marker)
                    )
                await asyncio.gather(*sends)
        finally:
            await stop_client(producer, "dead-letter producer")
        return len(letters)


async def _read_topics(
    bootstrap: str, topics: Iterable[str], security: KafkaSecurity | None
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record of ``topics``, from the beginning to the current end."""
    partitions = await topic_partitions(bootstrap, topics, security=security)
    async with LogReader(bootstrap, security=security) as reader:
        return await reader.read(dict.fromkeys(partitions))


def _under(source: str, agency: str) -> bool:
    if not (AgencyCode.is_valid(source) and AgencyCode.is_valid(agency)):
        return False
    return AgencyCode.parse(source).is_under(AgencyCode.parse(agency))
