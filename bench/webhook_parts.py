"""The webhook and its bare peer (FastAPI under uvicorn producing to Kafka), each its own
process, posted to at the same concurrency: requests/s, every accepted record counted."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import httpx
from connectors_common import (  # a sibling script
    CPU_MS,
    KEY,
    PARTITIONS,
    SCHEMA,
    WARD,
    child,
    count_records,
    cpu_s,
    dossier,
    post_all,
    profiled,
)

from bus.kafka import TopicSpec, ensure_topics
from bus.localkafka.layout import free_port
from connectors.webhook.config import hash_api_key
from schemas.topics import event_topic


async def webhook_rate(bootstrap: str, folder: Path, count: int, concurrency: int) -> float:
    node = f"bench{uuid.uuid4().hex[:6]}"
    topic = str(event_topic(node, SCHEMA.event_type))
    await ensure_topics(bootstrap, [TopicSpec(topic, PARTITIONS)])
    port = free_port()
    config = folder / "webhook.yaml"
    config.write_text(
        json.dumps(
            {"kind": "webhook", "name": "webhook", "node": node, "agency": "000.00.00.H24",
             "port": port, "max_in_flight": 1024,
             "agencies": [{"code": WARD, "key_sha256": hash_api_key(KEY)}],
             "subjects": {"dossier.status": {"key_field": "dossierCode",
                                             "agency_field": "receivingAgency.code"}}}
        )
    )  # fmt: skip
    process = await child(config, bootstrap, folder / "webhook.log")
    headers = {"X-Api-Key": KEY, "Content-Type": "application/json"}
    return await measure_endpoint(
        bootstrap, process, port, topic, count, concurrency, headers, "webhook"
    )


async def measure_endpoint(
    bootstrap: str,
    process: asyncio.subprocess.Process,
    port: int,
    topic: str,
    count: int,
    concurrency: int,
    headers: dict[str, str],
    name: str,
) -> float:
    """Requests/s of POSTs of ``count`` dossiers (after 200 to warm up) to an ingress process
    on ``port`` that publishes to ``topic``; every one is then counted on Kafka. The process's
    CPU time per request goes to ``CPU_MS[name]``."""
    url = f"http://127.0.0.1:{port}/events/dossier.status"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    await client.get(f"http://127.0.0.1:{port}/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        bodies = [json.dumps(dossier(i)).encode() for i in range(count)]
        await post_all(url, bodies[:200], concurrency, headers)  # warm-up
        cpu = cpu_s(process.pid)
        rate = await post_all(url, bodies, concurrency, headers)
        CPU_MS.setdefault(name, []).append((cpu_s(process.pid) - cpu) * 1000 / count)
    finally:
        process.terminate()
        await process.wait()
    landed = await count_records(bootstrap, topic, count + 200)
    if landed != count + 200:
        raise SystemExit(f"{count + 200} requests were accepted on {port}, Kafka has {landed}")
    return rate


async def bare_webhook_rate(bootstrap: str, count: int, concurrency: int) -> float:
    """Requests/s of bench/bare_webhook.py (FastAPI under uvicorn producing each body to
    Kafka with the same acks, no checks) in its own process, posted to as the webhook is."""
    topic = f"bench.bare-webhook.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [TopicSpec(topic, PARTITIONS)])
    port = free_port()
    script = Path(__file__).parent / "bare_webhook.py"
    args = ["--bootstrap", bootstrap, "--port", str(port), "--topic", topic]
    if "--uvloop" in sys.argv:
        args.append("--uvloop")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    process = await asyncio.create_subprocess_exec(sys.executable, str(script), *args, env=env)
    await profiled(process, "bare-webhook")
    headers = {"Content-Type": "application/json"}
    return await measure_endpoint(
        bootstrap, process, port, topic, count, concurrency, headers, "bare endpoint"
    )
