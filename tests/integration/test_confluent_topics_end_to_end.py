"""Topics configured for the Confluent wire format, end to end on the real broker: the
webhook publishes Confluent frames on its configured topic, the gateway routes them and
writes its configured inbox as Confluent frames too, the recipient's HTTP sink delivers the
record decoded; topics not configured keep single-object encoding; a sink with no registry
parks a Confluent frame with a code instead of failing (tests/schemaregistryharness.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from bus.httpserver import http_server
from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.factory import PLAINTEXT, new_producer
from bus.settings import Settings
from bus.wireformat import WireFormatConfig, record_encoding
from connectors.checkpoints import CheckpointStore
from connectors.httppoll import HttpPollConfig
from connectors.httpsink import HttpSinkConfig
from connectors.runner import run_connector
from connectors.topics import connector_dlq_topic
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.errors import CodecError
from schemas.examples import example_json, example_record
from schemas.jsonform import from_json
from schemas.parking import read_park_info
from schemas.topics import event_topic
from schemas.validation import VALIDATED_HEADER, ruleset_id
from tests.connectorharness import (
    CITY_KEY,
    DOCUMENT,
    DOSSIER,
    WARD,
    WARD_KEY,
    AgencyApp,
    dossier_json,
    private_node,
    webhook_config,
)
from tests.gatewayharness import PrivateNode, Record, read_all, running_gateway
from tests.schemaregistryharness import registry_app, running_registry

CITY = "000.00.01.H24"
ROUTES = """
routes:
  - name: city-documents-to-wards
    types: [vn.gov.document.sent.v1]
    from: [000.00.01.H24]
    to: [under 000.00.00.H24]
"""


def _document(number: int) -> dict[str, Any]:
    return example_json(DOCUMENT) | {
        "documentId": f"{CITY},2026/11/20,{number}/UBND-VP",
        "codeNumber": str(number),
        "codeNotation": "UBND-VP",
        "sender": {"code": CITY, "name": "Văn phòng UBND thành phố Hà Nội"},
        "recipients": [{"code": WARD, "name": "UBND phường Phúc Xá"}],
    }


async def _registered_id(url: str, subject: str) -> int:
    """The id the registry gives DOCUMENT under ``subject`` (the same id when registered)."""
    async with httpx.AsyncClient() as client:
        subjects = (await client.get(f"{url}/subjects")).json()  # registered by the bus
        schema = json.dumps(DOCUMENT.definition, ensure_ascii=False)
        answer = await client.post(f"{url}/subjects/{subject}/versions", json={"schema": schema})
    assert subject in subjects
    return int(answer.json()["id"])


def _schema_id(record: Record) -> int:
    assert record.value is not None and record.value[:1] == b"\x00", record.value
    (schema_id,) = struct.unpack(">I", record.value[1:5])
    return int(schema_id)


async def test_confluent_topics_carry_frames_from_webhook_through_gateway_to_the_sink(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A document POSTed to a webhook configured for Confluent lands on its topic as 00 + the
    id the registry gave <topic>-value, the gateway writes the ward's configured inbox as a
    Confluent frame, the ward's HTTP sink delivers it decoded; a dossier on a topic not
    configured stays C3 01."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    events, inbox = node.topic(DOCUMENT.event_type), node.inbox(WARD)
    plain = node.topic(DOSSIER.event_type)
    await node.create(events, inbox, plain)
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    agency = AgencyApp()
    async with running_registry() as url:
        async with httpx.AsyncClient() as client:  # id 1 taken: the ids are the registry's
            other = json.dumps(DOSSIER.definition)
            await client.post(f"{url}/subjects/other-value/versions", json={"schema": other})
        node_yaml = json.loads(config.read_text("utf-8"))
        node_yaml["wire_format"] = {"registry": url, "confluent_topics": [inbox]}
        config.write_text(json.dumps(node_yaml), encoding="utf-8")
        plain_webhook = webhook_config(node.name, kafka_bootstrap)
        webhook = type(plain_webhook).model_validate(
            plain_webhook.model_dump()
            | {"wire_format": {"registry": url, "confluent_topics": [events]}}
        )
        sink = HttpSinkConfig.model_validate(
            {
                "name": "ward-dms",
                "node": node.name,
                "agency": WARD,
                "url": f"{agency.url}/inbox",
                "wire_format": {"registry": url},
            }
        )
        async with (
            running_gateway(config),
            run_connector(webhook, settings) as ingress,
            agency.serve(),
            run_connector(sink.model_copy(update={"url": f"{agency.url}/inbox"}), settings),
            httpx.AsyncClient() as client,
        ):
            posted = await client.post(
                f"http://127.0.0.1:{ingress.port}/events/document.sent",
                json=_document(1),
                headers={"X-Api-Key": CITY_KEY},
            )
            assert posted.status_code == 202, posted.text
            dossier = await client.post(
                f"http://127.0.0.1:{ingress.port}/events/dossier.status",
                json=example_json(DOSSIER) | {"receivingAgency": {"code": WARD, "name": "P"}},
                headers={"X-Api-Key": WARD_KEY},
            )
            assert dossier.status_code == 202, dossier.text
            async with asyncio.timeout(30):
                while not agency.received:  # noqa: ASYNC110 (nothing to await)
                    await asyncio.sleep(0.1)
        [published] = await read_all(kafka_bootstrap, [events], expected=1, settle_s=0)
        [routed] = await read_all(kafka_bootstrap, [inbox], expected=1, settle_s=0)
        [single] = await read_all(kafka_bootstrap, [plain], expected=1, settle_s=0)
        assert _schema_id(published) == await _registered_id(url, f"{events}-value") != 1
        assert _schema_id(routed) == await _registered_id(url, f"{inbox}-value")
    assert single.value is not None and single.value[:2] == b"\xc3\x01"
    [(event_id, delivered)] = agency.received.items()
    assert event_id == posted.json()["id"]
    assert delivered["data"]["documentId"] == _document(1)["documentId"]


async def test_a_sink_without_registry_parks_a_confluent_frame_with_a_code(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A Confluent frame reaching a sink with no registry configured is parked in the
    connector's DLQ with LGSP-CODEC-CONFLUENT-UNRESOLVED, and the sink keeps delivering."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    inbox = node.inbox(WARD)
    await node.create(inbox, partitions=1)
    agency = AgencyApp()
    sink = HttpSinkConfig.model_validate(
        {"name": "ward-dms", "node": node.name, "agency": WARD, "url": "http://127.0.0.1:9"}
    )
    record = example_record(DOSSIER)
    single = AvroCodec().encode(DOSSIER, record)
    framed = b"\x00" + struct.pack(">I", 7) + single[len(DOSSIER.header) :]
    envelope = Envelope.new(
        source=CITY, type=DOSSIER.event_type, subject="k", dataschema=DOSSIER.dataschema
    )
    headers = envelope._replace(id="frame-1").to_headers()
    producer = new_producer(kafka_bootstrap, PLAINTEXT)
    await producer.start()
    try:
        await producer.send_and_wait(inbox, framed, key=b"k", headers=headers)
        second = envelope._replace(id="single-1").to_headers()
        await producer.send_and_wait(inbox, single, key=b"k", headers=second)
    finally:
        await producer.stop()
    settings = Settings(bootstrap_servers=kafka_bootstrap)
    async with agency.serve():
        target = sink.model_copy(update={"url": f"{agency.url}/inbox"})
        async with run_connector(target, settings), asyncio.timeout(30):
            while not agency.received:  # noqa: ASYNC110 (nothing to await)
                await asyncio.sleep(0.1)
    dlq = connector_dlq_topic(node.name, "ward-dms")
    [parked] = await read_all(kafka_bootstrap, [dlq], expected=1, settle_s=0)
    info = read_park_info(parked.headers)
    assert info is not None and info.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"
    assert parked.value == framed
    assert list(agency.received) == ["single-1"]


async def test_an_id_the_registry_does_not_know_is_unresolved_and_known_ids_are_cached() -> None:
    """A frame naming an id the registry never gave is LGSP-CODEC-CONFLUENT-UNRESOLVED; a
    registered one is read back as the single-object value, and again once the registry is
    gone (its schema is cached)."""
    single = AvroCodec().encode(DOSSIER, example_record(DOSSIER))
    async with running_registry() as url:
        config = WireFormatConfig(registry=url, confluent_topics=["t"])
        async with record_encoding(config) as encoding:
            framed = await encoding.for_topic("t", single)
            unknown = framed[:1] + struct.pack(">I", 99) + framed[5:]
            with pytest.raises(CodecError) as raised:
                await encoding.single_object(unknown)
            assert raised.value.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"
    async with record_encoding(WireFormatConfig(registry=url)) as reader:
        with pytest.raises(CodecError):  # a new client, the registry gone: not resolvable
            await reader.single_object(framed)
    assert await encoding.single_object(framed) == single  # the first client's cache


async def test_a_gateway_without_registry_parks_a_frame_and_dlq_show_reads_it_with_one(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A stamped Confluent frame reaching a gateway with no registry is parked in its DLQ
    with LGSP-CODEC-CONFLUENT-UNRESOLVED (not routed, the gateway goes on); `lgsp dlq show`
    with a node.yaml naming the registry decodes it, without one it says undecodable."""
    node = PrivateNode(kafka_bootstrap, tmp_path)
    config = node.write(ROUTES)
    events = node.topic(DOCUMENT.event_type)
    await node.create(events, node.inbox(WARD))
    record = from_json(DOCUMENT, _document(2))
    envelope = Envelope.new(
        source=CITY, type=DOCUMENT.event_type, subject="k", dataschema=DOCUMENT.dataschema
    )
    headers = [*envelope.to_headers(), (VALIDATED_HEADER, ruleset_id().encode())]
    async with running_registry() as url:
        async with record_encoding(WireFormatConfig(registry=url, confluent_topics=[events])) as w:
            framed = await w.encode(events, DOCUMENT, record)
        with_registry = tmp_path / "node-registry.yaml"
        with_registry.write_text(
            json.dumps(json.loads(config.read_text("utf-8")) | {"wire_format": {"registry": url}}),
            encoding="utf-8",
        )
        async with running_gateway(config):
            producer = new_producer(kafka_bootstrap, PLAINTEXT)
            await producer.start()
            try:
                await producer.send_and_wait(events, framed, key=b"k", headers=headers)
            finally:
                await producer.stop()
            [parked] = await read_all(
                kafka_bootstrap, [events + ".dlq"], expected=1, settle_s=0, timeout_s=30
            )
        shown, plain = [
            await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "lgsp", "dlq", "show", envelope.id, "--config", str(path)],
                capture_output=True,
                text=True,
                timeout=120,
                env={"COLUMNS": "250", "PATH": ""},
            )
            for path in (with_registry, config)
        ]
    info = read_park_info(parked.headers)
    assert info is not None and info.code == "LGSP-CODEC-CONFLUENT-UNRESOLVED"
    assert parked.value == framed
    assert json.loads(shown.stdout)["record"]["documentId"] == _document(2)["documentId"]
    assert "LGSP-CODEC-CONFLUENT-UNRESOLVED" in json.loads(plain.stdout)["record"]["undecodable"]


async def test_http_poll_waits_for_a_registry_that_is_down_then_publishes_frames(
    kafka_bootstrap: str,
) -> None:
    """An http-poll source configured for Confluent whose registry is down publishes nothing
    and keeps its position; once the registry answers, every change lands once as a frame."""
    node = private_node()
    topic = str(event_topic(node, DOSSIER.event_type))
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 1)])
    with socket.socket() as probe:  # a free loopback port for the registry, started later
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    changes = [dossier_json("H24.22-a"), dossier_json("H24.22-b")]
    async with AgencyApp(changes=changes).serve() as agency:
        config = HttpPollConfig.model_validate(
            {"name": "motcua", "node": node, "agency": WARD, "url": f"{agency.url}/changes",
             "subject": "dossier.status", "key_field": "dossierCode", "poll_interval_s": 0.1,
             "wire_format": {"registry": url, "confluent_topics": [topic]}}
        )  # fmt: skip
        async with run_connector(config, Settings(bootstrap_servers=kafka_bootstrap)):
            await asyncio.sleep(1.0)  # several polls against the registry that is down
            assert await CheckpointStore(kafka_bootstrap, node, "motcua").load() is None
            async with http_server(registry_app(), "127.0.0.1", port):
                records = await read_all(kafka_bootstrap, [topic], expected=2, settle_s=1.0)
    assert [r.key for r in records] == [b"H24.22-a", b"H24.22-b"]
    assert all(r.value is not None and r.value[:1] == b"\x00" for r in records)
