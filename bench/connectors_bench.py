"""Connector throughput on the local broker, against a bare aiokafka produce in the same run.

Webhook: the webhook runs as its own process (``lgsp connector run``); this process POSTs N
dossier records with C concurrent HTTP/1.1 connections and counts the 202s; every accepted
record is then counted on Kafka. HTTP sink: N dossier records wait in an agency's inbox; the
sink runs as its own process and POSTs them to an agency application served here, which
counts distinct Idempotency-Keys; the rate is from the first delivery to the last (the
consumer group join is left out); then again in batch mode (CloudEvents batches, five times
the records). Baselines: a bare aiokafka producer (acks=1) publishing the
same records, and bare httpx POSTs of the same bodies to the same agency application with as
many connections as the sink has (the HTTP hop alone).

    .venv/bin/python bench/connectors_bench.py [--requests 5000] [--records 10000]
        [--concurrency 32] [--rounds 1]

With ``--rounds R`` the webhook and its bare endpoint, then the sink and bare HTTP, run R times
in turn (each pair back to back, so both see the same machine); the ratios printed last are
the medians of each round's ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from benchbroker import bench_broker, bench_settings  # a sibling script
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bus.eventloop import run_service
from bus.httpserver import http_server
from bus.kafka import KafkaPublisher, OutgoingRecord, TopicSpec, ensure_topics, kafka_consumer
from bus.kafka.factory import PLAINTEXT, new_baseline_producer
from bus.localkafka.layout import free_port
from connectors.lifecycle import bound_port
from connectors.webhook.config import hash_api_key
from schemas.catalog import bundled_catalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.examples import example_json
from schemas.jsonform import from_json
from schemas.topics import event_topic, inbox_topic

WARD = "000.01.02.H24"
KEY = "bench-key"
PARTITIONS = 3
SCHEMA = bundled_catalog().get("dossier.status")


def _dossier(i: int) -> dict[str, Any]:
    return example_json(SCHEMA) | {
        "dossierCode": f"H24.22-{i:06d}",
        "receivingAgency": {"code": WARD, "name": "UBND phường Phúc Xá"},
    }


async def _bare_produce(bootstrap: str, topic: str, count: int) -> float:
    codec = AvroCodec()
    values = [codec.encode(SCHEMA, from_json(SCHEMA, _dossier(i))) for i in range(count)]
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


PROFILES: Path | None = None  # --py-spy DIR: every measured process sampled into DIR
CPU_MS: dict[str, list[float]] = {}  # CPU ms per request or record, by what, a round each


def _cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) a process has used: this one, or a child by its pid."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _profiled(process: asyncio.subprocess.Process, name: str) -> None:
    """With --py-spy, sample ``process`` until it exits (collapsed stacks in DIR/name.txt)."""
    if PROFILES is not None:
        spy = Path(sys.executable).parent / "py-spy"
        await asyncio.create_subprocess_exec(
            str(spy), "record", "--pid", str(process.pid), "--format", "raw", "--rate", "200",
            "--output", str(PROFILES / f"{name}.txt"), "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip


async def _child(config: Path, bootstrap: str, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "LGSP_BOOTSTRAP_SERVERS": bootstrap, "LGSP_LOG_LEVEL": "WARNING"}
    handle = log.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lgsp", "connector", "run", str(config),
        stdout=handle, stderr=handle, env=env,
    )  # fmt: skip
    await _profiled(process, config.stem)
    return process


async def _post_all(
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


async def _count(bootstrap: str, topic: str, expected: int, timeout_s: float = 300) -> int:
    async with kafka_consumer(bootstrap, topic, group_id=None) as consumer:
        seen, deadline = 0, time.monotonic() + timeout_s
        while seen < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            seen += sum(len(v) for v in batch.values())
    return seen


async def _webhook(bootstrap: str, folder: Path, count: int, concurrency: int) -> float:
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
    process = await _child(config, bootstrap, folder / "webhook.log")
    headers = {"X-Api-Key": KEY, "Content-Type": "application/json"}
    return await _measure_endpoint(
        bootstrap, process, port, topic, count, concurrency, headers, "webhook"
    )


async def _measure_endpoint(
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
        bodies = [json.dumps(_dossier(i)).encode() for i in range(count)]
        await _post_all(url, bodies[:200], concurrency, headers)  # warm-up
        cpu = _cpu_s(process.pid)
        rate = await _post_all(url, bodies, concurrency, headers)
        CPU_MS.setdefault(name, []).append((_cpu_s(process.pid) - cpu) * 1000 / count)
    finally:
        process.terminate()
        await process.wait()
    landed = await _count(bootstrap, topic, count + 200)
    if landed != count + 200:
        raise SystemExit(f"{count + 200} requests were accepted on {port}, Kafka has {landed}")
    return rate


async def _bare_webhook(bootstrap: str, count: int, concurrency: int) -> float:
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
    await _profiled(process, "bare-webhook")
    headers = {"Content-Type": "application/json"}
    return await _measure_endpoint(
        bootstrap, process, port, topic, count, concurrency, headers, "bare endpoint"
    )


def _agency_app(stamps: list[float], seen: set[str]) -> FastAPI:
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


async def _run_sink(
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
            value = codec.encode(SCHEMA, from_json(SCHEMA, _dossier(i)))
            record = OutgoingRecord(inbox, value, f"H24.22-{i:06d}".encode(), envelope.to_headers())
            futures.append(await publisher.enqueue(record))
        await asyncio.gather(*futures)
    path = folder / f"{node}.yaml"
    path.write_text(json.dumps(config))
    process = await _child(path, bootstrap, folder / "sink.log")
    try:
        deadline = time.monotonic() + 600
        while not seen and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        started, cpu, app_cpu = len(seen), _cpu_s(process.pid), _cpu_s()
        while len(seen) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        delivered = len(seen) - started
        CPU_MS.setdefault(name, []).append((_cpu_s(process.pid) - cpu) * 1000 / delivered)
        beside = (_cpu_s() - app_cpu) * 1000 / delivered
        CPU_MS.setdefault(f"agency app beside the {name}", []).append(beside)
    finally:
        process.terminate()
        await process.wait()
    if len(seen) < count:
        raise SystemExit(f"the sink delivered {len(seen)} of {count} records")


async def _sink(
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

    async with http_server(_agency_app(stamps, seen), "127.0.0.1", 0) as server:
        url = f"http://127.0.0.1:{bound_port(server)}"
        bodies = [json.dumps({"data": _dossier(i)}).encode() for i in range(count)]
        headers = {"Content-Type": "application/json", "Idempotency-Key": "x"}
        cpu = _cpu_s()
        bare_http = await _post_all(f"{url}/inbox", bodies, concurrency, headers)
        CPU_MS.setdefault("bare httpx and agency app", []).append((_cpu_s() - cpu) * 1000 / count)
        stamps.clear()
        seen.clear()
        base = {"kind": "http-sink", "name": "sink", "agency": WARD, "url": f"{url}/inbox",
                "max_in_flight": 256, "max_connections": concurrency,
                "max_batch": 2000}  # fmt: skip
        node = f"bench{uuid.uuid4().hex[:6]}"
        await _run_sink(bootstrap, folder, count, base | {"node": node}, seen, "sink")
        single = rate()
        batched = base | {
            "node": f"bench{uuid.uuid4().hex[:6]}",
            "batch": {"url": f"{url}/batch", "max_records": batch_records},
        }
        await _run_sink(bootstrap, folder, count * 5, batched, seen, "batch sink")
        batch = rate()
    return single, bare_http, batch


async def _round(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    """One round: the webhook and its bare endpoint, the sink and bare HTTP, back to back."""
    with tempfile.TemporaryDirectory() as folder:
        webhook = await _webhook(bootstrap, Path(folder), args.requests, args.concurrency)
        bare_webhook = await _bare_webhook(bootstrap, args.requests, args.concurrency)
        sink, bare_http, batch = await _sink(
            bootstrap, Path(folder), args.records, args.concurrency, args.batch_records
        )
    return {"webhook": webhook, "bare webhook": bare_webhook, "sink": sink,
            "bare http": bare_http, "batch": batch}  # fmt: skip


def _report(rounds: list[dict[str, float]], bare: float, batch_records: int) -> None:
    """Each round's rates and ratios, then the medians (of each round's ratio)."""
    for number, r in enumerate(rounds, 1):
        hook, sink = r["webhook"] / r["bare webhook"], r["sink"] / r["bare http"]
        print(
            f"round {number}: webhook {r['webhook']:,.0f} / bare endpoint "
            f"{r['bare webhook']:,.0f} requests/s (ratio {hook:.2f}); sink {r['sink']:,.0f} / "
            f"bare HTTP {r['bare http']:,.0f} records/s (ratio {sink:.2f}); "
            f"batch mode {r['batch']:,.0f} records/s"
        )
    med = {name: statistics.median([r[name] for r in rounds]) for name in rounds[0]}
    hook = statistics.median([r["webhook"] / r["bare webhook"] for r in rounds])
    sink = statistics.median([r["sink"] / r["bare http"] for r in rounds])
    print(f"medians over {len(rounds)} round(s):")
    print(f"bare aiokafka produce, acks=1:               {bare:>9,.0f} records/s")
    print(f"webhook, accepted end to end into Kafka:     {med['webhook']:>9,.0f} requests/s")
    print(f"bare FastAPI endpoint producing to Kafka:    {med['bare webhook']:>9,.0f} requests/s")
    print(f"bare httpx POSTs to the agency app:          {med['bare http']:>9,.0f} requests/s")
    print(f"HTTP sink, inbox to agency app:              {med['sink']:>9,.0f} records/s")
    print(
        f"HTTP sink, batches of {batch_records:>4}:                 {med['batch']:>9,.0f} records/s"
    )
    print(f"ratios: webhook/produce {med['webhook'] / bare:.3f}, "
          f"sink/produce {med['sink'] / bare:.3f}, "
          f"webhook/bare endpoint {hook:.2f} (target >= 0.90), "
          f"sink/bare HTTP {sink:.2f} (target >= 0.90); "
          f"batch mode {med['batch']:,.0f} records/s (target >= 5,000)")  # fmt: skip
    print("CPU ms per request or record (medians): " + ", ".join(
        f"{name} {statistics.median(ms):.3f}" for name, ms in CPU_MS.items()))  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="rounds, ratios' medians reported")
    parser.add_argument("--uvloop", action="store_true", help="uvloop, not asyncio's loop")
    parser.add_argument("--batch-records", type=int, default=100, help="records per batch POST")
    parser.add_argument("--py-spy", type=Path, help="sample the measured processes into DIR")
    args = parser.parse_args()
    if args.py_spy is not None:
        global PROFILES
        PROFILES = args.py_spy
        PROFILES.mkdir(parents=True, exist_ok=True)
    async with bench_broker(bench_settings()) as bootstrap:
        warm = f"bench.warm.{uuid.uuid4().hex[:6]}"
        await ensure_topics(bootstrap, [TopicSpec(warm, PARTITIONS)])
        await _bare_produce(bootstrap, warm, 2000)  # warms the broker up
        bare = await _bare_produce(bootstrap, warm, args.records)
        rounds = [await _round(bootstrap, args) for _ in range(args.rounds)]
    print(f"dossier records, {PARTITIONS} partitions, {args.concurrency} HTTP connections")
    _report(rounds, bare, args.batch_records)


if __name__ == "__main__":
    run_service(main(), use_uvloop="--uvloop" in sys.argv)
