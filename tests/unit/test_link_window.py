"""The link's window: offsets committed in order, whatever order the peer acknowledges in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.federation.links.window import AckWindow, WindowLimits


def test_a_batch_acknowledged_before_an_older_one_waits_for_it() -> None:
    """Acks 2, 3 then 1 commit nothing, nothing, then everything up to batch 3."""
    window: AckWindow[str] = AckWindow(WindowLimits(max_batches=4))
    first = window.open({"p0": 100, "p1": 50}, 10)
    second = window.open({"p0": 200}, 10)
    third = window.open({"p1": 90}, 10)
    assert window.acknowledged(second) == {}
    assert window.acknowledged(third) == {}
    assert len(window) == 3
    assert window.acknowledged(first) == {"p0": 200, "p1": 90}
    assert len(window) == 0 and window.bytes_in_flight == 0


def test_the_oldest_acknowledged_batch_commits_alone_while_a_younger_one_is_out() -> None:
    """Ack of batch 1 commits its offsets; batch 2 still out keeps its own uncommitted."""
    window: AckWindow[str] = AckWindow()
    first = window.open({"p0": 10}, 5)
    window.open({"p0": 20}, 5)
    assert window.acknowledged(first) == {"p0": 10}
    assert len(window) == 1 and window.bytes_in_flight == 5


def test_the_window_is_full_by_batches_or_by_bytes() -> None:
    """Full at max_batches batches, or once the bytes in flight reach max_bytes."""
    by_count: AckWindow[str] = AckWindow(WindowLimits(max_batches=2, max_bytes=1000))
    by_count.open({"p": 1}, 1)
    assert not by_count.full
    by_count.open({"p": 2}, 1)
    assert by_count.full
    by_bytes: AckWindow[str] = AckWindow(WindowLimits(max_batches=10, max_bytes=100))
    ticket = by_bytes.open({"p": 1}, 100)
    assert by_bytes.full
    by_bytes.acknowledged(ticket)
    assert not by_bytes.full


def test_an_unknown_or_already_committed_ticket_is_an_error() -> None:
    """Acknowledging a ticket twice (or one never opened) raises instead of committing."""
    window: AckWindow[str] = AckWindow()
    ticket = window.open({"p": 1}, 1)
    window.acknowledged(ticket)
    with pytest.raises(KeyError):
        window.acknowledged(ticket)
    with pytest.raises(KeyError):
        window.acknowledged(99)


def test_limits_below_one_are_refused() -> None:
    """A window of no batch or no byte could never send: refused when configured."""
    with pytest.raises(ValueError):
        WindowLimits(max_batches=0)
    with pytest.raises(ValueError):
        WindowLimits(max_bytes=0)


@given(st.permutations(list(range(8))))
def test_commits_only_ever_cover_a_prefix_of_acknowledged_batches(order: list[int]) -> None:
    """In any ack order, each commit is the offsets of the longest acknowledged prefix."""
    window: AckWindow[str] = AckWindow(WindowLimits(max_batches=8))
    tickets = [window.open({"p": (i + 1) * 10}, 1) for i in range(8)]
    acked: set[int] = set()
    committed = 0
    for index in order:
        acked.add(index)
        got = window.acknowledged(tickets[index])
        prefix = 0
        while prefix in acked:
            prefix += 1
        if prefix * 10 > committed:
            assert got == {"p": prefix * 10}
            committed = prefix * 10
        else:
            assert got == {}
    assert committed == 80
