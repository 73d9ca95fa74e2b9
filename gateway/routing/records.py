"""The per-record values of the gateway: what it reads, what it produces, what happened.

``Output`` and ``Outcome`` are NamedTuples: immutable like the project's frozen dataclasses,
and several times cheaper to build, which the per-record hot path needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol


class Incoming(Protocol):
    """A consumed record, as the processor reads it (aiokafka's ConsumerRecord fits)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes | None: ...

    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


class Output(NamedTuple):
    """A record to produce in the same transaction as the consumed offset."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    partition: int | None = None


class OutcomeKind(StrEnum):
    """What the gateway did with one record (the values are the metric and log words)."""

    ROUTED = "routed"  # delivered to every destination of its routes
    RETRY = "retry"  # sent to the next retry tier after a retriable failure
    HELD = "held"  # sent to a retry tier behind an earlier record of its key
    PARKED = "parked"  # dead-lettered with a code
    DUPLICATE = "duplicate"  # already routed (same ce_id): dropped
    WAITING = "waiting"  # a retry tier's head, not due yet: consumed again when it is


class Outcome(NamedTuple):
    """What happened to a record, the records it produces, and what the metrics count of it."""

    kind: OutcomeKind
    outputs: tuple[Output, ...] = ()
    code: str | None = None
    due_at: float | None = None
    event_type: str = "unknown"
    source: str = "unknown"
    routes: tuple[str, ...] = ()
    sent_at: datetime | None = None
    ce_id: str | None = None
    deliveries: str = ""  # a routed record's deliveries, as the route log writes them
