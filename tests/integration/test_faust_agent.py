"""The faust agent of examples/faust_anonymised_feed.py on the real broker: it reads bus
records (single-object Avro, CloudEvents headers, v1 and v2) through bus.faust and writes
bus records the rest of the bus reads: decodable, valid envelopes, owner masked."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from bus.kafka import TopicSpec, ensure_topics
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.topics import event_topic, inbox_topic
from tests.gatewayharness import make_event, publish, read_all

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "000.00.13.H24"


async def test_the_faust_agent_reads_and_writes_bus_records(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Three dossier statuses (schema v1 and v2) go in; three records come out in the office's
    inbox, each decoding as dossier.status v1 with the CCCD masked, a valid envelope addressed
    to the office and correlated with its original event, the trace continued."""
    node = f"faust-{uuid.uuid4().hex[:6]}"
    source = str(event_topic(node, "vn.gov.dossier.status.v1"))
    inbox = inbox_topic(node, OFFICE)
    await ensure_topics(kafka_bootstrap, [TopicSpec(source, 3), TopicSpec(inbox, 3)])
    events = [
        make_event(
            "dossier.status",
            source="000.01.02.H24",
            version=version,
            changes={"dossierCode": f"H24.22-000{i}"},
        )
        for i, version in enumerate((1, 2, 2))
    ]
    await publish(kafka_bootstrap, source, events)
    env = {
        **os.environ,
        "LGSP_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LGSP_FAUST_NODE": node,
        "LGSP_FAUST_RECIPIENT": OFFICE,
    }
    log = (tmp_path / "faust.log").open("wb")
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "faust", "-A", "examples.faust_anonymised_feed",
        "--datadir", str(tmp_path / "data"), "-l", "warn", "worker", "--without-web",
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        delivered = await read_all(kafka_bootstrap, [inbox], expected=3, timeout_s=120)
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 60)
        log.close()
    assert len(delivered) == 3, (tmp_path / "faust.log").read_text()[-3000:]
    codec = AvroCodec()
    by_id = {envelope.id: envelope for envelope, _key, _value in events}
    for record in delivered:
        assert record.value is not None
        writer = codec.writer_of(record.value)
        assert (writer.subject, writer.version) == ("dossier.status", 1)
        value = codec.decode(record.value)
        assert value["owner"]["idNumber"] == "001*******45"
        envelope = Envelope.from_headers(record.headers)
        assert envelope.recipients == (OFFICE,)
        assert envelope.type == "vn.gov.dossier.status.v1"
        assert envelope.correlation_id in by_id
        original = by_id[envelope.correlation_id]
        assert envelope.trace_id == original.trace_id
        assert envelope.source == original.source
    assert {Envelope.from_headers(r.headers).correlation_id for r in delivered} == set(by_id)
