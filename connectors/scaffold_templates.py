"""The files ``lgsp connector new`` writes (``__NAME__``, ``__MODULE__``, ``__CLASS__`` are
replaced). Kept as Python strings so they ship inside the package."""

from __future__ import annotations

_SOURCE_CODE = '''"""Connector __NAME__: publishes the changes of an agency's system to the bus.

This starting point reads changes from a JSON-lines file (one record of `subject` per line);
its position is the byte offset after the last published line. Replace `read_changes` with a
call to the agency's system (e.g. with httpx) and keep the position logic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

from connectors import ConnectorConfig, SourceBatch, SourceConfig, SourceConnector, SourceEvent


class __CLASS__Config(SourceConfig):
    kind: Literal["plugin"] = "plugin"
    changes_file: Path
    subject: str = "dossier.status"
    key_field: str = "dossierCode"


class __CLASS__(SourceConnector[__CLASS__Config]):
    config_model: ClassVar[type[ConnectorConfig]] = __CLASS__Config

    def read_changes(self, offset: int) -> tuple[list[tuple[int, bytes]], int]:
        """Up to max_batch complete lines from `offset`: (offset, line) each, and the end."""
        lines: list[tuple[int, bytes]] = []
        path = self.config.changes_file
        if not path.exists():
            return lines, offset
        with path.open("rb") as changes:
            changes.seek(offset)
            while len(lines) < self.config.max_batch:
                line = changes.readline()
                if not line.endswith(b"\\n"):  # not written completely yet
                    break
                lines.append((offset, line))
                offset += len(line)
        return lines, offset

    async def poll(self, position: str | None) -> SourceBatch:
        lines, end = self.read_changes(int(position or 0))
        events = []
        for offset, line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"unreadable": line.decode("utf-8", "replace")}  # parked, with reason
            events.append(
                SourceEvent(
                    subject=self.config.subject,
                    data=record,
                    key=str(record.get(self.config.key_field, "")),
                    identity=f"{self.config.changes_file.name}@{offset}",
                )
            )
        return SourceBatch(events, position=str(end), more=len(lines) == self.config.max_batch)
'''

_SOURCE_CONFIG = """# Connector __NAME__: run with `lgsp connector run __NAME__.yaml` (Kafka from
# LGSP_BOOTSTRAP_SERVERS, or set bootstrap_servers below).
kind: plugin
entry: __MODULE__:__CLASS__
name: __NAME__
node: hanoi
agency: 000.01.02.H24
changes_file: changes.jsonl
subject: dossier.status
key_field: dossierCode
poll_interval_s: 1
"""

_SINK_CODE = '''"""Connector __NAME__: delivers the records the bus routes to an agency to its
system.

This starting point appends each record (plain JSON, with its ce_id) to a JSON-lines file,
once per ce_id. Replace `deliver` with a call to the agency's system: raise
RetriableDeliveryError when it is unavailable (it will be retried with back-off), and
PermanentDeliveryError when it refuses the record (it will be parked with the reason). Send
`delivery.idempotency_key` along so the system can drop a record delivered twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

from connectors import ConnectorConfig, Delivery, SinkConfig, SinkConnector


class __CLASS__Config(SinkConfig):
    kind: Literal["plugin"] = "plugin"
    delivered_file: Path


class __CLASS__(SinkConnector[__CLASS__Config]):
    config_model: ClassVar[type[ConnectorConfig]] = __CLASS__Config

    async def open_sink(self) -> None:
        self.seen: set[str] = set()
        if self.config.delivered_file.exists():
            with self.config.delivered_file.open(encoding="utf-8") as delivered:
                self.seen = {json.loads(line)["id"] for line in delivered}

    async def deliver(self, delivery: Delivery) -> None:
        if delivery.idempotency_key in self.seen:
            return  # delivered before a restart: the target already has it
        line = {
            "id": delivery.idempotency_key,
            "type": delivery.envelope.type,
            "source": delivery.envelope.source,
            "data": delivery.as_json(),
        }
        with self.config.delivered_file.open("a", encoding="utf-8") as delivered:
            delivered.write(json.dumps(line, ensure_ascii=False) + "\\n")
        self.seen.add(delivery.idempotency_key)
'''

_SINK_CONFIG = """# Connector __NAME__: run with `lgsp connector run __NAME__.yaml` (Kafka from
# LGSP_BOOTSTRAP_SERVERS, or set bootstrap_servers below). It reads the agency's inbox
# lgsp.<node>.inbox.<agency>.
kind: plugin
entry: __MODULE__:__CLASS__
name: __NAME__
node: hanoi
agency: 000.01.02.H24
delivered_file: delivered.jsonl
retry:
  initial_backoff_s: 0.5
  max_backoff_s: 60
"""

_TEST_HEAD = '''"""Integration test of connector __NAME__ against a real Kafka broker: the one
named by LGSP_BOOTSTRAP_SERVERS, or a local one started for the test (needs Java)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import TopicPartition

from bus.kafka import KafkaPublisher, LogReader, OutgoingRecord, TopicSpec, ensure_topics
from bus.localkafka import local_cluster
from bus.settings import Settings
from connectors import run_connector
from connectors.registry import load_connector_config
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.topics import event_topic, inbox_topic

pytestmark = pytest.mark.asyncio
SCHEMA = bundled_catalog().get("dossier.status")


@pytest_asyncio.fixture
async def bootstrap() -> AsyncIterator[str]:
    settings = Settings()
    if settings.bootstrap_servers:
        yield settings.bootstrap_servers
        return
    async with local_cluster(settings, "__NAME__-test") as cluster:
        yield cluster.bootstrap_servers or ""


def config_file(tmp_path: Path, bootstrap: str, node: str, **extra: str) -> Path:
    text = (Path(__file__).parent / "__NAME__.yaml").read_text(encoding="utf-8")
    text = text.replace("node: hanoi", f"node: {node}")
    lines = [text, f"bootstrap_servers: {bootstrap}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    path = tmp_path / "__NAME__.yaml"
    path.write_text("\\n".join(lines) + "\\n", encoding="utf-8")
    return path
'''

_SOURCE_TEST = (
    _TEST_HEAD
    + '''

async def test_publishes_each_change_once_with_its_key(tmp_path: Path, bootstrap: str) -> None:
    """Every line of the changes file becomes one event on the node's topic, keyed by dossier."""
    node = f"t{uuid.uuid4().hex[:8]}"
    topic = str(event_topic(node, SCHEMA.event_type))
    await ensure_topics(bootstrap, [TopicSpec(topic, 1)])
    codes = [f"H24.22-0000{i}" for i in range(3)]
    changes = tmp_path / "changes.jsonl"
    changes.write_text(
        "".join(json.dumps(example_json(SCHEMA) | {"dossierCode": c}) + "\\n" for c in codes)
    )
    config = load_connector_config(
        config_file(tmp_path, bootstrap, node, changes_file=str(changes))
    )
    async with run_connector(config, Settings(bootstrap_servers=bootstrap)):
        records = []
        async with asyncio.timeout(30):
            while len(records) < len(codes):
                await asyncio.sleep(0.5)
                async with LogReader(bootstrap) as reader:
                    records = await reader.read({TopicPartition(topic, 0): None})
    assert [r.key.decode() for r in records if r.key] == codes
    assert all(Envelope.from_headers(r.headers).source == "000.01.02.H24" for r in records)
'''
)

_SINK_TEST = (
    _TEST_HEAD
    + '''

async def test_delivers_each_record_once(tmp_path: Path, bootstrap: str) -> None:
    """Records in the agency's inbox reach the delivered file once each, with their ce_id."""
    node = f"t{uuid.uuid4().hex[:8]}"
    inbox = inbox_topic(node, "000.01.02.H24")
    await ensure_topics(bootstrap, [TopicSpec(inbox, 1)])
    codec, ids = AvroCodec(), []
    async with KafkaPublisher(bootstrap) as publisher:
        for i in range(3):
            envelope = Envelope.new(
                source="000.00.00.G22", type=SCHEMA.event_type, dataschema=SCHEMA.dataschema
            )
            record = from_json(SCHEMA, example_json(SCHEMA) | {"dossierCode": f"H24.22-{i}"})
            value = codec.encode(SCHEMA, record)
            await publisher.publish(OutgoingRecord(inbox, value, b"k", envelope.to_headers()))
            ids.append(envelope.id)
    delivered = tmp_path / "delivered.jsonl"
    config = load_connector_config(
        config_file(tmp_path, bootstrap, node, delivered_file=str(delivered))
    )
    async with run_connector(config, Settings(bootstrap_servers=bootstrap)):
        async with asyncio.timeout(30):
            while not delivered.exists() or len(delivered.read_text().splitlines()) < len(ids):
                await asyncio.sleep(0.2)
    lines = [json.loads(line) for line in delivered.read_text().splitlines()]
    assert [line["id"] for line in lines] == ids
'''
)

TEMPLATES = {
    "source_code": _SOURCE_CODE,
    "source_config": _SOURCE_CONFIG,
    "source_test": _SOURCE_TEST,
    "sink_code": _SINK_CODE,
    "sink_config": _SINK_CONFIG,
    "sink_test": _SINK_TEST,
}
