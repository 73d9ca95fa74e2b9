"""Optional Confluent wire format on the real broker: topics configured so carry 00 + schema
id + Avro body, the schema registered under <topic>-value in a registry speaking the
Confluent API; other topics keep single-object encoding; `lgsp consume --registry` reads
both (tests/schemaregistryharness.py says why the registry is not Apicurio here)."""

from __future__ import annotations

import asyncio
import json
import struct
from io import BytesIO

import httpx
from aiokafka import AIOKafkaProducer
from fastavro import parse_schema, schemaless_reader
from typer.testing import CliRunner

from bus.wireformat import WireFormatConfig, record_encoding
from lgsp.cli import app
from schemas.catalog import bundled_catalog
from schemas.examples import example_record
from tests.conftest import NewTopic
from tests.gatewayharness import read_all
from tests.schemaregistryharness import running_registry


async def _send(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def test_configured_topics_carry_confluent_frames_with_registered_ids(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """A configured topic's value is 00 + the id the registry gave <topic>-value + the Avro
    body (readable with the registry's schema alone); another topic's stays C3 01; both
    decode back to the record, and the same schema keeps its id."""
    confluent, plain = await new_topic(), await new_topic()
    schema = bundled_catalog().get("dossier.status", 2)
    record = example_record(schema)
    async with running_registry() as url:
        config = WireFormatConfig(registry=url, confluent_topics=[confluent])
        async with record_encoding(config) as encoding:
            framed = await encoding.encode(confluent, schema, record)
            again = await encoding.encode(confluent, schema, record)
            single = await encoding.encode(plain, schema, record)
            await _send(kafka_bootstrap, confluent, framed)
            await _send(kafka_bootstrap, plain, single)
            [stored] = await read_all(kafka_bootstrap, [confluent], expected=1, settle_s=0)
            [stored_plain] = await read_all(kafka_bootstrap, [plain], expected=1, settle_s=0)
            assert stored.value is not None and stored_plain.value is not None
            assert stored.value[:1] == b"\x00" and stored_plain.value[:2] == b"\xc3\x01"
            (schema_id,) = struct.unpack(">I", stored.value[1:5])
            assert again[:5] == framed[:5]
            async with httpx.AsyncClient() as client:
                subjects = (await client.get(f"{url}/subjects")).json()
                text = (await client.get(f"{url}/schemas/ids/{schema_id}")).json()["schema"]
            assert subjects == [f"{confluent}-value"]
            body = schemaless_reader(BytesIO(stored.value[5:]), parse_schema(json.loads(text)))
            assert body == record
            for value in (stored.value, stored_plain.value):
                writer, decoded = await encoding.decode(value)
                assert (writer.subject, writer.version) == ("dossier.status", 2)
                assert decoded == record


def test_consume_reads_confluent_frames_through_the_registry(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """`lgsp consume --registry URL` decodes a Confluent-format topic (owner masked); without
    --registry the value is reported undecodable with LGSP-REGISTRY, the tail goes on."""
    schema = bundled_catalog().get("dossier.status", 1)

    async def produce(url: str) -> str:
        topic = await new_topic()
        config = WireFormatConfig(registry=url, confluent_topics=["test.*"])
        async with record_encoding(config) as encoding:
            value = await encoding.encode(topic, schema, example_record(schema))
        await _send(kafka_bootstrap, topic, value)
        return topic

    async def scenario() -> tuple[str, str]:
        async with running_registry() as url:
            topic = await produce(url)
            result = await asyncio.to_thread(
                CliRunner().invoke,
                app,
                ["consume", topic, "-b", kafka_bootstrap, "--registry", url, "-o", "json"],
            )
            return result.stdout, topic

    stdout, topic = asyncio.run(scenario())
    [row] = [json.loads(line) for line in stdout.splitlines()]
    assert row["schema"] == "dossier.status v1"
    assert row["value"]["owner"]["idNumber"] == "001*******45"
    without = CliRunner().invoke(app, ["consume", topic, "-b", kafka_bootstrap, "-o", "json"])
    [bare] = [json.loads(line) for line in without.stdout.splitlines()]
    assert "LGSP-REGISTRY" in bare["value"]["undecodable"]
