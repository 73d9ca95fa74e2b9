"""Helpers for connector tests: a small agency application (the system a connector talks to),
connector files written for a private node, and reading what reached Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.httpserver import http_server
from bus.kafka import (
    KafkaPublisher,
    LogReader,
    OutgoingRecord,
    TopicSpec,
    ensure_topics,
    topic_partitions,
)
from bus.settings import Settings
from connectors.lifecycle import bound_port
from connectors.runner import RunningConnector, run_connector
from connectors.webhook.config import WebhookConfig, hash_api_key
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.topics import event_topic
from tests.coherent import at_status

Record: TypeAlias = ConsumerRecord[bytes, bytes]
DOSSIER = bundled_catalog().get("dossier.status")
DOCUMENT = bundled_catalog().get("document.sent")
WARD = "000.01.02.H24"  # UBND phường Phúc Xá, Hà Nội
CODEC = AvroCodec()


def private_node() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def dossier_json(code: str, status: int = 2) -> dict[str, Any]:
    return at_status(example_json(DOSSIER), status) | {"dossierCode": code}


@dataclass
class AgencyApp:
    """An agency system: lists dossier changes for polling sources, and takes deliveries
    (deduplicated by Idempotency-Key, as an idempotent target must be).

    ``fail_next`` answers that many deliveries 503 with Retry-After; codes in ``refuse`` get
    400; ``delay_s`` slows every call down (to kill a connector mid-stream).
    """

    changes: list[dict[str, Any]] = field(default_factory=list)
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    duplicates: int = 0
    fail_next: int = 0
    retry_after: str = "1"
    refuse: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    port: int = 0
    calls_now: int = 0
    peak_calls: int = 0
    # batch endpoint: answer per record ("per-record"), or refuse a batch holding a refused
    # record as a whole without saying which ("whole")
    batch_answers: str = "per-record"
    batch_sizes: list[int] = field(default_factory=list)
    arrivals: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/changes")
        async def changes(limit: int, since: str | None = None) -> dict[str, Any]:
            await asyncio.sleep(self.delay_s)
            start = int(since or 0)
            page = self.changes[start : start + limit]
            end = start + len(page)
            return {"items": page, "cursor": str(end), "more": end < len(self.changes)}

        @app.post("/batch")
        async def batch(request: Request) -> Any:
            events = json.loads(await request.body())
            self.batch_sizes.append(len(events))
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse(
                    {"error": "busy"}, 503, headers={"Retry-After": self.retry_after}
                )
            refused = {e["id"] for e in events if e["data"].get("dossierCode") in self.refuse}
            if refused and self.batch_answers == "whole":
                return JSONResponse({"error": "a record of this batch is not ours"}, 400)
            results = []
            for event in events:
                if event["id"] in refused:
                    reason = "unknown procedure for this office"
                    results.append({"id": event["id"], "status": 400, "reason": reason})
                    continue
                self._take(event["id"], event)
                results.append({"id": event["id"], "status": 202})
            return JSONResponse({"results": results}, 200)

        @app.post("/inbox")
        async def inbox(request: Request) -> Any:
            self.calls_now += 1
            self.peak_calls = max(self.peak_calls, self.calls_now)
            try:
                await asyncio.sleep(self.delay_s)
            finally:
                self.calls_now -= 1
            self.requests.append(dict(request.headers))
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse(
                    {"error": "busy"}, 503, headers={"Retry-After": self.retry_after}
                )
            key = request.headers.get("idempotency-key")
            if not key:
                return JSONResponse({"error": "Idempotency-Key required"}, 400)
            event = json.loads(await request.body())
            record = event.get("data", event)  # CloudEvents structured, or the record alone
            if record.get("dossierCode") in self.refuse:
                return JSONResponse({"error": "unknown procedure for this office"}, 400)
            self._take(key, event)
            return JSONResponse({"ok": True}, 200)

        return app

    def _take(self, key: str, event: dict[str, Any]) -> None:
        if key in self.received:
            self.duplicates += 1
        else:
            self.arrivals.append(key)
        self.received[key] = event

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[AgencyApp]:
        async with http_server(self.app(), "127.0.0.1", 0) as server:
            self.port = bound_port(server)
            yield self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def read_topic(bootstrap: str, topic: str) -> list[Record]:
    """Every committed record of ``topic`` now."""
    partitions = await topic_partitions(bootstrap, [topic])
    async with LogReader(bootstrap) as reader:
        return await reader.read(dict.fromkeys(partitions))


async def wait_for_records(
    bootstrap: str, topic: str, count: int, timeout_s: float = 60
) -> list[Record]:
    async with asyncio.timeout(timeout_s):
        # Kafka offers nothing to await here: poll the topic
        while len(records := await read_topic(bootstrap, topic)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.3)
    return records


async def publish_dossiers(
    bootstrap: str, topic: str, codes: list[str], time: datetime | None = None
) -> list[str]:
    """Publish one dossier record per code to ``topic`` (as the gateway delivers to an inbox),
    with ``ce_time`` now or ``time``; return their ce_ids."""
    ids = []
    async with KafkaPublisher(bootstrap) as publisher:
        futures = []
        for code in codes:
            envelope = Envelope.new(
                source=WARD,
                type=DOSSIER.event_type,
                subject=code,
                dataschema=DOSSIER.dataschema,
                time=time,
            )
            value = CODEC.encode(DOSSIER, from_json(DOSSIER, dossier_json(code)))
            record = OutgoingRecord(topic, value, code.encode(), envelope.to_headers())
            futures.append(await publisher.enqueue(record))
            ids.append(envelope.id)
        await asyncio.gather(*futures)
    return ids


def write_config(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    return await topic_partitions(bootstrap, [topic])


async def start_connector_process(
    config: Path, bootstrap: str, log: Path
) -> asyncio.subprocess.Process:
    """``lgsp connector run CONFIG`` as a child process (so it can be killed for real)."""
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": bootstrap, "LGSP_LOG_LEVEL": "INFO"}
    handle = log.open("ab")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lgsp", "connector", "run", str(config),
        stdout=handle, stderr=handle, env=env,
    )  # fmt: skip


WARD_KEY = "ward-key-0001"
CITY_KEY = "city-key-0002"
OTHER_WARD = "000.02.03.H24"


def webhook_config(node: str, bootstrap: str, max_body_bytes: int = 65536) -> WebhookConfig:
    return WebhookConfig.model_validate(
        {
            "name": "webhook",
            "node": node,
            "agency": "000.00.00.H24",
            "bootstrap_servers": bootstrap,
            "port": 0,
            "max_body_bytes": max_body_bytes,
            "agencies": [
                {
                    "code": WARD,
                    "key_sha256": hash_api_key(WARD_KEY),
                    "subjects": ["dossier.status"],
                },
                {"code": "000.00.01.H24", "key_sha256": hash_api_key(CITY_KEY)},
            ],
            "subjects": {
                "dossier.status": {
                    "key_field": "dossierCode",
                    "agency_field": "receivingAgency.code",
                },
                "document.sent": {
                    "key_field": "documentId",
                    "agency_field": "sender.code",
                    "recipients_field": "recipients[].code",
                },
            },
        }
    )


@contextlib.asynccontextmanager
async def running_webhook(bootstrap: str) -> AsyncIterator[tuple[RunningConnector, str]]:
    """The webhook of ``webhook_config`` on a node of its own, its dossier and document
    topics created; yields it and the node's name."""
    node = private_node()
    topics = [str(event_topic(node, s.event_type)) for s in (DOSSIER, DOCUMENT)]
    await ensure_topics(bootstrap, [TopicSpec(t, 1) for t in topics])
    config = webhook_config(node, bootstrap)
    async with run_connector(config, Settings(bootstrap_servers=bootstrap)) as running:
        yield running, node
