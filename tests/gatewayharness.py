"""Helpers for gateway tests: a private node (its own topics and directory), publishing
contract records, and reading what the gateway produced."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from aiokafka.structs import ConsumerRecord
from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.security import PLAINTEXT, KafkaSecurity
from bus.settings import Settings
from gateway.config import load_gateway_config
from gateway.runner import run_gateway
from gateway.runtime.gateway import Gateway
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.topics import event_topic, inbox_topic
from tests.coherent import at_status, numbered_document, status_of

CODEC = AvroCodec()
DOSSIER = "vn.gov.dossier.status.v1"


def route_yaml(
    name: str, topic: str, *, source: str = "under 000.00.00.H24", transform: Sequence[str] = ()
) -> str:
    """One route of routes.yaml delivering dossier statuses from ``source`` to ``topic``
    (``transform``: the lines under its ``transform:``, e.g. ``"mask: [owner.phone]"``)."""
    lines = [
        f"  - name: {name}",
        f"    types: [{DOSSIER}]",
        f"    from: [{source}]",
        "    deliver: topic",
        f"    topic: {topic}",
    ]
    if transform:
        lines += ["    transform:", *(f"      {line}" for line in transform)]
    return "\n".join(lines) + "\n"


def routes_yaml(*routes: str) -> str:
    """A routes.yaml of ``routes`` (each from :func:`route_yaml` or written out)."""
    return "\nroutes:\n" + "".join(routes)


PORTAL_ROUTES = routes_yaml(route_yaml("dossiers-to-portal", "lgsp.NODE.inbox.portal"))
Record: TypeAlias = ConsumerRecord[bytes, bytes]


@dataclass
class PrivateNode:
    """A node named uniquely for one test, standing in for Hà Nội (H24) in the directory."""

    bootstrap: str
    folder: Path
    name: str = field(default_factory=lambda: f"hn{uuid.uuid4().hex[:8]}")

    def write(
        self,
        routes: str,
        *,
        tiers: Sequence[str] = ("1s", "2s"),
        partitions: int = 3,
        dedup_window: str = "1h",
    ) -> Path:
        directory = self.folder / "agencies.csv"
        bundled = (Path(__file__).parent.parent / "schemas/data/agencies.csv").read_text("utf-8")
        rows = list(csv.reader(line for line in bundled.splitlines() if not line.startswith("#")))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in rows:
            writer.writerow([*row[:4], self.name if row[4] == "hanoi" else row[4], *row[5:]])
        directory.write_text(out.getvalue(), encoding="utf-8")
        (self.folder / "routes.yaml").write_text(
            routes.replace("NODE", self.name), encoding="utf-8"
        )
        config = self.folder / "node.yaml"
        config.write_text(
            json.dumps(
                {
                    "node": self.name,
                    "routes": "routes.yaml",
                    "directory": "agencies.csv",
                    "bootstrap_servers": self.bootstrap,
                    "partitions": partitions,
                    "retry_tiers": list(tiers),
                    "dedup_window": dedup_window,
                    "admin": {"port": 0},
                }
            ),
            encoding="utf-8",
        )
        return config

    def topic(self, event_type: str) -> str:
        return str(event_topic(self.name, event_type))

    def inbox(self, agency: str) -> str:
        return inbox_topic(self.name, agency)

    async def create(self, *topics: str, partitions: int = 3) -> None:
        await ensure_topics(self.bootstrap, [TopicSpec(t, partitions) for t in topics])


@contextlib.asynccontextmanager
async def running_gateway(
    config: Path,
    registry: CollectorRegistry | None = None,
    security: KafkaSecurity = PLAINTEXT,
) -> AsyncIterator[Gateway]:
    """A gateway running in this process until the block ends."""
    async with run_gateway(
        load_gateway_config(config),
        Settings(),
        registry=registry,
        admin_port=0,
        security=security,
    ) as running:
        await running.wait_ready(60)
        yield running.gateway


def make_event(
    subject: str,
    *,
    source: str,
    recipients: Sequence[str] = (),
    version: int | None = None,
    changes: dict[str, Any] | None = None,
) -> tuple[Envelope, bytes, bytes]:
    """An envelope, key and value for the example of ``subject``, changed as asked."""
    schema = bundled_catalog().get(subject, version)
    record = example_record(schema) | (changes or {})
    if subject == "dossier.status":  # keep its dates coherent with a changed status
        record = at_status(record, record["statusCode"])
    token = (changes or {}).get("documentId")
    if subject == "document.sent" and token is not None and "," not in token:
        record = numbered_document(record, token)  # an id of its own sender, date and number
    if subject == "document.status" and token is not None and "," not in token:
        record = status_of(record, token)
    key = str(next(iter(record.values())))
    envelope = Envelope.new(
        source=source,
        type=schema.event_type,
        subject=key,
        dataschema=schema.dataschema,
        recipients=recipients,
    )
    return envelope, key.encode(), CODEC.encode(schema, record)


async def publish(
    bootstrap: str,
    topic: str,
    events: Sequence[tuple[Envelope, bytes, bytes]],
    security: KafkaSecurity = PLAINTEXT,
) -> None:
    async with KafkaPublisher(bootstrap, security=security) as publisher:
        futures = [
            await publisher.enqueue(
                OutgoingRecord(topic=topic, key=key, value=value, headers=envelope.to_headers())
            )
            for envelope, key, value in events
        ]
        await asyncio.gather(*futures)


async def read_all(
    bootstrap: str,
    topics: Sequence[str],
    expected: int,
    *,
    settle_s: float = 1.0,
    timeout_s: float = 60,
    security: KafkaSecurity = PLAINTEXT,
) -> list[Record]:
    """Committed records of ``topics``: waits for ``expected`` of them, then ``settle_s`` more
    to catch any extra (a duplicate would show up there)."""
    found: list[Record] = []
    async with kafka_consumer(bootstrap, *topics, group_id=None, security=security) as consumer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while len(found) < expected and loop.time() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(records)
        settle = loop.time() + settle_s
        while loop.time() < settle:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(records)
    return found


def headers_of(record: Record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}
