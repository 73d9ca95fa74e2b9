"""BatchHistogram exports exactly what prometheus_client's Histogram would for the same
values, so dashboards, alert rules and histogram_quantile() read it the same way."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry, Histogram

from bus.batchhistogram import BatchHistogram

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
        if not s.name.endswith("_created")
    }


def test_batch_histogram_exports_the_samples_of_a_client_histogram() -> None:
    """Values on bucket bounds (le is inclusive), between them, above the last, and zero, in
    two label sets and several batches: every _bucket, _count and _sum sample is equal."""
    rng = random.Random(7)
    values = {
        ("hanoi", "vn.gov.dossier.status.v1"): [0.0, 0.01, 0.05, 1.0, 14400.0, 20000.0]
        + [rng.expovariate(0.2) for _ in range(500)],
        ("hanoi", "vn.gov.document.sent.v1"): [rng.uniform(0, 100) for _ in range(300)],
    }
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("lgsp_x_seconds", "x", ["node", "event_type"], BUCKETS, ours)
    client = Histogram(
        "lgsp_x_seconds", "x", ["node", "event_type"], buckets=BUCKETS, registry=theirs
    )
    for labels, series in values.items():
        for start in range(0, len(series), 97):
            batch.observe_many(labels, series[start : start + 97])
        for value in series:
            client.labels(*labels).observe(value)
    expected = _samples(theirs)
    got = _samples(ours)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def test_batch_histogram_refuses_a_wrong_label_count() -> None:
    """A label set of the wrong size is a programming error, said at once."""
    batch = BatchHistogram("lgsp_y_seconds", "y", ["node"], BUCKETS, CollectorRegistry())
    with pytest.raises(ValueError, match="takes labels"):
        batch.observe_many(("hanoi", "extra"), [1.0])
