"""The HTTP sink, one record a POST and in batches, against bare httpx POSTs to the same
agency application served here: records/s from the first delivery to the last."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

from connectors_common import (  # a sibling script
    CPU_MS,
    PARTITIONS,
    SCHEMA,
    WARD,
    child,
    cpu_s,
    dossier,
    post_all,
)
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.httpserver import http_server
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics
from connectors.lifecycle import bound_port
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.jsonform import from_json
from schemas.topics import inbox_topic


def agency_app(stamps: list[float], seen: set[str]) -> FastAPI:
    app = FastAPI()

    def take(key: str) -> None:
        if key not in seen:
            seen.add(key)
            stamps.append(time.perf_counter())

    @app.post("/inbox")
    async def inbox(request: Request) -> JSONResponse:
        await request.body()
        take(request.headers["idempotency-key"])
        return JSONResponse({"ok": True})

    @app.post("/batch")
    async def batch(request: Request) -> JSONResponse:
        events = json.loads(await request.body())
        for event in events:
            take(event["id"])
        return JSONResponse({"results": [{"id": e["id"], "status": 202} for e in events]})

    return app


async def run_sink(
    bootstrap: str, folder: Path, count: int, config: dict[str, Any], seen: set[str], name: str
) -> None:
    node = config["node"]
    inbox = inbox_topic(node, WARD)
    await ensure_topics(bootstrap, [TopicSpec(inbox, PARTITIONS)])
    codec = AvroCodec()
    async with KafkaPublisher(bootstrap) as publisher:
        futures = []
        for i in range(count):
            envelope = Envelope.new(
                source=WARD, type=SCHEMA.event_type, dataschema=SCHEMA.dataschema
            )
            value = codec.encode(SCHEMA, from_json(SCHEMA, dossier(i)))
            record = OutgoingRecord(inbox, value, f"H24.22-{i:06d}".encode(), envelope.to_headers())
            futures.append(await publisher.enqueue(record))
        await asyncio.gather(*futures)
    path = folder / f"{node}.yaml"
    path.write_text(json.dumps(config))
    process = await child(path, bootstrap, folder / "sink.log")
    try:
        deadline = time.monotonic() + 600
        while not seen and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        started, cpu, app_cpu = len(seen), cpu_s(process.pid), cpu_s()
        while len(seen) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        delivered = len(seen) - started
        CPU_MS.setdefault(name, []).append((cpu_s(process.pid) - cpu) * 1000 / delivered)
        beside = (cpu_s() - app_cpu) * 1000 / delivered
        CPU_MS.setdefault(f"agency app beside the {name}", []).append(beside)
    finally:
        process.terminate()
        await process.wait()
    if len(seen) < count:
        raise SystemExit(f"the sink delivered {len(seen)} of {count} records")


async def sink_rates(
    bootstrap: str, folder: Path, count: int, concurrency: int, batch_records: int
) -> tuple[float, float, float]:
    """Records/s of the sink one record a POST, of bare httpx POSTs at the same concurrency,
    and of the sink in batch mode; each from the first delivery to the last."""
    stamps: list[float] = []
    seen: set[str] = set()

    def rate() -> float:
        value = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        stamps.clear()
        seen.clear()
        return value

    async with http_server(agency_app(stamps, seen), "127.0.0.1", 0) as server:
        url = f"http://127.0.0.1:{bound_port(server)}"
        bodies = [json.dumps({"data": dossier(i)}).encode() for i in range(count)]
        headers = {"Content-Type": "application/json", "Idempotency-Key": "x"}
        cpu = cpu_s()
        bare_http = await post_all(f"{url}/inbox", bodies, concurrency, headers)
        CPU_MS.setdefault("bare httpx and agency app", []).append((cpu_s() - cpu) * 1000 / count)
        stamps.clear()
        seen.clear()
        base = {"kind": "http-sink", "name": "sink", "agency": WARD, "url": f"{url}/inbox",
                "max_in_flight": 256, "max_connections": concurrency,
                "max_batch": 2000}  # fmt: skip
        node = f"bench{uuid.uuid4().hex[:6]}"
        await run_sink(bootstrap, folder, count, base | {"node": node}, seen, "sink")
        single = rate()
        batched = base | {
            "node": f"bench{uuid.uuid4().hex[:6]}",
            "batch": {"url": f"{url}/batch", "max_records": batch_records},
        }
        await run_sink(bootstrap, folder, count * 5, batched, seen, "batch sink")
        batch = rate()
    return single, bare_http, batch
