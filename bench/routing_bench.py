"""CPU time of the gateway's routing decision per record, without Kafka.

N dossier records, as the gateway bench publishes them (stamped by the connector SDK, one
route to the portal), are decided by ``RecordProcessor.handle`` on a fresh partition state,
timed with ``time.process_time`` (a busy neighbour does not move it), best of ``--repeat``.
Beside it, in the same run: ``Envelope.from_headers`` alone (the envelope every record's
decision reads) and a bare loop that only sums each record's header bytes, the least any
per-record work costs. ``bench/gateway_bench.py`` measures the whole gateway against bare
aiokafka; this isolates the part that is ours.

    .venv/bin/python bench/routing_bench.py [--records 30000] [--repeat 5] [--profile]

``--profile`` adds a cProfile of one run (read the shares, not the seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from cputime import best_us  # a sibling script
from gateway_bench import PARTITIONS, ROUTES, _records  # a sibling script

from bus.gctuning import tune_gc
from gateway.config import load_gateway_config, load_route_table
from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.records import OutcomeKind
from gateway.routing.retry_tiers import RetryTiers
from schemas.catalog import bundled_catalog
from schemas.envelope import Envelope

Records = list[ConsumerRecord[bytes, bytes]]


def _processor(node: str) -> RecordProcessor:
    folder = Path(tempfile.mkdtemp())
    (folder / "routes.yaml").write_text(ROUTES.format(node=node))
    (folder / "node.yaml").write_text(json.dumps({"node": node, "partitions": PARTITIONS}))
    config = load_gateway_config(folder / "node.yaml")
    catalog, directory = bundled_catalog(), config.load_directory()
    table = load_route_table(config, directory, catalog)
    tiers = RetryTiers(config.retry_tiers)
    return RecordProcessor(
        node, table, tiers, directory, catalog, max_record_bytes=config.max_record_bytes
    )


def _consumed(node: str, count: int) -> Records:
    topic = f"lgsp.{node}.dossier.status.v1"
    return [
        ConsumerRecord(topic, 0, i, 0, 0, r.key, r.value, None, 0, 0, list(r.headers))
        for i, r in enumerate(_records(count))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    tune_gc()  # as `lgsp gateway run` does
    node = "benchrouting"
    processor, records = _processor(node), _consumed(node, args.records)
    now = time.time()

    def decide() -> None:
        state = PartitionState(600.0)
        for record in records:
            outcome = processor.handle(record, state, now, lambda _topic: True)
            if outcome.kind is not OutcomeKind.ROUTED:
                raise SystemExit(f"record {record.offset} was {outcome.kind}, not routed")

    def envelopes() -> None:
        for record in records:
            Envelope.from_headers(record.headers)

    def header_bytes() -> None:
        for record in records:
            size = 0
            for name, value in record.headers:
                size += len(name) + len(value)

    routing = best_us(decide, args.records, args.repeat)[0]
    envelope = best_us(envelopes, args.records, args.repeat)[0]
    bare = best_us(header_bytes, args.records, args.repeat)[0]
    print(f"{args.records} dossier records, CPU per record, best of {args.repeat}:")
    print(f"  routing decision (RecordProcessor.handle): {routing:6.2f} us")
    print(f"  of which at least the envelope parse:      {envelope:6.2f} us")
    print(f"  bare loop over the headers:                {bare:6.2f} us")
    print(f"  routing / envelope parse: {routing / envelope:.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(decide)
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
