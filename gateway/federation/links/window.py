"""Which source offsets a link may commit while several batches are in flight to its peer.

Pure: a link opens a ticket per forwarded batch (the positions after it and its size), marks
tickets acknowledged as the peer's brokers answer them, in any order, and gets back the
offsets it may commit: those of the longest run of acknowledged batches from the oldest on.
A batch acknowledged before an older one waits for it, so a commit never covers a record the
peer has not stored (a crash resends from the last commit; the border drops the copies).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")  # a partition (aiokafka's TopicPartition at run time)


@dataclass(frozen=True, slots=True)
class WindowLimits:
    """How much a link keeps in flight to its peer: batches and bytes (whichever is first)."""

    max_batches: int = 4
    max_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_batches < 1 or self.max_bytes < 1:
            raise ValueError("a link's window holds at least one batch and one byte")


@dataclass(slots=True)
class _Pending(Generic[P]):
    positions: Mapping[P, int]
    size: int
    acked: bool = False


class AckWindow(Generic[P]):
    """Batches sent and not yet committed, oldest first."""

    def __init__(self, limits: WindowLimits | None = None) -> None:
        self.limits = limits or WindowLimits()
        self._pending: OrderedDict[int, _Pending[P]] = OrderedDict()
        self._next = 0
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._pending)

    @property
    def bytes_in_flight(self) -> int:
        return self._bytes

    @property
    def full(self) -> bool:
        """True when another batch must wait for an acknowledgement first."""
        return len(self._pending) >= self.limits.max_batches or self._bytes >= self.limits.max_bytes

    def open(self, positions: Mapping[P, int], size: int) -> int:
        """A ticket for a batch just sent; ``positions``: each partition's next offset after it."""
        ticket = self._next
        self._next += 1
        self._pending[ticket] = _Pending(dict(positions), size)
        self._bytes += size
        return ticket

    def acknowledged(self, ticket: int) -> dict[P, int]:
        """Mark ``ticket`` stored by the peer; the offsets now safe to commit (maybe none)."""
        pending = self._pending.get(ticket)
        if pending is None:
            raise KeyError(f"ticket {ticket} is not in flight")
        pending.acked = True
        committable: dict[P, int] = {}
        while self._pending:
            oldest_ticket, oldest = next(iter(self._pending.items()))
            if not oldest.acked:
                break
            del self._pending[oldest_ticket]
            self._bytes -= oldest.size
            committable.update(oldest.positions)
        return committable
