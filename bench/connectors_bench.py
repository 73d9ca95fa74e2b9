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
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import connectors_common  # a sibling script
from benchbroker import bench_broker, bench_settings  # a sibling script
from connectors_common import CPU_MS, PARTITIONS, bare_produce  # a sibling script
from sink_parts import sink_rates  # a sibling script
from webhook_parts import bare_webhook_rate, webhook_rate  # a sibling script

from bus.eventloop import run_service
from bus.kafka import TopicSpec, ensure_topics


async def _round(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    """One round: the webhook and its bare endpoint, the sink and bare HTTP, back to back."""
    with tempfile.TemporaryDirectory() as folder:
        webhook = await webhook_rate(bootstrap, Path(folder), args.requests, args.concurrency)
        bare_webhook = await bare_webhook_rate(bootstrap, args.requests, args.concurrency)
        sink, bare_http, batch = await sink_rates(
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
        connectors_common.PROFILES = args.py_spy
        args.py_spy.mkdir(parents=True, exist_ok=True)
    async with bench_broker(bench_settings()) as bootstrap:
        warm = f"bench.warm.{uuid.uuid4().hex[:6]}"
        await ensure_topics(bootstrap, [TopicSpec(warm, PARTITIONS)])
        await bare_produce(bootstrap, warm, 2000)  # warms the broker up
        bare = await bare_produce(bootstrap, warm, args.records)
        rounds = [await _round(bootstrap, args) for _ in range(args.rounds)]
    print(f"dossier records, {PARTITIONS} partitions, {args.concurrency} HTTP connections")
    _report(rounds, bare, args.batch_records)


if __name__ == "__main__":
    run_service(main(), use_uvloop="--uvloop" in sys.argv)
