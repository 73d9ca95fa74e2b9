"""What the gateway does with one record: route it, hold it, retry it or park it.

No I/O here: the runtime hands in the record, the partition's state, the time and which
topics exist, and gets back an ``Outcome``: what happened (an ``OutcomeKind``) and the records
to produce (all inside one transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from gateway import errors
from gateway.errors import TransformError
from gateway.routing.admission import Admission
from gateway.routing.deliveries import Deliverer
from gateway.routing.partition_state import PartitionState
from gateway.routing.records import Incoming, Outcome, OutcomeKind, Output
from gateway.routing.retry_tiers import RetryTiers
from gateway.routing.table import RouteTable
from schemas.catalog import SchemaCatalog
from schemas.envelope import Envelope
from schemas.errors import ContractError
from schemas.ids.directory import AgencyDirectory
from schemas.parking import ParkInfo, read_park_info
from schemas.topics import TopicName, parse_topic

Headers = Sequence[tuple[str, bytes]]
HELD_CODE = "LGSP-GW-HELD"


class Consumed(NamedTuple):
    """One consumed record and what is known of it: the context every outcome is built from
    (where it came from, the tier it was read from, what parked it before, when, its state)."""

    record: Incoming
    base: TopicName
    tier: int | None  # the retry tier it was read from; None: the main topic
    info: ParkInfo | None  # its park headers; None: never parked by a gateway
    now: float
    state: PartitionState

    def park(
        self,
        code: str | None,
        reason: str | None,
        *,
        attempts: int = 0,
        due_at: datetime | None = None,
        held_behind: str | None = None,
    ) -> ParkInfo:
        """Its park headers: the ones it had, parked again, or new ones (``attempts`` more)."""
        if self.info is not None:
            return self.info.again(
                code,
                reason,
                attempts=self.info.attempts + attempts,
                due_at=due_at,
                held_behind=held_behind,
            )
        return ParkInfo.of_record(
            self.record,
            HELD_CODE if code is None else code,
            "" if reason is None else reason,
            at=datetime.fromtimestamp(self.now, UTC),
            attempts=attempts,
            due_at=due_at,
            held_behind=held_behind,
        )


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
        self._topics: dict[str, tuple[TopicName, int | None, str]] = {}

    def classify(self, topic: str) -> tuple[TopicName, int | None]:
        """The base topic and the tier index (None for the main topic) of a consumed topic."""
        base, tier, _ = self._classified(topic)
        return base, tier

    def _classified(self, topic: str) -> tuple[TopicName, int | None, str]:
        """``classify``, and the base topic's name (held keys are kept by it), learnt once."""
        found = self._topics.get(topic)
        if found is None:
            name = parse_topic(topic)
            tier = self.tiers.index(name.retry_delay) if name.retry_delay else None
            found = self._topics[topic] = (name.base, tier, str(name.base))
        return found

    def handle(
        self,
        record: Incoming,
        state: PartitionState,
        now: float,
        topic_exists: Callable[[str], bool],
    ) -> Outcome:
        base, tier, base_name = self._classified(record.topic)
        try:
            info = read_park_info(record.headers) if tier is not None else None
        except ContractError as error:  # forged or damaged park headers in a retry tier
            return self._dead(Consumed(record, base, tier, None, now, state), None, error)
        if info is None:  # not parked by a gateway (written there by hand): a fresh record
            tier = None
        consumed = Consumed(record, base, tier, info, now, state)
        size = _size(record)
        if size > self.max_record_bytes:
            return self._too_large(consumed, size)
        if info is not None and info.due_at is not None and info.due_at.timestamp() > now:
            return Outcome(OutcomeKind.WAITING, due_at=info.due_at.timestamp())
        try:
            envelope = Envelope.from_headers(record.headers)
        except ContractError as error:
            # as before: parked without releasing its key's hold in the tiers (tier left out)
            return self._dead(consumed._replace(tier=None), None, error)
        hold = state.hold_of(base_name, record.key)
        if tier is None:
            if state.seen(envelope.id, now):
                return Outcome(
                    OutcomeKind.DUPLICATE, event_type=envelope.type, source=envelope.source
                )
            refused = self.admission.refusal(record)
            if refused is not None:  # breaks a rule of the standards: parked, never routed
                return self._dead(consumed, envelope, (refused.code, refused.reason))
            if hold is not None:
                state.park_in_tier(base_name, record.key, hold.tier, envelope.id)
                return self._to_tier(consumed, envelope, hold.tier, held_behind=hold.head)
        elif hold is not None and hold.tier > tier:  # its key's head moved on: follow it
            return self._to_tier(consumed, envelope, hold.tier, held_behind=hold.head)
        return self._route(consumed, envelope, topic_exists)

    def _route(
        self, consumed: Consumed, envelope: Envelope, topic_exists: Callable[[str], bool]
    ) -> Outcome:
        decision = self.table.decide(envelope.type, envelope.source, envelope.recipients)
        if decision.park_code is not None:
            return self._dead(consumed, envelope, (decision.park_code, decision.park_reason or ""))
        missing = [d.topic for d in decision.deliveries if not topic_exists(d.topic)]
        if missing:
            reason = f"destination topic {missing[0]} does not exist"
            return self._retry(consumed, envelope, errors.DESTINATION_MISSING, reason)
        record, tier = consumed.record, consumed.tier
        try:
            outputs = self.deliverer.outputs(record, envelope, decision, from_main=tier is None)
        except TransformError as failure:
            return self._dead(consumed, envelope, failure)
        consumed.state.mark_routed(envelope.id, consumed.now)
        if tier is not None:
            consumed.state.left_tiers(str(consumed.base), record.key)
        return Outcome(
            OutcomeKind.ROUTED,
            tuple(outputs),
            event_type=envelope.type,
            source=envelope.source,
            routes=decision.routes,
            sent_at=envelope.time,
            ce_id=envelope.id,
            deliveries=decision.log_text,
        )

    def _retry(self, consumed: Consumed, envelope: Envelope, code: str, reason: str) -> Outcome:
        tier, key = consumed.tier, consumed.record.key
        next_tier = 0 if tier is None else tier + 1
        if next_tier >= len(self.tiers):
            exhausted = f"{reason} (after {len(self.tiers)} retry tiers)"
            return self._dead(consumed, envelope, (errors.RETRIES_EXHAUSTED, exhausted))
        if tier is None:
            consumed.state.park_in_tier(str(consumed.base), key, next_tier, envelope.id)
        else:
            consumed.state.moved_to_tier(str(consumed.base), key, next_tier)
        outcome = self._to_tier(consumed, envelope, next_tier, failure=(code, reason))
        return Outcome(
            OutcomeKind.RETRY,
            outcome.outputs,
            code,
            event_type=envelope.type,
            source=envelope.source,
        )

    def _to_tier(
        self,
        consumed: Consumed,
        envelope: Envelope,
        tier: int,
        *,
        held_behind: str | None = None,
        failure: tuple[str, str] | None = None,
    ) -> Outcome:
        """To a retry tier: after a ``failure`` (one more attempt, due after the tier's delay),
        or held behind an earlier record of its key (due at once: it waits for its key's head,
        not for a delay)."""
        instant = datetime.fromtimestamp(consumed.now, UTC)
        info, record = consumed.info, consumed.record
        if failure is not None:
            due_at = instant + timedelta(seconds=self.tiers.delay(tier))
            park = consumed.park(*failure, attempts=1, due_at=due_at)
        else:
            held = held_behind or (info.held_behind if info else None)
            why = None if info else f"held behind {held_behind}, an earlier record of its key"
            park = consumed.park(None, why, due_at=instant, held_behind=held)
        output = Output(
            str(consumed.base.retry(self.tiers.name(tier))),
            record.key,
            record.value,
            park.headers_on(record.headers),
            partition=record.partition,
        )
        return Outcome(
            OutcomeKind.HELD,
            (output,),
            park.code,
            event_type=envelope.type,
            source=envelope.source,
        )

    def _too_large(self, consumed: Consumed, size: int) -> Outcome:
        """Producing it would fail every transaction that holds it, for ever: park it without
        its value (which would not fit the DLQ either); the original stays in its topic."""
        record = consumed.record
        reason = (
            f"record of {size} bytes exceeds the gateway's max_record_bytes "
            f"({self.max_record_bytes}); its value was left at {record.topic} "
            f"partition {record.partition} offset {record.offset}"
        )
        small_headers = size - len(record.value or b"") <= self.max_record_bytes // 2
        return self._dead(
            consumed,
            None,
            (errors.TOO_LARGE, reason),
            keep_value=False,
            keep_headers=small_headers,
        )

    def _dead(
        self,
        consumed: Consumed,
        envelope: Envelope | None,
        why: ContractError | TransformError | tuple[str, str],
        *,
        keep_value: bool = True,
        keep_headers: bool = True,
    ) -> Outcome:
        """To the dead letters, with ``why`` (an error, or a code and a reason)."""
        code, reason = why if isinstance(why, tuple) else (why.code, why.message)
        park = consumed.park(code, reason)
        record = consumed.record
        if consumed.tier is not None:
            consumed.state.left_tiers(str(consumed.base), record.key)
        headers = park.headers_on(record.headers) if keep_headers else park.to_headers()
        output = Output(
            str(consumed.base.dlq()), record.key, record.value if keep_value else None, headers
        )
        return Outcome(
            OutcomeKind.PARKED,
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
