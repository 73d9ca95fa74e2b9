"""edXML file drops against a real broker: dropped documents become events, malformed files
are moved aside with their reason, delivered documents are written once as edXML files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import CollectorRegistry

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.edxml.document import parse_edxml
from connectors.edxml.sink import EdxmlSinkConfig
from connectors.edxml.source import EdxmlSourceConfig
from connectors.edxml.writing import format_edxml
from connectors.runner import run_connector
from schemas.envelope import Envelope
from schemas.examples import example_json, example_record
from schemas.jsonform import from_json
from schemas.topics import event_topic, inbox_topic
from tests.connectorharness import CODEC, DOCUMENT, private_node, read_topic, wait_for_records

OFFICE = "000.00.00.H24"


async def _until_file(path: Path, timeout_s: float = 30) -> None:
    async with asyncio.timeout(timeout_s):
        # the file system offers nothing to await: poll it
        while not await asyncio.to_thread(path.exists):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_dropped_documents_are_published_and_malformed_ones_set_aside(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A valid edXML file becomes a document.sent event from its sender to its recipients and
    is archived; a malformed one goes to rejected/ with a reason file, and is not published."""
    node = private_node()
    topic = str(event_topic(node, DOCUMENT.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    drop = tmp_path / "drop"
    drop.mkdir()
    document = example_json(DOCUMENT)
    edxml = format_edxml(document, received_by=OFFICE, received_at="2026-11-20T03:00:00Z")
    (drop / "SendDocument.000.00.00.G22.a.edxml").write_bytes(edxml)
    (drop / "SendDocument.000.00.00.G22.b.edxml").write_bytes(edxml.replace(b"Subject", b"Sbj"))
    (drop / ".SendDocument.partial.edxml").write_bytes(b"<edXML")  # still being written
    config = EdxmlSourceConfig.model_validate(
        {"name": "vanthu", "node": node, "agency": OFFICE, "folder": str(drop),
         "poll_interval_s": 0.1}
    )  # fmt: skip
    async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)):
        [record] = await wait_for_records(kafka_bootstrap, topic, 1)
        await _until_file(drop / "archive" / "SendDocument.000.00.00.G22.a.edxml")
    envelope = Envelope.from_headers(record.headers)
    assert envelope.source == "000.00.00.G22"
    assert envelope.recipients == ("000.00.00.H24", "000.00.00.H15", "000.00.00.G12")
    assert record.key == document["documentId"].encode()
    assert CODEC.decode(record.value or b"")["subject"] == document["subject"]
    reason = (drop / "rejected" / "SendDocument.000.00.00.G22.b.edxml.reason.txt").read_text()
    assert reason.startswith("LGSP-CONN-EDXML-MALFORMED") and "Subject: missing" in reason
    assert (drop / "rejected" / "SendDocument.000.00.00.G22.b.edxml").exists()
    assert (drop / ".SendDocument.partial.edxml").exists()
    assert len(await read_topic(kafka_bootstrap, topic)) == 1


async def test_delivered_document_is_written_once_as_edxml(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A document.sent record in the office's inbox becomes one edXML file that reads back as
    the same document; the same event delivered twice leaves one file."""
    node = private_node()
    inbox = inbox_topic(node, OFFICE)
    await ensure_topics(kafka_bootstrap, [TopicSpec(inbox, 1)])
    envelope = Envelope.new(
        source="000.00.00.G22", type=DOCUMENT.event_type, dataschema=DOCUMENT.dataschema
    )
    value = CODEC.encode(DOCUMENT, example_record(DOCUMENT))
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        for _ in range(2):  # the same event twice, as a redelivery would
            await publisher.publish(OutgoingRecord(inbox, value, b"doc", envelope.to_headers()))
    folder = tmp_path / "out"
    config = EdxmlSinkConfig.model_validate(
        {"name": "vanthu-in", "node": node, "agency": OFFICE, "folder": str(folder)}
    )
    written = folder / f"SendDocument.000.00.00.G22.{envelope.id}.edxml"
    registry = CollectorRegistry()
    labels = {"connector": "vanthu-in", "outcome": "delivered"}
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    async with run_connector(config, settings, registry=registry):
        await _until_file(written)
        async with asyncio.timeout(30):
            # the metrics offer nothing to await: poll them
            while registry.get_sample_value("lgsp_connector_records_total", labels) != 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    assert [p.name for p in folder.iterdir()] == [written.name]
    assert from_json(DOCUMENT, parse_edxml(written.read_bytes())) | {
        "sentAt": example_record(DOCUMENT)["sentAt"]
    } == example_record(DOCUMENT)
