"""The sender's view of receipts: every ``vn.gov.delivery.receipt.v1`` event that reached this
node, read from its event topic, for one business key (document id), each signature checked.
Receipts this node issued itself (for records it received) pass through the same topic and
are left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition

from bus.kafka import LogReader, topic_partitions
from bus.kafka.access import ClusterAccess
from gateway.federation.receipts.receipt import RECEIPT_TYPE, CheckedReceipt, check_receipt
from gateway.federation.trust.registry import TrustRegistry
from schemas.codec import AvroCodec
from schemas.envelope import format_time
from schemas.topics import event_topic


@dataclass(frozen=True, slots=True)
class ReceiptView:
    receipt: CheckedReceipt

    def as_json(self) -> dict[str, Any]:
        r = self.receipt
        return {
            "recipient": r.recipient,
            "received_at": format_time(r.received_at),
            "receiving_node": r.receiving_node,
            "event_id": r.event_id,
            "key_id": r.key_id,
            "signature_valid": r.valid,
            "problem": r.problem,
        }


async def receipts_for(
    cluster: ClusterAccess, node: str, business_key: str, registry: TrustRegistry
) -> list[ReceiptView]:
    topic = str(event_topic(node, RECEIPT_TYPE))
    bootstrap, security = cluster.bootstrap_servers, cluster.security
    partitions = await topic_partitions(bootstrap, [topic], security=security)
    codec = AvroCodec()
    wanted = business_key.encode()
    found = []
    async with LogReader(bootstrap, security=security) as reader:
        starts: dict[TopicPartition, int | None] = dict.fromkeys(partitions)
        for record in await reader.read(starts):
            if record.key != wanted or not record.value:
                continue
            receipt = codec.decode(record.value)
            if receipt["receivingNode"] != node:  # not the ones this node issued to others
                found.append(ReceiptView(check_receipt(registry, receipt)))
    return sorted(found, key=lambda v: (v.receipt.received_at, v.receipt.recipient))
