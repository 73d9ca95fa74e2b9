"""Records written by our code are readable by kcat (librdkafka), and the other way round."""

from __future__ import annotations

import asyncio
import shutil

from bus.kafka import KafkaPublisher, OutgoingRecord, kafka_consumer
from tests.conftest import NewTopic


async def _kcat(*args: str, stdin: bytes | None = None) -> bytes:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is not installed (Debian package kcat); .ci/run installs it"
    proc = await asyncio.create_subprocess_exec(
        kcat,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode == 0, err.decode()
    return out


async def test_kcat_reads_our_record_with_the_same_headers_and_bytes(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """A binary value and CloudEvents-style headers published by KafkaPublisher come out of
    kcat byte for byte."""
    topic = await new_topic()
    value = bytes([0xC3, 0x01]) + bytes(range(256)) + b"\n\x00end"
    headers = (
        ("ce_specversion", b"1.0"),
        ("ce_id", b"7f1c1c38-6f0e-4c58-9d1e-2a4f7f3c9b10"),
        ("ce_source", b"000.00.00.G22"),
        ("ce_type", b"vn.gov.document.sent.v1"),
        ("content-type", b"application/avro"),
    )
    async with KafkaPublisher(kafka_bootstrap) as publisher:
        await publisher.publish(
            OutgoingRecord(topic=topic, key=b"doc-7816", value=value, headers=headers)
        )

    common = ("-C", "-b", kafka_bootstrap, "-t", topic, "-o", "beginning", "-c", "1", "-e", "-q")
    raw_value = await _kcat(*common, "-f", "%s")
    key_and_headers = await _kcat(*common, "-f", "%k|%h")

    assert raw_value == value
    key, _, header_text = key_and_headers.decode().partition("|")
    assert key == "doc-7816"
    assert header_text.split(",") == [f"{k}={v.decode()}" for k, v in headers]


async def test_our_consumer_reads_a_record_kcat_produced_with_headers(
    kafka_bootstrap: str, new_topic: NewTopic
) -> None:
    """A record produced by kcat with headers is read by our consumer with key, value, headers."""
    topic = await new_topic()
    await _kcat(
        "-P",
        "-b",
        kafka_bootstrap,
        "-t",
        topic,
        "-k",
        "dossier-1",
        "-H",
        "ce_source=000.00.00.H29",
        "-H",
        "ce_type=vn.gov.dossier.status.v1",
        stdin=b"payload-from-kcat",
    )
    async with kafka_consumer(kafka_bootstrap, topic, group_id=f"g-{topic}") as consumer:
        record = await asyncio.wait_for(consumer.getone(), 30)
    assert record.key == b"dossier-1"
    assert record.value == b"payload-from-kcat"
    assert list(record.headers) == [
        ("ce_source", b"000.00.00.H29"),
        ("ce_type", b"vn.gov.dossier.status.v1"),
    ]
