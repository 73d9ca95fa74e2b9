"""Signing and verifying alone, per record, for Ed25519 and ECDSA P-256: the federation
bench's crypto figures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from federation_setup import status_records, write_registry  # a sibling script

from gateway.federation.border.verify import VerifiedRoots, verify_record
from gateway.federation.links.signing import batch_signed_headers, signed_headers
from gateway.federation.trust.registry import (
    open_registry,
)
from gateway.federation.trust.signing import (
    Algorithm,
    NodeSigner,
    load_private_key,
    load_public_key,
)


def crypto_costs(folder: Path, rounds: int = 2000) -> dict[str, tuple[float, float, float]]:
    """CPU time per record (so a busy neighbour does not move it): sign, verify alone; and
    both for a batch of 1,000 signed as one tree and verified at a border (one signature
    check, 1,000 proofs)."""
    costs: dict[str, tuple[float, float, float]] = {}
    records = status_records(1000)
    record = records[0]
    algorithms: tuple[Algorithm, ...] = ("Ed25519", "ECDSA-P256-SHA256")
    for algorithm in algorithms:
        sub = folder / algorithm
        registry_file = write_registry(sub, algorithm)
        trusted = open_registry(
            registry_file.read_bytes(),
            {"anchor": load_public_key((sub / "anchor.pub.pem").read_text())},
        )
        signer = NodeSigner("a-1", load_private_key(sub / "a-1.key.pem"))
        started = time.process_time()
        for _ in range(rounds):
            headers = signed_headers(record.headers, record.key, record.value, signer)
        sign_us = (time.process_time() - started) / rounds * 1e6
        now = datetime.now(UTC)
        started = time.process_time()
        for _ in range(rounds):
            verify_record(trusted, "a", headers, record.key, record.value, now, timedelta(days=1))
        verify_us = (time.process_time() - started) / rounds * 1e6
        started = time.process_time()
        signed = batch_signed_headers([(r.headers, r.key, r.value) for r in records], signer)
        roots = VerifiedRoots()
        for r, h in zip(records, signed, strict=True):
            verify_record(trusted, "a", h, r.key, r.value, now, timedelta(days=1), roots)
        batch_us = (time.process_time() - started) / len(records) * 1e6
        costs[algorithm] = (sign_us, verify_us, batch_us)
    return costs
