"""Federation throughput across one link, and the cost of signing and verifying.

Two local clusters (A and B). N document-status records wait in A's outbox for B; the time to
drain them onto B is measured for (1) a bare aiokafka consume-produce copy between the two
clusters (read_committed, idempotent acks=all, offsets committed per batch: the link's delivery
settings without signatures) and (2) the link (signing every record) with B's border behind it
(verifying, dedup, audit chain, receipts off, one transaction per batch), in the same run.
Signing and verifying are also timed alone per record, for Ed25519 and ECDSA P-256.

    .venv/bin/python bench/federation_bench.py [--records 20000] [--no-mm2] [--ablation]

``--ablation`` adds two batch-signed contenders that show what each part of the pipelining
gives: a window of one batch with one border transaction per fetched batch (the shape before
docs/decisions/0004), then the window of four alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from benchbroker import bench_settings  # a sibling script
from federation_contenders import (  # a sibling script
    bare_copy,
    link_and_border,
    mirror_maker_copy,
    pull_copy,
)
from federation_crypto import crypto_costs  # a sibling script
from federation_setup import PARTITIONS, publish, status_records, timed_arrivals  # a sibling script
from mirrormaker import mirror_maker_jars  # a sibling script

from bus.gctuning import tune_gc
from bus.kafka import TopicSpec, ensure_topics
from bus.localkafka import local_cluster, stop_cluster
from bus.settings import Settings
from gateway.federation.border.admission import TransactionLimits
from gateway.federation.config import SigningMode
from gateway.federation.links.window import WindowLimits
from schemas.topics import border_topic, link_topic

Contender = tuple[str, SigningMode, bool, WindowLimits | None, TransactionLimits | None]
CONTENDERS: tuple[Contender, ...] = (
    ("batch", "batch", False, None, None),
    ("record", "record", False, None, None),
    ("apart", "batch", True, None, None),
)
# what each change gives, batch-signed in one process: a window of one batch and one
# transaction per fetched batch (the shape before the pipelining), then the window alone
ABLATION: tuple[Contender, ...] = (
    ("w1-t1", "batch", False, WindowLimits(max_batches=1), TransactionLimits(max_seconds=0)),
    ("w4-t1", "batch", False, WindowLimits(max_batches=4), TransactionLimits(max_seconds=0)),
)


async def bench_round(
    settings: Settings,
    a: str,
    b: str,
    count: int,
    number: int,
    with_mm2: bool,
    contenders: tuple[Contender, ...] = CONTENDERS,
    pull: bool = False,
) -> dict[str, float]:
    """One round of every contender on fresh topics, in records/s."""
    records = status_records(count)
    names = {c[0]: (f"a{number}{c[0][:2]}", f"b{number}{c[0][:2]}") for c in contenders}
    outboxes = {label: link_topic(*n) for label, n in names.items()}
    bare_target = f"bare-copy-{number}"
    await ensure_topics(a, [TopicSpec(t, PARTITIONS) for t in outboxes.values()])
    await ensure_topics(
        b,
        [
            TopicSpec(bare_target, PARTITIONS),
            *(TopicSpec(border_topic(n[1], n[0]), PARTITIONS) for n in names.values()),
        ],
    )
    for outbox in outboxes.values():
        await publish(a, outbox, records)
    first_outbox = next(iter(outboxes.values()))
    async with timed_arrivals(b, bare_target, count) as arrivals:
        await bare_copy(a, first_outbox, b, bare_target, count)
        rates = {"bare": count / await arrivals}
    with tempfile.TemporaryDirectory() as folder:
        for label, signing, apart, window, limits in contenders:
            seconds = await link_and_border(
                a,
                b,
                Path(folder) / label,
                count,
                signing,
                names[label],
                apart=apart,
                window=window,
                limits=limits,
            )
            rates[label] = count / seconds
        if pull:
            for label, apart in (("pull", False), ("pull-apart", True)):
                seconds = await pull_copy(
                    a,
                    b,
                    Path(folder) / label,
                    count,
                    (f"a{number}{label[-2:]}", f"b{number}{label[-2:]}"),
                    apart=apart,
                )
                rates[label] = count / seconds
    if with_mm2:
        rates["mm2"] = count / await mirror_maker_copy(settings, a, b, first_outbox, count)
    return rates


async def main(
    count: int, rounds: int, with_mm2: bool, ablation: bool = False, pull: bool = False
) -> None:
    tune_gc()  # as `lgsp gateway run` does
    settings = bench_settings()
    for name in ("bench-a", "bench-b"):
        await stop_cluster(settings, name, purge=True)
    if with_mm2:
        await mirror_maker_jars(settings)
    async with local_cluster(settings, "bench-a") as ca, local_cluster(settings, "bench-b") as cb:
        a, b = ca.bootstrap_servers or "", cb.bootstrap_servers or ""
        contenders = CONTENDERS + ABLATION if ablation else CONTENDERS
        await bench_round(settings, a, b, min(count, 5000), 0, False)  # warm both brokers' JIT up
        print(f"records: {count:,} a round, {PARTITIONS} partitions, clusters A -> B on loopback")
        print(
            "round  bare copy  link+border: batch-signed  per-record-signed"
            "  batch, border in own process  MirrorMaker 2"
            + ("  window 1, txn per batch  window 4, txn per batch" if ablation else "")
            + ("  pull: border reads A  pull, border in own process" if pull else "")
        )
        results = []
        for number in range(1, rounds + 1):
            rates = await bench_round(settings, a, b, count, number, with_mm2, contenders, pull)
            results.append(rates)
            mm2 = f"{rates['mm2']:>13,.0f}" if with_mm2 else "            -"
            extra = f"  {rates['w1-t1']:>23,.0f}  {rates['w4-t1']:>23,.0f}" if ablation else ""
            if pull:
                extra += f"  {rates['pull']:>20,.0f}  {rates['pull-apart']:>29,.0f}"
            print(
                f"{number:>5}  {rates['bare']:>9,.0f}  {rates['batch']:>25,.0f}  "
                f"{rates['record']:>17,.0f}  {rates['apart']:>29,.0f}  {mm2}{extra}",
                flush=True,
            )
    with tempfile.TemporaryDirectory() as folder:
        costs = crypto_costs(Path(folder))

    def median_ratio(label: str, to: str) -> float:
        return statistics.median(r[label] / r[to] for r in results)

    print(
        f"median ratio to the bare copy: batch-signed {median_ratio('batch', 'bare'):.2f} "
        f"(target >= 0.60), per-record-signed {median_ratio('record', 'bare'):.2f}, "
        f"batch-signed with the border in its own process {median_ratio('apart', 'bare'):.2f}"
    )
    if with_mm2:
        print(
            f"median ratio to MirrorMaker 2: batch-signed {median_ratio('batch', 'mm2'):.2f}, "
            f"border in own process {median_ratio('apart', 'mm2'):.2f}, "
            f"bare copy {median_ratio('bare', 'mm2'):.2f}"
        )
    if ablation:
        print(
            f"median ratio to the bare copy, batch-signed: window 1 and a transaction per batch "
            f"{median_ratio('w1-t1', 'bare'):.2f}, window 4 and a transaction per batch "
            f"{median_ratio('w4-t1', 'bare'):.2f}, both changes {median_ratio('batch', 'bare'):.2f}"
        )
    if pull:
        print(
            f"median ratio to the bare copy, records signed in A's outbox: the border reading A "
            f"{median_ratio('pull', 'bare'):.2f}, in its own process "
            f"{median_ratio('pull-apart', 'bare'):.2f}"
        )
    for algorithm, (sign_us, verify_us, batch_us) in costs.items():
        print(
            f"{algorithm:18}: per record: sign {sign_us:6.1f} us, verify {verify_us:6.1f} us; "
            f"batch of 1,000 signed and verified: {batch_us:5.1f} us a record"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-mm2", action="store_true", help="leave MirrorMaker 2 out")
    parser.add_argument(
        "--ablation",
        action="store_true",
        help="also a window of 1 batch and a transaction per batch, then the window alone",
    )
    parser.add_argument(
        "--pull",
        action="store_true",
        help="also the border reading A's outbox itself, records signed there (federation_pull)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.records, args.rounds, not args.no_mm2, args.ablation, args.pull))
