"""One partition number's transaction: its fetched records decided, their outputs produced,
the offsets that consumed them sent, all committed together or not at all.

A record's outputs (deliveries, retry or dead-letter copies, the routed-id marker) and the
offset that consumed it commit together, so a gateway killed at any instant neither loses
nor duplicates a routed record inside the cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition

from bus.wireformat import SINGLE_OBJECT, RecordEncoding
from gateway.metrics import GatewayMetrics
from gateway.routing.partition_state import PartitionState
from gateway.routing.processor import RecordProcessor
from gateway.routing.records import Outcome, OutcomeKind, Output
from gateway.routing.tracelog import log_line, log_values
from gateway.runtime.batching import TransactionBatches
from gateway.runtime.queues import Batch
from schemas.confluent import is_confluent
from schemas.errors import LgspError
from schemas.validation import VALIDATED_HEADER

log = structlog.get_logger("lgsp.gateway")


class Waiting(NamedTuple):
    """A retry tier's head that is not due: its partition waits at ``offset`` until ``due_at``."""

    tp: TopicPartition
    offset: int
    due_at: float


class TransactionResult(NamedTuple):
    """How a transaction ended: committed (with the offsets routed up to, and the tier heads
    to wait for), or aborted (nothing of it happened)."""

    committed: bool
    offsets: dict[TopicPartition, int]
    waiting: tuple[Waiting, ...] = ()


ABORTED = TransactionResult(False, {})


class PartitionTransactions:
    """Runs the transactions of one gateway process (one at a time per partition number)."""

    def __init__(
        self,
        processor: RecordProcessor,
        metrics: GatewayMetrics,
        topic_exists: Callable[[str], bool],
        *,
        group_id: str,
        routed_topic: str,
        route_log_topic: str,
        source_partitions: int,
    ) -> None:
        self._processor = processor
        self._metrics = metrics
        self._topic_exists = topic_exists
        self._group_id = group_id
        self._routed_topic = routed_topic
        self._route_log_topic = route_log_topic
        self._source_partitions = source_partitions
        self._partition_counts: dict[str, int] = {}  # of destinations, learnt once each
        self.wire = RecordEncoding(SINGLE_OBJECT, None)  # the gateway sets wire_format's

    async def run(
        self, partition: int, batch: Batch, producer: AIOKafkaProducer, state: PartitionState
    ) -> TransactionResult:
        """Decide and produce ``batch`` in one transaction; an error aborts it (and is logged)."""
        node, metrics = self._metrics.node, self._metrics
        started, now = time.perf_counter(), time.time()
        outcomes: list[Outcome] = []
        offsets: dict[TopicPartition, int] = {}
        waiting: list[Waiting] = []
        route_log: list[str] = []
        try:
            await producer.begin_transaction()
            reframed = bool(self.wire.config.confluent_topics)  # some outputs change format
            batches = TransactionBatches(producer, self._partition_counts, self._source_partitions)
            for tp, records in batch.items():
                for record in records:
                    if is_confluent(record.value or b""):
                        record = await self._readable(record)
                    outcome = self._processor.handle(record, state, now, self._topic_exists)
                    if outcome.kind is OutcomeKind.WAITING:
                        waiting.append(Waiting(tp, record.offset, outcome.due_at or now))
                        break
                    for out in outcome.outputs:
                        if reframed:
                            out = await self._framed(out)
                        if not batches.add_now(out, partition):
                            await batches.add(out, partition)
                    offsets[tp] = record.offset + 1
                    outcomes.append(outcome)
                    if outcome.kind is OutcomeKind.ROUTED and outcome.ce_id:
                        route_log.append(log_line(outcome.ce_id, record.key, outcome.deliveries))
            if route_log:
                # one dedup marker per transaction, read back by restore, and one route-log
                # record (what was routed where, for traces), committed with the deliveries
                routed_ids = [o.ce_id for o in outcomes if o.kind is OutcomeKind.ROUTED and o.ce_id]
                marker = "\n".join(routed_ids).encode()
                await batches.add(
                    Output(self._routed_topic, None, marker, (), partition), partition
                )
                for value in log_values(route_log):
                    await batches.add(
                        Output(self._route_log_topic, None, value, (), partition), partition
                    )
            # The offsets join the transaction while its records are still being acknowledged:
            # both must be in before the commit, in no particular order.
            steps = [batches.flush()]
            if offsets:
                steps.append(producer.send_offsets_to_transaction(offsets, self._group_id))
            await asyncio.gather(*steps)
            await producer.commit_transaction()
        except Exception as error:  # abort, rewind and rebuild: nothing half-done survives
            metrics.transactions.labels(node, "aborted").inc()
            log.warning("transaction_aborted", node=node, partition=partition, error=repr(error))
            with contextlib.suppress(Exception):
                await producer.abort_transaction()
            return ABORTED
        metrics.transactions.labels(node, "committed").inc()
        metrics.count(outcomes, time.perf_counter() - started)
        return TransactionResult(True, offsets, tuple(waiting))

    async def _readable(self, record: ConsumerRecord[bytes, bytes]) -> ConsumerRecord[bytes, bytes]:
        """A Confluent frame as single-object encoding, for admission, transforms and the
        retry and dead-letter copies. A frame that cannot be resolved loses its validation
        stamp, so admission parks it (LGSP-CODEC-CONFLUENT-UNRESOLVED) instead of routing
        bytes no reader can decode; a registry that is down aborts the transaction."""
        try:
            return replace(record, value=await self.wire.single_object(record.value or b""))
        except LgspError as error:
            if error.retriable:
                raise
            log.warning("confluent_frame_unresolved", code=error.code, reason=error.message)
            headers = [(k, v) for k, v in record.headers if k != VALIDATED_HEADER]
            return replace(record, headers=headers)

    async def _framed(self, out: Output) -> Output:
        """``out`` in its destination topic's format (wire_format.confluent_topics); a registry
        that is down aborts the transaction, which is retried."""
        if out.value is None or not self.wire.confluent_topic(out.topic):
            return out
        return out._replace(value=await self.wire.for_topic(out.topic, out.value))
