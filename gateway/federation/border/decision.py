"""What the border does with one record from another node, without Kafka: verify it, drop it
if it already crossed (same ce_id and recipients), let it into the node's event topic (with
signed receipts) or refuse it with its code, and append the decision to the audit chain.
``Border`` (``admission.py``) runs these decisions in its Kafka transactions.

A record's headers are read and its value hashed once (``verify.read_arrival``), for the
verification and the audit entry alike; the clock, topic names and metric children are looked
up once, not once a record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

import structlog
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter

from gateway.federation import errors
from gateway.federation.border.state import BorderState, audit_topic
from gateway.federation.border.verify import (
    Refusal,
    VerifiedRoots,
    read_arrival,
    verify_arrival,
)
from gateway.federation.metrics import FederationMetrics
from gateway.federation.receipts.receipt import RECEIPT_TYPE, make_receipts
from gateway.federation.trust.signing import NodeSigner
from gateway.federation.trust.store import TrustStore
from gateway.routing.records import Output
from schemas.catalog import SchemaCatalog
from schemas.codec import AvroCodec
from schemas.envelope import Envelope, format_time
from schemas.parking import ParkInfo
from schemas.topics import event_topic, gateway_topic

log = structlog.get_logger("lgsp.border")
Record: TypeAlias = ConsumerRecord[bytes, bytes]


def refused_topic(node: str) -> str:
    return gateway_topic(node, "border-refused")


class BorderDecisions:
    """The decisions of one node's border, with what they remember between records: the
    verified batch roots and their proven nodes, the clock, names and metric children."""

    def __init__(
        self,
        node: str,
        trust: TrustStore,
        signer: Callable[[], NodeSigner | None],
        catalog: SchemaCatalog,
        metrics: FederationMetrics,
        max_age: timedelta,
    ) -> None:
        self.node, self.trust, self.signer, self.metrics = node, trust, signer, metrics
        self.catalog, self.codec = catalog, AvroCodec(catalog)
        self.max_age = max_age
        self.roots = VerifiedRoots()
        self._accepted_children: dict[tuple[str, str], Counter] = {}
        self._event_topics: dict[str, str] = {}
        self._audit_topic = audit_topic(node)
        self._peers: dict[str, tuple[str, tuple[str, bytes]]] = {}  # topic -> peer, its header
        self._clock_ms = -1
        self._now = (datetime.now(UTC), "")

    def decide(self, record: Record, state: BorderState, routed: set[str]) -> list[Output]:
        """The outputs of one record's decision: the record in the event topic (and its
        receipts) or in the refusals, and its audit entry; a copy only its audit entry."""
        peer, peer_header = self._peer(record.topic)
        now, at = self._clock()
        registry = self.trust.registry
        assert registry is not None
        # the headers read and the value hashed once, for the verification and the audit entry
        arrival, unreadable = read_arrival(peer, record.headers, record.key, record.value)
        outcome = unreadable or verify_arrival(registry, arrival, now, self.max_age, self.roots)
        text = arrival.text
        recipients = text.get("ce_recipients")
        audit: dict[str, object] = {
            "at": at,
            "node": self.node,
            "peer": peer,
            "ce_id": text.get("ce_id"),
            "ce_type": text.get("ce_type"),
            "ce_source": text.get("ce_source"),
            "recipients": recipients,
            "value_sha256": arrival.value_sha256,
            "origin": f"{record.topic}/{record.partition}/{record.offset}",
        }
        if isinstance(outcome, Refusal):
            return self._refuse(record, state, audit, outcome, now)
        envelope = outcome.envelope
        audit["key_id"] = outcome.key_id
        key = state.dedup_key(envelope.id, recipients)
        if state.is_duplicate(key):
            self.metrics.duplicates.labels(self.node, peer).inc()
            audit["decision"] = "duplicate"
            return [self._audit_output(state.append_encoded(audit))]
        if envelope.type not in routed:
            del audit["key_id"]  # a refusal's entry names its code and reason instead
            refusal = Refusal(errors.NO_ROUTE, f"{self.node} has no route for {envelope.type}")
            return self._refuse(record, state, audit, refusal, now)
        audit["decision"] = "accepted"
        entry = state.append_encoded(audit, key, at=now)
        self._accepted(peer, envelope.type).inc()
        headers = [*record.headers, peer_header]
        outputs = [
            Output(self._event_topic(envelope.type), record.key, record.value, headers),
            self._audit_output(entry),
        ]
        if envelope.type != RECEIPT_TYPE and RECEIPT_TYPE in routed:
            outputs += self._receipts(record, envelope)
        return outputs

    def _peer(self, topic: str) -> tuple[str, tuple[str, bytes]]:
        """The peer an inbound topic comes from, and the header that says so on its records."""
        found = self._peers.get(topic)
        if found is None:
            peer = topic.rsplit(".", 1)[1]
            found = self._peers[topic] = (peer, ("lgsp-border-from", peer.encode()))
        return found

    def _clock(self) -> tuple[datetime, str]:
        """Now, to the millisecond the audit entry's ``at`` carries, and that text (formatted
        once a millisecond, not once a record)."""
        ms = time.time_ns() // 1_000_000
        if ms != self._clock_ms:
            now = datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000)
            self._clock_ms, self._now = ms, (now, format_time(now))
        return self._now

    def _accepted(self, peer: str, event_type: str) -> Counter:
        """The accepted counter of (peer, type), looked up once (``labels`` takes a lock)."""
        child = self._accepted_children.get((peer, event_type))
        if child is None:
            child = self.metrics.accepted.labels(self.node, peer, event_type)
            self._accepted_children[(peer, event_type)] = child
        return child

    def _event_topic(self, event_type: str) -> str:
        topic = self._event_topics.get(event_type)
        if topic is None:
            topic = self._event_topics[event_type] = str(event_topic(self.node, event_type))
        return topic

    def _refuse(
        self,
        record: Record,
        state: BorderState,
        audit: dict[str, object],
        refusal: Refusal,
        now: datetime,
    ) -> list[Output]:
        peer = str(audit["peer"])
        self.metrics.refused.labels(self.node, peer, refusal.code).inc()
        log.warning(
            "border_refused",
            node=self.node,
            peer=peer,
            code=refusal.code,
            reason=refusal.reason,
            ce_id=audit["ce_id"],
        )
        audit.update(decision="refused", code=refusal.code, reason=refusal.reason)
        entry = state.append_encoded(audit)
        park = ParkInfo.of_record(record, refusal.code, refusal.reason, at=now)
        headers = [*record.headers, *park.to_headers()]
        return [
            Output(refused_topic(self.node), record.key, record.value, headers),
            self._audit_output(entry),
        ]

    def _receipts(self, record: Record, envelope: Envelope) -> list[Output]:
        signer, registry = self.signer(), self.trust.registry
        assert signer is not None and registry is not None
        node_entry = registry.nodes.get(self.node)
        if node_entry is None:
            return []
        schema = self.catalog.for_event_type(RECEIPT_TYPE)
        topic = str(event_topic(self.node, RECEIPT_TYPE))
        outputs = []
        for headers, receipt in make_receipts(
            envelope, record.key, record.value, self.node, node_entry.operator, signer, schema
        ):
            value = self.codec.encode(schema, receipt)
            outputs.append(Output(topic, record.key, value, headers.to_headers()))
        self.metrics.receipts.labels(self.node).inc(len(outputs))
        return outputs

    def _audit_output(self, entry: tuple[dict[str, object], bytes]) -> Output:
        fields, value = entry
        return Output(self._audit_topic, str(fields["seq"]).encode(), value, [])
