"""What the connector benches share: the dossier records, the bare producer baseline, the
connector processes with their CPU time (and py-spy profiles), and POSTs at a concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bus.kafka import kafka_consumer
from bus.kafka.factory import PLAINTEXT, new_baseline_producer
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json

WARD = "000.01.02.H24"
KEY = "bench-key"
PARTITIONS = 3
SCHEMA = bundled_catalog().get("dossier.status")
PROFILES: Path | None = None  # --py-spy DIR: every measured process sampled into DIR
CPU_MS: dict[str, list[float]] = {}  # CPU ms per request or record, by what, a round each


def dossier(i: int) -> dict[str, Any]:
    return example_json(SCHEMA) | {
        "dossierCode": f"H24.22-{i:06d}",
        "receivingAgency": {"code": WARD, "name": "UBND phường Phúc Xá"},
    }


async def bare_produce(bootstrap: str, topic: str, count: int) -> float:
    codec = AvroCodec()
    values = [codec.encode(SCHEMA, from_json(SCHEMA, dossier(i))) for i in range(count)]
    headers = Envelope.new(source=WARD, type=SCHEMA.event_type).to_headers()
    producer = new_baseline_producer(
        bootstrap, PLAINTEXT, acks=1, linger_ms=5, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        began = time.perf_counter()
        futures = [
            await producer.send(topic, value=v, key=f"H24.22-{i:06d}".encode(), headers=headers)
            for i, v in enumerate(values)
        ]
        await asyncio.gather(*futures)
        return count / (time.perf_counter() - began)
    finally:
        await producer.stop()


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) a process has used: this one, or a child by its pid."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def profiled(process: asyncio.subprocess.Process, name: str) -> None:
    """With --py-spy, sample ``process`` until it exits (collapsed stacks in DIR/name.txt)."""
    if PROFILES is not None:
        spy = Path(sys.executable).parent / "py-spy"
        await asyncio.create_subprocess_exec(
            str(spy), "record", "--pid", str(process.pid), "--format", "raw", "--rate", "200",
            "--output", str(PROFILES / f"{name}.txt"), "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip


async def child(config: Path, bootstrap: str, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": bootstrap, "LGSP_LOG_LEVEL": "WARNING"}
    handle = log.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lgsp", "connector", "run", str(config),
        stdout=handle, stderr=handle, env=env,
    )  # fmt: skip
    await profiled(process, config.stem)
    return process


async def post_all(
    url: str, bodies: list[bytes], concurrency: int, headers: dict[str, str]
) -> float:
    """POST every body with ``concurrency`` connections; requests/s."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    failures = 0
    # one client per 8 connections: a single httpx pool slows down sharply with more
    clients = [
        httpx.AsyncClient(limits=httpx.Limits(max_connections=8), timeout=30)
        for _ in range((concurrency + 7) // 8)
    ]
    async with contextlib.AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal failures
            while not queue.empty():
                body = queue.get_nowait()
                for _ in range(3):  # a kept-alive connection the server just closed: again
                    try:
                        response = await client.post(url, content=body, headers=headers)
                        break
                    except httpx.TransportError:
                        continue
                else:
                    raise SystemExit(f"{url} is not answering")
                failures += response.status_code >= 300

        began = time.perf_counter()
        await asyncio.gather(*(worker(clients[i // 8]) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
    if failures:
        raise SystemExit(f"{failures} requests to {url} failed")
    return len(bodies) / elapsed


async def count_records(bootstrap: str, topic: str, expected: int, timeout_s: float = 300) -> int:
    async with kafka_consumer(bootstrap, topic, group_id=None) as consumer:
        seen, deadline = 0, time.monotonic() + timeout_s
        while seen < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            seen += sum(len(v) for v in batch.values())
    return seen
