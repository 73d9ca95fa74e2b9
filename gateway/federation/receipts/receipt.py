"""Signed delivery receipts (biên nhận): the recipient's node attests, for each recipient
agency, that it received a record, and sends the receipt back to the sender as a
``vn.gov.delivery.receipt.v1`` event. The sender's node keeps them and answers, per document,
who received it and when, each receipt checked against the trust registry.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.federation.trust.canonical import canonical_json
from gateway.federation.trust.registry import TrustRegistry
from gateway.federation.trust.signing import NodeSigner, algorithm_of, sign_bytes, verify_bytes
from schemas.catalog import SchemaVersion
from schemas.envelope import Envelope

RECEIPT_TYPE = "vn.gov.delivery.receipt.v1"
_SIGNED_FIELDS = (
    "receiptId",
    "eventId",
    "eventType",
    "businessKey",
    "senderAgency",
    "recipientAgency",
    "receivingNode",
    "valueSha256",
    "receivedAt",
    "signatureAlgorithm",
    "keyId",
)


def _signed_part(receipt: dict[str, Any]) -> bytes:
    fields = {name: receipt[name] for name in _SIGNED_FIELDS}
    received: datetime = fields["receivedAt"]
    fields["receivedAt"] = int(received.timestamp() * 1000)
    return canonical_json(fields)


def make_receipts(
    envelope: Envelope,
    key: bytes | None,
    value: bytes | None,
    node: str,
    operator: str,
    signer: NodeSigner,
    schema: SchemaVersion,
) -> list[tuple[Envelope, dict[str, Any]]]:
    """One signed receipt per recipient of a record accepted at the border."""
    now = datetime.now(UTC).replace(microsecond=0)
    digest = hashlib.sha256(value or b"").hexdigest()
    business_key = (key or b"").decode("utf-8", "replace")
    receipts = []
    for recipient in envelope.recipients:
        receipt: dict[str, Any] = {
            "receiptId": str(uuid.uuid4()),
            "eventId": envelope.id,
            "eventType": envelope.type,
            "businessKey": business_key,
            "senderAgency": envelope.source,
            "recipientAgency": recipient,
            "receivingNode": node,
            "valueSha256": digest,
            "receivedAt": now,
            "signatureAlgorithm": algorithm_of(signer.key),
            "keyId": signer.key_id,
        }
        receipt["signature"] = sign_bytes(signer.key, _signed_part(receipt))
        headers = Envelope.new(
            source=operator,
            type=RECEIPT_TYPE,
            dataschema=schema.dataschema,
            recipients=[envelope.source],
            correlation_id=envelope.id,
            traceparent=envelope.traceparent,
        )
        receipts.append((headers, receipt))
    return receipts


@dataclass(frozen=True, slots=True)
class CheckedReceipt:
    recipient: str
    received_at: datetime
    receiving_node: str
    event_id: str
    key_id: str
    valid: bool
    problem: str | None = None


def check_receipt(registry: TrustRegistry, receipt: dict[str, Any]) -> CheckedReceipt:
    """Verify a receipt's signature with the receiving node's key from the registry."""
    entry = registry.key(receipt["keyId"])
    problem = None
    if entry is None:
        problem = f"key {receipt['keyId']} is not in the trust registry"
    elif entry.node != receipt["receivingNode"]:
        problem = f"key {receipt['keyId']} belongs to {entry.node}, not {receipt['receivingNode']}"
    elif not verify_bytes(entry.key, receipt["signature"], _signed_part(receipt)):
        problem = "signature does not match the receipt"
    return CheckedReceipt(
        receipt["recipientAgency"],
        receipt["receivedAt"],
        receipt["receivingNode"],
        receipt["eventId"],
        receipt["keyId"],
        problem is None,
        problem,
    )
