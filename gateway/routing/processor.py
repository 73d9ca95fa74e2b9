"""What the gateway does with one record: route it, hold it, retry it or park it.

No I/O here: the engine hands in the record, the partition's state, the time and which
topics exist, and gets back the records to produce (all inside one transaction) and the
outcome to count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from gateway import errors
from gateway.routing.admission import Admission
from gateway.routing.deliveries import Deliverer, TransformError
from gateway.routing.partition_state import PartitionState
from gateway.routing.records import Incoming, Outcome, Output
from gateway.routing.retry_tiers import RetryTiers
from gateway.routing.table import RouteTable
from schemas.catalog import SchemaCatalog
from schemas.envelope import Envelope
from schemas.errors import ContractError
from schemas.ids.directory import AgencyDirectory
from schemas.parking import ParkInfo, read_park_info, without_park_headers
from schemas.topics import TopicName, parse_topic

Headers = Sequence[tuple[str, bytes]]


class RecordProcessor:
    """Routing, transformation, retry and parking decisions of one node's gateway."""

    def __init__(
        self,
        node: str,
        table: RouteTable,
        tiers: RetryTiers,
        directory: AgencyDirectory,
        catalog: SchemaCatalog,
        *,
        max_record_bytes: int = 1_000_000,
    ) -> None:
        self.node = node
        self.max_record_bytes = max_record_bytes
        self.table = table  # replaced whole on reload; decisions are cached inside it
        self.tiers = tiers
        self.directory = directory
        self.catalog = catalog
        self.deliverer = Deliverer(directory, catalog)
        self.admission = Admission(catalog, directory)
        self._topics: dict[str, tuple[TopicName, int | None]] = {}

    def classify(self, topic: str) -> tuple[TopicName, int | None]:
        """The base topic and the tier index (None for the main topic) of a consumed topic."""
        found = self._topics.get(topic)
        if found is None:
            name = parse_topic(topic)
            found = (name.base, self.tiers.index(name.retry_delay) if name.retry_delay else None)
            self._topics[topic] = found
        return found

    def handle(
        self,
        record: Incoming,
        state: PartitionState,
        now: float,
        topic_exists: Callable[[str], bool],
    ) -> Outcome:
        base, tier = self.classify(record.topic)
        try:
            info = read_park_info(record.headers) if tier is not None else None
        except ContractError as error:  # forged or damaged park headers in a retry tier
            return self._dead(record, base, None, error.code, error.message, None, now, state, tier)
        if info is None:  # not parked by a gateway (written there by hand): a fresh record
            tier = None
        size = _size(record)
        if size > self.max_record_bytes:
            # Producing it would fail every transaction that holds it, for ever: park it, without
            # its value (which would not fit the DLQ either); the original stays in its topic.
            reason = (
                f"record of {size} bytes exceeds the gateway's max_record_bytes "
                f"({self.max_record_bytes}); its value was left at {record.topic} "
                f"partition {record.partition} offset {record.offset}"
            )
            small_headers = size - len(record.value or b"") <= self.max_record_bytes // 2
            return self._dead(
                record,
                base,
                None,
                errors.TOO_LARGE,
                reason,
                info,
                now,
                state,
                tier,
                keep_value=False,
                keep_headers=small_headers,
            )
        if info is not None and info.due_at is not None and info.due_at.timestamp() > now:
            return Outcome("waiting", due_at=info.due_at.timestamp())
        try:
            envelope = Envelope.from_headers(record.headers)
        except ContractError as error:
            return self._dead(record, base, None, error.code, error.message, info, now, state)
        if tier is None:
            if state.seen(envelope.id, now):
                return Outcome("duplicate", event_type=envelope.type, source=envelope.source)
            refused = self.admission.refusal(record)
            if refused is not None:  # breaks a rule of the standards: parked, never routed
                return self._dead(
                    record, base, envelope, refused.code, refused.reason, info, now, state
                )
            hold = state.hold_of(str(base), record.key)
            if hold is not None:
                state.park_in_tier(str(base), record.key, hold.tier, envelope.id)
                return self._to_tier(
                    record, base, envelope, hold.tier, None, now, held_behind=hold.head
                )
        else:
            hold = state.hold_of(str(base), record.key)
            if hold is not None and hold.tier > tier:  # its key's head moved on: follow it
                assert info is not None
                return self._to_tier(
                    record,
                    base,
                    envelope,
                    hold.tier,
                    info,
                    now,
                    held_behind=hold.head,
                    due_now=True,
                )
        return self._route(record, base, tier, envelope, info, state, now, topic_exists)

    def _route(
        self,
        record: Incoming,
        base: TopicName,
        tier: int | None,
        envelope: Envelope,
        info: ParkInfo | None,
        state: PartitionState,
        now: float,
        topic_exists: Callable[[str], bool],
    ) -> Outcome:
        decision = self.table.decide(envelope.type, envelope.source, envelope.recipients)
        if decision.park_code is not None:
            return self._dead(
                record,
                base,
                envelope,
                decision.park_code,
                decision.park_reason or "",
                info,
                now,
                state,
                tier,
            )
        missing = [d.topic for d in decision.deliveries if not topic_exists(d.topic)]
        if missing:
            reason = f"destination topic {missing[0]} does not exist"
            return self._retry(
                record, base, tier, envelope, errors.DESTINATION_MISSING, reason, info, now, state
            )
        try:
            outputs = self.deliverer.outputs(record, envelope, decision, from_main=tier is None)
        except TransformError as failure:
            return self._dead(
                record,
                base,
                envelope,
                errors.TRANSFORM_FAILED,
                str(failure),
                info,
                now,
                state,
                tier,
            )
        state.mark_routed(envelope.id, now)
        if tier is not None:
            state.left_tiers(str(base), record.key)
        return Outcome(
            "routed",
            tuple(outputs),
            event_type=envelope.type,
            source=envelope.source,
            routes=decision.routes,
            sent_at=envelope.time,
            ce_id=envelope.id,
        )

    def _retry(
        self,
        record: Incoming,
        base: TopicName,
        tier: int | None,
        envelope: Envelope,
        code: str,
        reason: str,
        info: ParkInfo | None,
        now: float,
        state: PartitionState,
    ) -> Outcome:
        next_tier = 0 if tier is None else tier + 1
        if next_tier >= len(self.tiers):
            return self._dead(
                record,
                base,
                envelope,
                errors.RETRIES_EXHAUSTED,
                f"{reason} (after {len(self.tiers)} retry tiers)",
                info,
                now,
                state,
                tier,
            )
        if tier is None:
            state.park_in_tier(str(base), record.key, next_tier, envelope.id)
        else:
            state.moved_to_tier(str(base), record.key, next_tier)
        outcome = self._to_tier(
            record, base, envelope, next_tier, info, now, code=code, reason=reason, attempted=True
        )
        return Outcome(
            "retry", outcome.outputs, code, event_type=envelope.type, source=envelope.source
        )

    def _to_tier(
        self,
        record: Incoming,
        base: TopicName,
        envelope: Envelope,
        tier: int,
        info: ParkInfo | None,
        now: float,
        *,
        held_behind: str | None = None,
        due_now: bool = False,
        code: str | None = None,
        reason: str | None = None,
        attempted: bool = False,
    ) -> Outcome:
        instant = datetime.fromtimestamp(now, UTC)
        attempts = (info.attempts if info else 0) + (1 if attempted else 0)
        waits = attempted and not due_now
        park = ParkInfo(
            code=code or (info.code if info else "LGSP-GW-HELD"),
            reason=reason
            or (
                info.reason if info else f"held behind {held_behind}, an earlier record of its key"
            ),
            original_topic=info.original_topic if info else record.topic,
            original_partition=info.original_partition if info else record.partition,
            original_offset=info.original_offset if info else record.offset,
            attempts=attempts,
            first_failure=info.first_failure if info else instant,
            due_at=instant + timedelta(seconds=self.tiers.delay(tier)) if waits else instant,
            held_behind=None
            if attempted
            else (held_behind or (info.held_behind if info else None)),
        )
        output = Output(
            str(base.retry(self.tiers.name(tier))),
            record.key,
            record.value,
            without_park_headers(record.headers) + park.to_headers(),
            partition=record.partition,
        )
        return Outcome(
            "held", (output,), park.code, event_type=envelope.type, source=envelope.source
        )

    def _dead(
        self,
        record: Incoming,
        base: TopicName,
        envelope: Envelope | None,
        code: str,
        reason: str,
        info: ParkInfo | None,
        now: float,
        state: PartitionState,
        tier: int | None = None,
        *,
        keep_value: bool = True,
        keep_headers: bool = True,
    ) -> Outcome:
        instant = datetime.fromtimestamp(now, UTC)
        park = ParkInfo(
            code=code,
            reason=reason,
            original_topic=info.original_topic if info else record.topic,
            original_partition=info.original_partition if info else record.partition,
            original_offset=info.original_offset if info else record.offset,
            attempts=info.attempts if info else 0,
            first_failure=info.first_failure if info else instant,
        )
        if tier is not None:
            state.left_tiers(str(base), record.key)
        output = Output(
            str(base.dlq()),
            record.key,
            record.value if keep_value else None,
            (without_park_headers(record.headers) if keep_headers else []) + park.to_headers(),
        )
        return Outcome(
            "parked",
            (output,),
            code,
            event_type=envelope.type if envelope else "unknown",
            source=envelope.source if envelope else "unknown",
        )


def _size(record: Incoming) -> int:
    """Bytes the record takes in a produce request: key, value and headers."""
    size = len(record.key or b"") + len(record.value or b"")
    for name, value in record.headers:  # a plain loop: twice as fast as sum() over a generator
        size += len(name) + len(value or b"")
    return size
