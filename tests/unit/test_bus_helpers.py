"""The shared helpers the components are built from: back-off, declared metrics, park headers,
the ``async with`` lifecycle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from bus.backoff import Backoff, exponential_s
from bus.lifecycle import Closing
from bus.metrics import Metrics, NodeMetrics, counter, gauge, histogram
from schemas.parking import ParkInfo, read_park_info


def test_back_off_doubles_from_its_first_wait_up_to_its_ceiling_and_resets() -> None:
    """0.5, 1, 2, 4, 8, then 10 s at most; a success starts again at the first wait."""
    backoff = Backoff(first_s=0.5, max_s=10.0)
    assert [backoff.next() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    backoff.reset()
    assert backoff.next() == 0.5
    assert exponential_s(1.0, 3, 60.0, multiplier=3.0) == 27.0


class _Example(NodeMetrics):
    sent = counter("lgsp_example_sent_total", "Records sent.", "peer")
    size = gauge("lgsp_example_size", "Size.")
    took = histogram("lgsp_example_seconds", "Time.", buckets=(0.1, 1.0))
    shared = counter("lgsp_example_shared_total", "Across nodes.", "route", prefixed=False)


def test_declared_metrics_register_with_the_node_as_their_first_label() -> None:
    """Each declared metric is registered once on the given registry, ``node`` first (unless
    ``prefixed=False``); ``child`` fills the node in and returns the same series each time."""
    registry = CollectorRegistry()
    metrics = _Example(registry, "hanoi")
    metrics.child(metrics.sent, "danang").inc(2)
    metrics.sent.labels("hanoi", "danang").inc()
    metrics.child(metrics.took).observe(0.5)
    metrics.shared.labels("r1").inc()
    assert metrics.child(metrics.sent, "danang") is metrics.child(metrics.sent, "danang")
    value = registry.get_sample_value
    assert value("lgsp_example_sent_total", {"node": "hanoi", "peer": "danang"}) == 3
    assert value("lgsp_example_seconds_count", {"node": "hanoi"}) == 1
    assert value("lgsp_example_shared_total", {"route": "r1"}) == 1
    _Example(CollectorRegistry(), "danang")  # another registry: no clash with the first


def test_metrics_without_their_first_label_values_are_refused() -> None:
    """A ``Metrics`` class names its first labels; an instance without their values is an error."""

    class _PerConnector(Metrics):
        first_labels = ("connector",)
        seen = counter("lgsp_example_seen_total", "Seen.")

    with pytest.raises(ValueError, match="connector"):
        _PerConnector(CollectorRegistry())
    registry = CollectorRegistry()
    metrics = _PerConnector(registry, "dms")
    metrics.child(metrics.seen).inc()
    assert registry.get_sample_value("lgsp_example_seen_total", {"connector": "dms"}) == 1


class _Record:
    topic, partition, offset = "lgsp.hanoi.dossier.status.v1", 2, 41
    headers = (("ce_id", b"x"), ("lgsp-park-code", b"OLD"), ("lgsp-first-failure", b"bad"))


def test_park_info_of_a_record_parked_again_keeps_its_origin_and_first_failure() -> None:
    """``of_record`` takes the record's place; ``again`` keeps origin and first failure and
    replaces the rest; ``headers_on`` drops older park headers before adding these."""
    first = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    info = ParkInfo.of_record(_Record(), "LGSP-GW-DEST-MISSING", "no topic", at=first)
    again = info.again(reason="", attempts=2, due_at=first)
    assert (again.code, again.reason, again.attempts) == ("LGSP-GW-DEST-MISSING", "", 2)
    assert (again.original_topic, again.original_offset, again.first_failure) == (
        _Record.topic,
        41,
        first,
    )
    headers = again.headers_on(_Record.headers)
    assert headers[0] == ("ce_id", b"x") and read_park_info(headers) == again


def test_leaving_an_async_with_block_closes_once_even_after_an_error() -> None:
    """``Closing.__aexit__`` awaits ``aclose()``, also when the block raised."""
    closed: list[str] = []

    class _Thing(Closing):
        async def __aenter__(self) -> _Thing:
            return self

        async def aclose(self) -> None:
            closed.append("closed")

    async def use() -> None:
        async with _Thing():
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError):
        asyncio.run(use())
    assert closed == ["closed"]
