"""Turning an agency's JSON into a bus record (envelope, Avro value, business key), and
records that cannot be used into parked ones. Shared by every source and the webhook."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.kafka import OutgoingRecord
from connectors.topics import connector_dlq_topic
from schemas.catalog import SchemaVersion
from schemas.codec import AvroCodec
from schemas.envelope import Envelope
from schemas.ids.agency import AgencyCode
from schemas.ids.directory import AgencyDirectory
from schemas.jsonform import from_json
from schemas.parking import ParkInfo, without_park_headers
from schemas.topics import event_topic
from schemas.validation import (
    VALIDATED_HEADER,
    ValidationError,
    check,
    json_depth_violation,
    ruleset_id,
)

# ce_id of a re-read record is derived from its identity, so a source that publishes it again
# after a crash publishes the same event, and the sink's dedup by ce_id removes the copy.
_EVENT_ID_NAMESPACE = uuid.UUID("4f6b1c3e-2d7a-5b8e-9c0d-1e2f3a4b5c6d")


@dataclass(frozen=True)
class SourceEvent:
    """One event a source read from its agency's system, as plain JSON.

    ``identity`` names it in that system (a change id, a file's hash): the same identity
    always gets the same ce_id. Without one, every publication is a new event.
    """

    subject: str
    data: Mapping[str, Any]
    key: str
    identity: str | None = None
    recipients: Sequence[str] = ()
    correlation_id: str | None = None
    version: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class CheckedEvent:
    """A source event whose record fits its schema and breaks none of the standards' rules,
    with that record already in the codec's form (so it is converted and checked once)."""

    event: SourceEvent
    schema: SchemaVersion
    record: dict[str, Any]


@dataclass(frozen=True)
class BuiltEvent:
    envelope: Envelope
    record: OutgoingRecord


@dataclass(frozen=True)
class EventBuilder:
    """Builds records for one connector on one node, speaking for ``agency`` by default."""

    node: str
    connector: str
    agency: str
    codec: AvroCodec = field(default_factory=AvroCodec)
    directory: AgencyDirectory | None = None  # None: the contract's bundled directory
    # topic names by event type: named once, not per record
    _topics: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _validated: tuple[str, bytes] = field(
        default_factory=lambda: (VALIDATED_HEADER, ruleset_id().encode()), init=False, repr=False
    )

    def event_id(self, identity: str | None) -> str:
        if identity is None:
            return str(uuid.uuid4())
        return str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{self.node}/{self.connector}/{identity}"))

    def build(self, event: SourceEvent) -> BuiltEvent:
        """Validate and encode; a misfit raises RecordError with every problem, a record that
        breaks a rule of the standards ValidationError with every violation. The record is
        stamped with the rule set it passed (``lgsp-validated``), so the gateway need not
        decode it again."""
        schema = self.codec.catalog.get(event.subject, event.version)
        too_deep = json_depth_violation(event.data)
        if too_deep is not None:
            raise ValidationError(schema.subject, [too_deep])
        record = from_json(schema, dict(event.data))
        check(schema.subject, record, self.directory)
        return self.build_checked(CheckedEvent(event, schema, record))

    def build_checked(self, checked: CheckedEvent) -> BuiltEvent:
        """Encode an event already checked against its schema and the standards' rules (the
        webhook checks every request before it answers); its recipients must be agency
        codes (ContractError otherwise)."""
        event, schema = checked.event, checked.schema
        for code in event.recipients:
            AgencyCode.parse(code)
        envelope = Envelope.new(
            source=event.source or self.agency,
            type=schema.event_type,
            subject=event.key,
            dataschema=schema.dataschema,
            recipients=tuple(event.recipients),
            correlation_id=event.correlation_id,
        )
        if event.identity is not None:  # without one, the new envelope's random id stands
            envelope = envelope._replace(id=self.event_id(event.identity))
        value = self.codec.encode(schema, checked.record)
        topic = self._topics.get(schema.event_type)
        if topic is None:
            topic = self._topics[schema.event_type] = str(event_topic(self.node, schema.event_type))
        headers = [*envelope.to_headers(), self._validated]
        return BuiltEvent(envelope, OutgoingRecord(topic, value, event.key.encode(), headers))

    def parked_event(self, event: SourceEvent, code: str, reason: str) -> OutgoingRecord:
        """A source event that could not be published, kept as JSON in the connector's DLQ."""
        info = ParkInfo.first(
            code,
            reason,
            topic=f"connector:{self.connector}",
            partition=-1,
            offset=-1,
            at=datetime.now(UTC),
        )
        headers = [
            ("content-type", b"application/json"),
            ("lgsp-subject", event.subject.encode()),
            *info.to_headers(),
        ]
        return OutgoingRecord(
            connector_dlq_topic(self.node, self.connector),
            _json_bytes(event.data),
            event.key.encode(),
            headers,
        )

    def parked_record(
        self,
        *,
        value: bytes,
        key: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        info: ParkInfo,
    ) -> OutgoingRecord:
        """A consumed record a sink could not deliver, with its reason, in the connector's DLQ."""
        return OutgoingRecord(
            connector_dlq_topic(self.node, self.connector),
            value,
            key,
            [*without_park_headers(headers), *info.to_headers()],
        )


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    """The parked event as JSON; one nested too deep to write is kept as its outline."""
    try:
        return json.dumps(data, ensure_ascii=False, default=str).encode()
    except (RecursionError, ValueError):
        return json.dumps({"unreadable": "nested too deep to keep"}).encode()
