"""edXML packages with embedded attachments against a real broker and the node's attachment
store on loopback: the file goes to the store, only its reference goes through Kafka, and the
sink embeds it again after checking its hash (or parks the record with its code)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import httpx

from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from bus.settings import Settings
from connectors.attachments.server import AttachmentStoreConfig, serve_attachment_store
from connectors.edxml.package import format_package, read_package
from connectors.edxml.sink import EdxmlSinkConfig
from connectors.edxml.source import EdxmlSourceConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.parking import read_park_info
from schemas.topics import event_topic, inbox_topic
from tests.connectorharness import CODEC, DOCUMENT, private_node, read_topic, wait_for_records

OFFICE = "000.00.00.H24"
# the package's size; LGSP_TEST_ATTACHMENT_MB scales it (20 MB by default)
MEGABYTES = int(os.environ.get("LGSP_TEST_ATTACHMENT_MB", "20"))


def _attachment(content: bytes, uri: str, name: str = "QD-7816.pdf") -> dict[str, Any]:
    return {
        "name": name,
        "uri": uri,
        "sha256": hashlib.sha256(content).hexdigest(),
        "sizeBytes": len(content),
        "mediaType": "application/pdf",
    }


async def _until_file(path: Path, timeout_s: float = 60) -> None:
    async with asyncio.timeout(timeout_s):
        while not await asyncio.to_thread(path.exists):  # noqa: ASYNC110 (nothing to await)
            await asyncio.sleep(0.1)


async def test_a_twenty_megabyte_package_travels_as_a_reference_and_is_embedded_again(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A ~20 MB package dropped at the source: its file lands in the store under its SHA-256,
    the Kafka record is a few kB naming it by URL and hash, and the sink writes a package whose
    embedded file has the same bytes."""
    content = os.urandom(MEGABYTES << 20)
    sha256 = hashlib.sha256(content).hexdigest()
    node = private_node()
    topic = str(event_topic(node, DOCUMENT.event_type))
    inbox = inbox_topic(node, OFFICE)
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1), TopicSpec(inbox, 1)])
    drop, outgoing = tmp_path / "drop", tmp_path / "incoming"
    drop.mkdir()
    document = example_json(DOCUMENT) | {"attachments": [_attachment(content, "cid:x")]}
    package = format_package(
        document, {sha256: content}, received_by=OFFICE, received_at="2026-11-20T03:00:00Z"
    )
    assert len(package) > MEGABYTES << 20
    (drop / "SendDocument.000.00.00.G22.big.edxml").write_bytes(package)
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    store_config = AttachmentStoreConfig(folder=tmp_path / "store", port=0)
    async with serve_attachment_store(store_config) as store:
        source = EdxmlSourceConfig.model_validate(
            {"name": "vanthu-out", "node": node, "agency": OFFICE, "folder": str(drop),
             "poll_interval_s": 0.1,
             "attachments": {"folder": str(store_config.folder), "url": store.url}}
        )  # fmt: skip
        async with run_connector(source, settings):
            [record] = await wait_for_records(kafka_bootstrap, topic, 1)
        assert len(record.value or b"") < 16_384  # the file never went through Kafka
        [attachment] = CODEC.decode(record.value or b"")["attachments"]
        assert attachment["uri"] == f"{store.url}/sha256/{sha256}"
        assert (attachment["sha256"], attachment["sizeBytes"]) == (sha256, len(content))
        assert store.store.path_of(sha256).read_bytes() == content
        # the gateway would route it to the office's inbox: the same value, as delivered
        async with KafkaPublisher(kafka_bootstrap) as publisher:
            await publisher.publish(
                OutgoingRecord(inbox, record.value or b"", record.key, list(record.headers))
            )
        sink = EdxmlSinkConfig.model_validate(
            {"name": "vanthu-in", "node": node, "agency": OFFICE, "folder": str(outgoing),
             "embed_attachments": True, "attachment_sources": [store.url]}
        )  # fmt: skip
        envelope = Envelope.from_headers(record.headers)
        written = outgoing / f"SendDocument.{envelope.source}.{envelope.id}.edxml"
        async with run_connector(sink, settings):
            await _until_file(written)
    received = read_package(written.read_bytes(), max_attachment_bytes=64 << 20)
    assert received.contents == {sha256: content}
    assert received.record["attachments"][0]["name"] == "QD-7816.pdf"


async def test_bad_attachments_are_parked_with_their_codes(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A record whose file's bytes do not match its hash, one the store does not have, one
    over the sink's limit and one outside attachment_sources are each parked with their code;
    a good one is written."""
    node = private_node()
    inbox = inbox_topic(node, OFFICE)
    await ensure_topics(kafka_bootstrap, [TopicSpec(inbox, 1)])
    store_config = AttachmentStoreConfig(folder=tmp_path / "store", port=0)
    async with serve_attachment_store(store_config) as store:
        good, tampered = b"good file " * 100, b"tampered " * 100
        store.store.put(good)
        stored_tampered = store.store.put(tampered)
        url = f"{store.url}/sha256"
        cases = {
            "good": _attachment(good, f"{url}/{hashlib.sha256(good).hexdigest()}"),
            # names the tampered file's URL but the hash of the good one
            "LGSP-CONN-ATTACHMENT-HASH-MISMATCH": _attachment(
                good, f"{url}/{stored_tampered.sha256}"
            ),
            "LGSP-CONN-ATTACHMENT-MISSING": _attachment(b"never stored", f"{url}/{'a' * 64}")
            | {"sha256": "a" * 64},
            "LGSP-CONN-ATTACHMENT-TOO-LARGE": _attachment(good, f"{url}/x")
            | {"sizeBytes": 1 << 30},
            "LGSP-CONN-ATTACHMENT-NOT-ALLOWED": _attachment(good, "http://127.0.0.2:9/x"),
        }
        ids = {}
        async with KafkaPublisher(kafka_bootstrap) as publisher:
            for case, attachment in cases.items():
                document = example_json(DOCUMENT) | {"attachments": [attachment]}
                envelope = Envelope.new(
                    source="000.00.00.G22", type=DOCUMENT.event_type, dataschema=DOCUMENT.dataschema
                )
                value = CODEC.encode(DOCUMENT, from_json(DOCUMENT, document))
                await publisher.publish(
                    OutgoingRecord(inbox, value, case.encode(), envelope.to_headers())
                )
                ids[envelope.id] = case
        folder = tmp_path / "incoming"
        sink = EdxmlSinkConfig.model_validate(
            {"name": "vanthu-in", "node": node, "agency": OFFICE, "folder": str(folder),
             "embed_attachments": True, "attachment_sources": [store.url],
             "max_attachment_bytes": 1 << 20}
        )  # fmt: skip
        async with run_connector(sink, Settings(bootstrap_servers=kafka_bootstrap)):
            parked = await wait_for_records(
                kafka_bootstrap, connector_dlq_topic(node, "vanthu-in"), 4
            )
            good_id = next(i for i, case in ids.items() if case == "good")
            await _until_file(folder / f"SendDocument.000.00.00.G22.{good_id}.edxml")
    codes = {}
    for record in parked:
        info = read_park_info(record.headers)
        assert info is not None
        codes[ids[Envelope.from_headers(record.headers).id]] = info.code
    assert codes == {case: case for case in cases if case != "good"}


async def test_packages_the_source_cannot_store_are_rejected_with_their_code(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Without an attachment store, a package with embedded files is rejected
    (LGSP-CONN-ATTACHMENT-NO-STORE), never published without them; with a store, a file over
    attachments.max_bytes is rejected with LGSP-CONN-ATTACHMENT-TOO-LARGE; nothing is
    published."""
    content = b"x" * 4096
    sha256 = hashlib.sha256(content).hexdigest()
    document = example_json(DOCUMENT) | {"attachments": [_attachment(content, "cid:x")]}
    package = format_package(
        document, {sha256: content}, received_by=OFFICE, received_at="2026-11-20T03:00:00Z"
    )
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    stores = {
        "LGSP-CONN-ATTACHMENT-NO-STORE": None,
        "LGSP-CONN-ATTACHMENT-TOO-LARGE": {
            "folder": str(tmp_path / "store"),
            "url": "http://127.0.0.1:1",
            "max_bytes": 1024,
        },
    }
    for code, store in stores.items():
        node = private_node()
        topic = str(event_topic(node, DOCUMENT.event_type))
        await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
        drop = tmp_path / code
        drop.mkdir()
        (drop / "SendDocument.000.00.00.G22.p.edxml").write_bytes(package)
        source = EdxmlSourceConfig.model_validate(
            {"name": "vanthu-out", "node": node, "agency": OFFICE, "folder": str(drop),
             "poll_interval_s": 0.1, "attachments": store}
        )  # fmt: skip
        reason = drop / "rejected" / "SendDocument.000.00.00.G22.p.edxml.reason.txt"
        async with run_connector(source, settings):
            await _until_file(reason)
        assert reason.read_text().startswith(code)
        assert await read_topic(kafka_bootstrap, topic) == []
    assert not (tmp_path / "store" / "sha256").exists()


async def test_the_store_serves_files_by_hash_and_answers_its_probes(tmp_path: Path) -> None:
    """GET /sha256/{hex} returns a stored file, 404 with LGSP-CONN-ATTACHMENT-MISSING for an
    unknown or malformed name; /readyz is 200 while its folder is usable, 503 once it is gone."""
    config = AttachmentStoreConfig(folder=tmp_path / "store", port=0)
    async with serve_attachment_store(config) as store, httpx.AsyncClient() as client:
        stored = store.store.put(b"to trinh")
        found = await client.get(f"{store.url}/sha256/{stored.sha256}")
        unknown = await client.get(f"{store.url}/sha256/{'b' * 64}")
        malformed = await client.get(f"{store.url}/sha256/..%2f..%2fetc")
        ready = await client.get(f"{store.url}/readyz")
        store.store.path_of(stored.sha256).unlink()
        for folder in sorted((tmp_path / "store").rglob("*"), reverse=True):
            folder.rmdir()
        (tmp_path / "store").rmdir()
        gone = await client.get(f"{store.url}/readyz")
    assert (found.status_code, found.content) == (200, b"to trinh")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "LGSP-CONN-ATTACHMENT-MISSING"
    assert malformed.status_code == 404
    assert (ready.status_code, gone.status_code) == (200, 503)
