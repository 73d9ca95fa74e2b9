"""An experiment for ``federation_bench.py --pull``: the border reading the sender's outbox on
the sender's cluster itself, one consume-produce hop instead of the link's and the border's two.

The records wait in A already batch-signed (in production the sending gateway would sign them
as it routes them; that cost is the bench's ``signing`` figure, paid once a record either way).
The border's consumer has no group: the offsets it consumed go into its own transaction on B,
as records of a compacted topic (``lgsp.<node>.gateway.border-offsets``), the way MirrorMaker
2's exactly-once source connector stores them. Restoring them at start is left out here (the
bench starts from the beginning); what is measured is the steady hop.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.kafka import OutgoingRecord, TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.factory import new_consumer
from gateway.federation.border.admission import Border
from gateway.federation.links.signing import batch_signed_headers
from gateway.federation.trust.signing import NodeSigner
from schemas.topics import gateway_topic


def offsets_topic(node: str) -> str:
    return gateway_topic(node, "border-offsets")


async def ensure_offsets_topic(bootstrap: str, node: str) -> None:
    spec = TopicSpec(offsets_topic(node), 1, configs={"cleanup.policy": "compact"})
    await ensure_topics(bootstrap, [spec])


def signed_batches(
    records: list[OutgoingRecord], signer: NodeSigner, size: int = 1000
) -> list[OutgoingRecord]:
    """``records`` signed a batch of ``size`` at a time, as a routing gateway would."""
    out: list[OutgoingRecord] = []
    for start in range(0, len(records), size):
        chunk = records[start : start + size]
        headers = batch_signed_headers([(r.headers, r.key, r.value) for r in chunk], signer)
        out.extend(
            OutgoingRecord(r.topic, r.value, r.key, h) for r, h in zip(chunk, headers, strict=True)
        )
    return out


class PullBorder(Border):
    """A border whose inbound topics are read from ``source`` (the sender's cluster)."""

    def __init__(self, source: ClusterAccess, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.source = source
        self._offsets_topic = offsets_topic(self.node)

    def _consumer(self, inbound: list[str]) -> AIOKafkaConsumer:
        return new_consumer(
            self.source.bootstrap_servers,
            self.source.security,
            *inbound,
            group_id=None,
            max_poll_records=self.max_batch,
            fetch_max_wait_ms=100,
        )

    async def _commit_offsets(
        self, producer: AIOKafkaProducer, offsets: dict[TopicPartition, int]
    ) -> None:
        for tp, offset in offsets.items():
            await producer.send(
                self._offsets_topic,
                str(offset).encode(),
                key=f"{tp.topic}:{tp.partition}".encode(),
                partition=0,
            )
