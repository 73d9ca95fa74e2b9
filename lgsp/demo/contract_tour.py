"""Step 1 of the demo: every event kind of the contract through the real broker.

One realistic event of each schema is Avro-encoded with its CloudEvents envelope, published
with the bus's producer (idempotent, acks=all) to the topic the naming convention gives, read
back by a manually committing consumer and checked: envelope parsed, value decoded, record
equal to what was sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from schemas.catalog import SchemaVersion, bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_record
from schemas.topics import event_topic

NODE = "demo"


@dataclass(frozen=True)
class Sent:
    schema: SchemaVersion
    envelope: Envelope
    key: bytes
    record: dict[str, Any]
    topic: str
    size: int


async def contract_tour(bootstrap: str, console: Console) -> bool:
    """Run the tour and print its table; True when every event came back equal."""
    codec = AvroCodec()
    outgoing = [_prepare(codec, schema) for schema in bundled_catalog()]
    await ensure_topics(
        bootstrap, [TopicSpec(t, partitions=3) for t in {s.topic for s in outgoing}]
    )
    began = time.perf_counter()
    async with KafkaPublisher(bootstrap, client_id="lgsp-demo") as publisher:
        for sent in outgoing:
            await publisher.publish(
                OutgoingRecord(
                    topic=sent.topic,
                    key=sent.key,
                    value=codec.encode(sent.schema, sent.record),
                    headers=sent.envelope.to_headers(),
                )
            )
    received = await _receive(bootstrap, codec, outgoing)
    _summary(console, outgoing, received, (time.perf_counter() - began) * 1000)
    return len(received) == len(outgoing)


def _prepare(codec: AvroCodec, schema: SchemaVersion) -> Sent:
    record = example_record(schema)
    key = str(next(iter(record.values())))
    source = _source_agency(record)
    envelope = Envelope.new(
        source=source, type=schema.event_type, subject=key, dataschema=schema.dataschema
    )
    return Sent(
        schema,
        envelope,
        key.encode(),
        record,
        str(event_topic(NODE, schema.event_type)),
        len(codec.encode(schema, record)),
    )


def _source_agency(record: dict[str, Any]) -> str:
    for field in ("sender", "from", "receivingAgency", "agency", "responder"):
        if isinstance(record.get(field), dict):
            return str(record[field]["code"])
    if "requester" in record:
        return str(record["requester"]["agency"]["code"])
    return str(record.get("senderAgency") or "000.00.00.G22")


async def _receive(
    bootstrap: str, codec: AvroCodec, outgoing: list[Sent]
) -> dict[str, dict[str, Any]]:
    """Read every sent event back; verify envelope and record; return what matched by ce_id."""
    wanted = {s.envelope.id: s for s in outgoing}
    matched: dict[str, dict[str, Any]] = {}
    topics = sorted({s.topic for s in outgoing})
    group = f"lgsp-demo-{outgoing[0].envelope.id}"
    deadline = time.monotonic() + 60
    async with kafka_consumer(bootstrap, *topics, group_id=group) as consumer:
        while len(matched) < len(wanted) and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for message in records:
                    envelope = Envelope.from_headers(message.headers)
                    sent = wanted.get(envelope.id)
                    if (
                        sent
                        and envelope == sent.envelope
                        and message.value is not None
                        and codec.decode(message.value) == sent.record
                    ):
                        matched[envelope.id] = sent.record
            await consumer.commit()
    return matched


def _summary(
    console: Console, outgoing: list[Sent], received: dict[str, dict[str, Any]], elapsed_ms: float
) -> None:
    table = Table("event type (ce_type)", "schema", "key", "bytes", "round trip")
    for sent in outgoing:
        ok = sent.envelope.id in received
        table.add_row(
            sent.schema.event_type,
            f"{sent.schema.subject} v{sent.schema.version}",
            sent.key.decode()[:28],
            str(sent.size),
            "[green]ok[/]" if ok else "[red]missing[/]",
        )
    console.print(table)
    console.print(f"topics: lgsp.{NODE}.<domain>.<event>.v1, e.g. {outgoing[0].topic}")
    console.print(
        f"{len(received)}/{len(outgoing)} events published, consumed, envelope-checked and "
        f"decoded equal in {elapsed_ms:.0f} ms"
    )
