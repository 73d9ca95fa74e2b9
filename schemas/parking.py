"""Headers of parked records (retry tiers and dead letters), written and read in one place: the
convention every component that parks a record follows (gateway tiers and DLQs, sink DLQs).

Every parked record keeps its value, key and CloudEvents headers, and carries:

    lgsp-park-code        stable error code, e.g. LGSP-GW-FORBIDDEN
    lgsp-park-reason      the reason in words
    lgsp-original-topic   where the record first entered the gateway
    lgsp-original-partition, lgsp-original-offset
    lgsp-attempts         delivery attempts made so far (also ce_attempt)
    lgsp-first-failure    when it was first parked (RFC 3339)
    lgsp-due-at           retry tiers: when it may be tried again (RFC 3339)
    lgsp-held-behind      set when it waits behind an earlier record of its key
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from schemas.envelope import format_time, parse_time
from schemas.errors import ContractError

Headers = Sequence[tuple[str, bytes]]
_PREFIX = "lgsp-"
_OWN = (
    "lgsp-park-code",
    "lgsp-park-reason",
    "lgsp-original-topic",
    "lgsp-original-partition",
    "lgsp-original-offset",
    "lgsp-attempts",
    "lgsp-first-failure",
    "lgsp-due-at",
    "lgsp-held-behind",
    "ce_attempt",
)


class Located(Protocol):
    """Where a consumed record was read (aiokafka's ConsumerRecord fits)."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ParkInfo:
    """What the park headers of a record say."""

    code: str
    reason: str
    original_topic: str
    original_partition: int
    original_offset: int
    attempts: int
    first_failure: datetime
    due_at: datetime | None = None
    held_behind: str | None = None

    @classmethod
    def first(
        cls,
        code: str,
        reason: str,
        *,
        topic: str,
        partition: int,
        offset: int,
        at: datetime,
        attempts: int = 0,
        due_at: datetime | None = None,
        held_behind: str | None = None,
    ) -> ParkInfo:
        """A record parked for the first time: it came from ``topic``/``partition``/``offset``
        and first failed ``at``."""
        return cls(code, reason, topic, partition, offset, attempts, at, due_at, held_behind)

    @classmethod
    def of_record(
        cls,
        record: Located,
        code: str,
        reason: str,
        *,
        at: datetime | None = None,
        attempts: int = 0,
        due_at: datetime | None = None,
        held_behind: str | None = None,
    ) -> ParkInfo:
        """A consumed record parked for the first time, ``at`` (default: now)."""
        return cls(
            code,
            reason,
            record.topic,
            record.partition,
            record.offset,
            attempts,
            at or datetime.now(UTC),
            due_at,
            held_behind,
        )

    def again(
        self,
        code: str | None = None,
        reason: str | None = None,
        *,
        attempts: int | None = None,
        due_at: datetime | None = None,
        held_behind: str | None = None,
    ) -> ParkInfo:
        """The same record parked again: its origin and first failure kept, the rest new
        (code and reason kept unless given)."""
        return ParkInfo(
            self.code if code is None else code,
            self.reason if reason is None else reason,
            self.original_topic,
            self.original_partition,
            self.original_offset,
            self.attempts if attempts is None else attempts,
            self.first_failure,
            due_at,
            held_behind,
        )

    def headers_on(self, headers: Headers) -> list[tuple[str, bytes]]:
        """A record's headers once parked with this: its own (older park headers removed),
        then these park headers."""
        return without_park_headers(headers) + self.to_headers()

    def to_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("lgsp-park-code", self.code),
            ("lgsp-park-reason", self.reason),
            ("lgsp-original-topic", self.original_topic),
            ("lgsp-original-partition", str(self.original_partition)),
            ("lgsp-original-offset", str(self.original_offset)),
            ("lgsp-attempts", str(self.attempts)),
            ("lgsp-first-failure", format_time(self.first_failure)),
        ]
        if self.due_at is not None:
            headers.append(("lgsp-due-at", format_time(self.due_at)))
        if self.held_behind is not None:
            headers.append(("lgsp-held-behind", self.held_behind))
        if self.attempts:
            headers.append(("ce_attempt", str(self.attempts)))
        return [(name, value.encode()) for name, value in headers]


class ParkHeaderError(ContractError):
    """Park headers that do not parse (a number or time that is not one)."""

    code = "LGSP-PARK-INVALID"


def read_park_info(headers: Headers) -> ParkInfo | None:
    """The park headers of a record, or None if it was never parked.

    Raises ``ParkHeaderError`` (LGSP-PARK-INVALID) when they are present but malformed.
    """
    values = {k: (v or b"").decode("utf-8", "replace") for k, v in headers if k.startswith(_PREFIX)}
    if "lgsp-park-code" not in values:
        return None
    try:
        return _park_info(values)
    except (ValueError, ContractError) as error:
        raise ParkHeaderError(f"malformed park headers: {error}") from error


def _park_info(values: dict[str, str]) -> ParkInfo:
    due = values.get("lgsp-due-at")
    return ParkInfo(
        code=values["lgsp-park-code"],
        reason=values.get("lgsp-park-reason", ""),
        original_topic=values.get("lgsp-original-topic", ""),
        original_partition=int(values.get("lgsp-original-partition", "-1")),
        original_offset=int(values.get("lgsp-original-offset", "-1")),
        attempts=int(values.get("lgsp-attempts", "0")),
        first_failure=parse_time(values["lgsp-first-failure"])
        if "lgsp-first-failure" in values
        else datetime.now(UTC),
        due_at=parse_time(due) if due else None,
        held_behind=values.get("lgsp-held-behind"),
    )


def without_park_headers(headers: Headers) -> list[tuple[str, bytes]]:
    """The record's own headers, park headers removed (before parking again or redriving)."""
    return [(k, v) for k, v in headers if k not in _OWN]
