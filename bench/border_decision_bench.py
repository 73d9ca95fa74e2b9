"""CPU time of the border's decision per record, without Kafka.

N document-status records are batch-signed as a link signs them (batches of ``--batch``, the
tree's leaves in the order the link reads them: grouped by partition), then each one is decided
by ``Border._decide`` (verification, dedup, audit entry) in the order the border reads them.
Timed with ``time.process_time`` (a busy neighbour does not move it), best of ``--repeat``, a
fresh border state and root memory each time. ``verify_record`` alone and the link's
``batch_signed_headers`` are printed beside it.

    .venv/bin/python bench/border_decision_bench.py [--records 5000] [--batch 1000]
        [--repeat 5] [--profile]

``--profile`` adds a cProfile of one decision run (read the shares, not the seconds).
``--pool`` adds what verification off the event loop would leave the border's process: each
batch's records sent to a worker process that verifies them (``concurrent.futures``, the way a
process pool would), the verdicts sent back; the border's own CPU for that is printed, to set
against ``verify_record`` alone (the worker's CPU is the worker's core, not the border's).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import pstats
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

from aiokafka.structs import ConsumerRecord
from cputime import best_us  # a sibling script
from federation_setup import (  # a sibling script
    PARTITIONS,
    STATUS,
    status_records,
    trust_store,
    write_registry,
)

from bus.kafka.access import ClusterAccess
from bus.kafka.factory import PLAINTEXT
from gateway.federation.border.admission import Border
from gateway.federation.border.state import BorderState
from gateway.federation.border.verify import Verified, VerifiedRoots, verify_record
from gateway.federation.links.signing import batch_signed_headers
from gateway.federation.trust.signing import NodeSigner, load_private_key
from gateway.federation.trust.store import TrustStore
from schemas.catalog import bundled_catalog
from schemas.topics import border_topic

Record: TypeAlias = ConsumerRecord[bytes, bytes]
DAY = timedelta(days=1)


def _signed_batches(folder: Path, count: int, batch: int) -> tuple[list[Record], float]:
    """``count`` records as they reach B's border from A's link, and the link's signing cost
    in CPU µs a record."""
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    topic = border_topic("b", "a")
    made: list[Record] = []
    outgoing = status_records(count)
    signing = 0.0
    for first in range(0, count, batch):
        chunk = outgoing[first : first + batch]
        # the link reads a batch partition by partition: the tree's leaves in that order
        ordered = sorted(enumerate(chunk), key=lambda pair: (first + pair[0]) % PARTITIONS)
        started = time.process_time()
        signed = batch_signed_headers([(r.headers, r.key, r.value) for _, r in ordered], signer)
        signing += time.process_time() - started
        for (i, r), headers in zip(ordered, signed, strict=True):
            value = r.value or b""
            key = r.key or b""
            partition, offset = (first + i) % PARTITIONS, first + i
            made.append(
                ConsumerRecord(
                    topic,
                    partition,
                    offset,
                    0,
                    0,
                    r.key,
                    r.value,
                    None,
                    len(key),
                    len(value),
                    tuple(headers),
                )
            )
    return made, signing / count * 1e6


def run_border(trust: TrustStore, folder: Path) -> Border:
    signer = NodeSigner("a-1", load_private_key(folder / "a-1.key.pem"))
    metrics = trust.metrics
    return Border(
        "b", ClusterAccess("localhost:1", PLAINTEXT), ["a"], PARTITIONS, trust, lambda: signer,
        bundled_catalog(), lambda: {STATUS}, metrics, DAY, DAY,
    )  # fmt: skip


def _decisions(trust: TrustStore, folder: Path, records: list[Record]) -> Callable[[], int]:
    """One run of the border's decisions over ``records``: the number accepted."""

    def run() -> int:
        border, state, routed = run_border(trust, folder), BorderState(DAY), {STATUS}
        accepted = 0
        for record in records:
            outputs = border._decide(record, state, routed)
            accepted += outputs[0].topic != "lgsp.b.gateway.border-refused"
        return accepted

    return run


def _verifications(trust: TrustStore, records: list[Record]) -> Callable[[], int]:
    registry = trust.registry
    assert registry is not None

    def run() -> int:
        roots, now = VerifiedRoots(), datetime.now(UTC)
        verified = 0
        for r in records:
            outcome = verify_record(registry, "a", r.headers, r.key, r.value, now, DAY, roots)
            verified += isinstance(outcome, Verified)
        return verified

    return run


_Item: TypeAlias = tuple[Sequence[tuple[str, bytes]], bytes | None, bytes | None]
_worker_trust: TrustStore | None = None


def _worker_start(folder: str) -> None:
    global _worker_trust  # one registry per worker process, loaded once
    _worker_trust, _ = asyncio.run(trust_store(Path(folder), "b"))


def _worker_verify(items: list[_Item]) -> list[bool]:
    assert _worker_trust is not None and _worker_trust.registry is not None
    roots, now, registry = VerifiedRoots(), datetime.now(UTC), _worker_trust.registry
    verdicts = (verify_record(registry, "a", h, k, v, now, DAY, roots) for h, k, v in items)
    return [isinstance(verdict, Verified) for verdict in verdicts]


def _pooled(pool: ProcessPoolExecutor, records: list[Record], batch: int) -> Callable[[], int]:
    """The border's side of pooled verification: batches out, verdicts back."""

    def run() -> int:
        verified = 0
        chunks = [records[i : i + batch] for i in range(0, len(records), batch)]
        futures = [
            pool.submit(_worker_verify, [(r.headers, r.key, r.value) for r in chunk])
            for chunk in chunks
        ]
        for future in futures:
            verified += sum(future.result())
        return verified

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pool", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_registry(folder, "Ed25519")
        trust, _ = asyncio.run(trust_store(folder, "b"))
        records, sign_us = _signed_batches(folder, args.records, args.batch)
        decide = _decisions(trust, folder, records)
        decide_us, accepted = best_us(decide, len(records), args.repeat)
        verify_us, verified = best_us(_verifications(trust, records), len(records), args.repeat)
        print(f"{len(records)} records, batches of {args.batch}, best of {args.repeat} (CPU time)")
        print(f"{'border decision (_decide):':40} {decide_us:7.1f} us/record ({accepted} accepted)")
        print(f"{'  verify_record alone:':40} {verify_us:7.1f} us/record ({verified} verified)")
        print(f"{'link signing (batch_signed_headers):':40} {sign_us:7.1f} us/record")
        if args.pool:
            start = functools.partial(_worker_start, str(folder))
            with ProcessPoolExecutor(1, initializer=start) as pool:
                pool.submit(int).result()  # the worker is up before the clock starts
                pool_us, pooled = best_us(
                    _pooled(pool, records, args.batch), len(records), args.repeat
                )
            print(
                f"{'  pooled, the border process side:':40} {pool_us:7.1f} us/record "
                f"({pooled} verified)"
            )
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(decide)
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
