"""What an audit chain per lane could give the border: N borders, each in its own process.

The border runs its transactions one after the other, because the audit chain is one sequence
(docs/decisions/0004); the way past one border process is a chain per lane (a share of the
inbound partitions), each lane in its own process. Before building that, this bench measures
its bound on this machine: ``--lanes`` independent link + border pairs (A -> B under other
node names, each border in a process of its own, the links in this process as a node's links
are), each carrying its share of the records at the same time, timed from the first record's
arrival on any of them to the last one's. Beside it, in the same round, the bare copy and the
one-border shape (``federation_bench.py``'s "border in own process").

    .venv/bin/python bench/federation_split.py [--records 20000] [--rounds 3] [--lanes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
from pathlib import Path

from benchbroker import bench_settings  # a sibling script
from federation_bench import Contender, bench_round  # a sibling script
from federation_setup import (  # a sibling script
    PARTITIONS,
    STATUS,
    publish,
    running_link,
    spawn_border,
    status_records,
    stop_all,
    timed_arrivals,
)

from bus.gctuning import tune_gc
from bus.kafka import TopicSpec, ensure_topics
from bus.localkafka import local_cluster, stop_cluster
from schemas.topics import border_topic, event_topic, link_topic

APART: Contender = ("apart", "batch", True, None, None)


async def _split(a: str, b: str, folder: Path, count: int, number: int, lanes: int) -> float:
    """Seconds for ``lanes`` link + border pairs to carry ``count`` records between them."""
    records = status_records(count)
    pairs = [(f"a{number}l{i}", f"b{number}l{i}") for i in range(lanes)]
    destinations = [str(event_topic(node_b, STATUS)) for _, node_b in pairs]
    await ensure_topics(a, [TopicSpec(link_topic(*pair), PARTITIONS) for pair in pairs])
    await ensure_topics(
        b,
        [TopicSpec(t, PARTITIONS) for t in destinations]
        + [TopicSpec(border_topic(node_b, node_a), PARTITIONS) for node_a, node_b in pairs],
    )
    for i, pair in enumerate(pairs):
        await publish(a, link_topic(*pair), records[i::lanes])
    async with contextlib.AsyncExitStack() as stack:
        arrivals = await stack.enter_async_context(
            timed_arrivals(b, destinations[0], count, tuple(destinations[1:]))
        )
        processes = []
        for i, pair in enumerate(pairs):
            await stack.enter_async_context(running_link(a, b, folder / f"lane{i}", pair))
            processes.append(spawn_border(b, folder / f"lane{i}", pair))
        try:
            return await arrivals
        finally:
            await stop_all([], processes)


async def main(count: int, rounds: int, lanes: int) -> None:
    tune_gc()
    settings = bench_settings()
    for name in ("bench-a", "bench-b"):
        await stop_cluster(settings, name, purge=True)
    async with local_cluster(settings, "bench-a") as ca, local_cluster(settings, "bench-b") as cb:
        a, b = ca.bootstrap_servers or "", cb.bootstrap_servers or ""
        await bench_round(settings, a, b, min(count, 5000), 0, False, (APART,))  # warm the JIT up
        print(f"records: {count:,} a round, {PARTITIONS} partitions, clusters A -> B on loopback")
        print(f"round  bare copy  one border in own process  {lanes} borders, each in own process")
        results = []
        for number in range(1, rounds + 1):
            rates = await bench_round(settings, a, b, count, number, False, (APART,))
            with tempfile.TemporaryDirectory() as folder:
                rates["split"] = count / await _split(a, b, Path(folder), count, number, lanes)
            results.append(rates)
            print(
                f"{number:>5}  {rates['bare']:>9,.0f}  {rates['apart']:>25,.0f}  "
                f"{rates['split']:>31,.0f}",
                flush=True,
            )

    def median_ratio(label: str) -> float:
        return statistics.median(r[label] / r["bare"] for r in results)

    print(
        f"median ratio to the bare copy: one border in own process {median_ratio('apart'):.2f}, "
        f"{lanes} borders {median_ratio('split'):.2f} (target >= 0.60)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lanes", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.records, args.rounds, args.lanes))
