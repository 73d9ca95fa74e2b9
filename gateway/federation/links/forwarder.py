"""A federation link: forward the records a node's gateway put in its outbox for a peer
(``lgsp.<node>.link.<peer>``) to the peer's cluster (``lgsp.<peer>.border.<node>``), each
signed with this node's key.

At least once across clusters: the local offsets are committed only after the peer's brokers
acknowledged the batch (idempotent producer, acks=all). Several batches are in flight at once
(``WindowLimits``: batches and bytes), and offsets are committed in order, only up to the
oldest batch not yet acknowledged (``window.AckWindow``). A crash or a peer outage resends
every batch after the last commit; the peer's border drops the copies by ce_id. Per-key order
holds: one partition of the outbox is forwarded in order, to the partition of the same key on
the peer (the idempotent producer keeps a partition's batches in order).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord

from bus.backoff import Backoff
from bus.kafka import TopicSpec, ensure_topics
from bus.kafka.access import ClusterAccess
from bus.kafka.diagnose import connection_error
from bus.kafka.factory import new_consumer, new_producer
from bus.kafka.stopping import stop_client
from gateway.federation.config import SigningMode
from gateway.federation.links.control import LinkControl
from gateway.federation.links.failures import LinkFailure, classify
from gateway.federation.links.outbox import outbox_lag, rewind
from gateway.federation.links.signing import batch_signed_headers, signed_headers
from gateway.federation.links.window import AckWindow, WindowLimits
from gateway.federation.metrics import FederationMetrics
from gateway.federation.trust.signing import NodeSigner
from gateway.federation.trust.store import TrustStore
from gateway.routing.records import Output
from gateway.routing.retry_tiers import parse_delay
from gateway.routing.tracelog import DEFAULT_RETENTION, LINK_LOG, log_line, log_values
from gateway.runtime.batching import TransactionBatches
from schemas.topics import border_topic, gateway_topic, link_topic

log = structlog.get_logger("lgsp.link")
Record: TypeAlias = ConsumerRecord[bytes, bytes]
# ticket -> (the peer's acknowledgements, the batch)
InFlight: TypeAlias = dict[int, tuple["asyncio.Future[Any]", dict[TopicPartition, list[Record]]]]


class Link:
    """Forwards one outbox to one peer until cancelled."""

    def __init__(
        self,
        node: str,
        peer: str,
        local: ClusterAccess,
        peer_cluster: Callable[[], ClusterAccess],
        partitions: int,
        signer: Callable[[], NodeSigner | None],
        trust: TrustStore,
        control: LinkControl,
        metrics: FederationMetrics,
        max_batch: int = 1000,
        signing: SigningMode = "batch",
        window: WindowLimits | None = None,
    ) -> None:
        self.node, self.peer = node, peer
        self.signing = signing
        self.window = window or WindowLimits()
        self._partition_counts: dict[str, int] = {}
        self.local, self.peer_cluster = local, peer_cluster
        self.partitions = partitions
        self.signer = signer
        self.trust, self.control, self.metrics = trust, control, metrics
        self.max_batch = max_batch
        self.outbox = link_topic(node, peer)
        self.destination = border_topic(peer, node)
        self.link_log = gateway_topic(node, LINK_LOG)
        self.connected = asyncio.Event()

    async def run(self) -> None:
        # the gateway creates the link log with node.yaml's retention; this is for a link
        # that starts first
        retention = str(int(parse_delay(DEFAULT_RETENTION) * 1000))
        await ensure_topics(
            self.local.bootstrap_servers,
            [
                TopicSpec(self.outbox, self.partitions),
                TopicSpec(self.link_log, 1, configs={"retention.ms": retention}),
            ],
            security=self.local.security,
            replication=self.local.replication,
        )
        crossings = new_producer(
            self.local.bootstrap_servers,
            self.local.security,
            client_id=f"lgsp-link-{self.node}-{self.peer}-log",
            linger_ms=0,
        )
        await crossings.start()
        try:
            await self._run(crossings)
        finally:
            await stop_client(crossings, f"link log producer of {self.peer}")

    async def _run(self, crossings: AIOKafkaProducer) -> None:
        consumer = new_consumer(
            self.local.bootstrap_servers,
            self.local.security,
            self.outbox,
            group_id=f"lgsp-link-{self.node}-{self.peer}",
            client_id=f"lgsp-link-{self.node}-{self.peer}",
            max_poll_records=self.max_batch,
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        try:
            backoff = Backoff(first_s=0.5, max_s=10.0)
            while True:
                try:
                    await self._forward(consumer, crossings)
                except Exception as error:  # the peer is down or refuses us: retry the batch
                    self.connected.clear()
                    failure = await self._diagnose(error)
                    self._failing(failure)
                    self.metrics.link_errors.labels(self.node, self.peer).inc()
                    delay = backoff.next()
                    (log.error if failure.needs_operator else log.warning)(
                        "link_down",
                        node=self.node,
                        peer=self.peer,
                        code=failure.value,
                        error=repr(error),
                        retry_in_s=delay,
                    )
                    await rewind(consumer)
                    await asyncio.sleep(delay)
                else:
                    backoff.reset()
        finally:
            await stop_client(consumer, f"link consumer to {self.peer}")

    async def _forward(self, consumer: AIOKafkaConsumer, crossings: AIOKafkaProducer) -> None:
        # Read at every attempt: a password or CA file fixed by the operator is used at the
        # next retry, without a restart.
        peer = self.peer_cluster()
        # The peer's border creates this topic; a link granted only its write (grant-link)
        # finds it there, and waits (retrying) while it is not.
        await ensure_topics(
            peer.bootstrap_servers,
            [TopicSpec(self.destination, self.partitions)],
            security=peer.security,
            replication=peer.replication,
        )
        producer = new_producer(
            peer.bootstrap_servers,
            peer.security,
            client_id=f"lgsp-link-{self.node}-{self.peer}",
            linger_ms=5,
            max_batch_size=256 * 1024,
            request_timeout_ms=15_000,
        )
        await producer.start()
        self._failing(None)
        self.connected.set()
        log.info("link_connected", node=self.node, peer=self.peer, topic=self.destination)
        last_lag = 0.0
        window: AckWindow[TopicPartition] = AckWindow(self.window)
        in_flight: InFlight = {}
        try:
            while True:
                if time.monotonic() - last_lag > 2.0:
                    await self._report_lag(consumer)
                    last_lag = time.monotonic()
                if not self._may_forward():
                    await self._settle(consumer, crossings, window, in_flight, drain=True)
                    consumer.pause(*consumer.assignment())
                    await asyncio.sleep(0.5)
                    continue
                consumer.resume(*consumer.assignment())
                await self._settle(consumer, crossings, window, in_flight, drain=False)
                batch = await consumer.getmany(
                    timeout_ms=20 if in_flight else 200, max_records=self.max_batch
                )
                if batch:
                    # the position is past the batch and any transaction markers after it
                    positions = {tp: await consumer.position(tp) for tp in batch}
                    acks, size = await self._send(producer, batch)
                    in_flight[window.open(positions, size)] = (acks, batch)
        finally:
            for acks, _ in in_flight.values():  # abandoned: the batches are sent again
                acks.add_done_callback(_retrieve)
            await stop_client(producer, f"link producer to {self.peer}")

    async def _settle(
        self,
        consumer: AIOKafkaConsumer,
        crossings: AIOKafkaProducer,
        window: AckWindow[TopicPartition],
        in_flight: InFlight,
        *,
        drain: bool,
    ) -> None:
        """Commit what the peer acknowledged, in order; wait while the window is full (or, with
        ``drain``, until nothing is in flight). A batch the peer refused raises its error."""
        while in_flight:
            done = [ticket for ticket, (acks, _) in in_flight.items() if acks.done()]
            if not done:
                if not (drain or window.full):
                    return
                await asyncio.wait(
                    [acks for acks, _ in in_flight.values()],
                    timeout=1.0,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                continue
            committable: dict[TopicPartition, int] = {}
            for ticket in sorted(done):
                acks, batch = in_flight.pop(ticket)
                acks.result()
                await self._log_crossed(crossings, batch)  # before its commit
                committable.update(window.acknowledged(ticket))
                self.metrics.forwarded.labels(self.node, self.peer).inc(
                    sum(len(records) for records in batch.values())
                )
            if committable:
                await consumer.commit(committable)

    async def _diagnose(self, error: Exception) -> LinkFailure:
        """The failure behind ``error``; when aiokafka hid it ("Unable to bootstrap"), one
        direct connection to the peer with the same security tells it."""
        failure = classify(error)
        if failure is LinkFailure.DOWN and isinstance(error, KafkaConnectionError):
            peer = self.peer_cluster()
            found = await connection_error(peer.bootstrap_servers, peer.security)
            failure = classify(found) if found is not None else failure
        return failure

    def _failing(self, failure: LinkFailure | None) -> None:
        """Export which failure (if any) holds the link: 1 for it, 0 for the others."""
        for each in LinkFailure:
            self.metrics.link_failing.labels(self.node, self.peer, each.value).set(
                1 if each is failure else 0
            )

    def _may_forward(self) -> bool:
        paused = self.control.paused(self.peer)
        stale = not self.trust.usable()
        self.metrics.link_paused.labels(self.node, self.peer, "operator").set(int(paused))
        self.metrics.link_paused.labels(self.node, self.peer, "trust").set(int(stale))
        return not paused and not stale and self.signer() is not None

    async def _send(
        self, producer: AIOKafkaProducer, batch: dict[TopicPartition, list[Record]]
    ) -> tuple[asyncio.Future[Any], int]:
        """Sign and hand one batch to the producer: its acknowledgements (not awaited) and its
        size in bytes."""
        signer = self.signer()
        assert signer is not None
        started = time.perf_counter()
        records = [r for rs in batch.values() for r in rs]
        if self.signing == "batch":
            headers = batch_signed_headers([(r.headers, r.key, r.value) for r in records], signer)
        else:
            headers = [signed_headers(r.headers, r.key, r.value, signer) for r in records]
        self.metrics.sign_seconds.labels(self.node).observe(
            (time.perf_counter() - started) / max(len(records), 1)
        )
        batches = TransactionBatches(producer, self._partition_counts, self.partitions)
        size = 0
        for record, signed in zip(records, headers, strict=True):
            output = Output(self.destination, record.key, record.value, signed)
            if not batches.add_now(output, record.partition):
                await batches.add(output, record.partition)
            size += len(record.key or b"") + len(record.value or b"")
        return await batches.submit(), size

    async def _log_crossed(
        self, crossings: AIOKafkaProducer, batch: dict[TopicPartition, list[Record]]
    ) -> None:
        """One link-log record for a batch the peer acknowledged (routing/tracelog.py): what
        crossed, to whom, when. Before the commit: a crash in between resends the batch and
        logs it again, so every crossing is logged at least once."""
        lines = []
        for records in batch.values():
            for r in records:
                ce_id = next((v for k, v in r.headers if k == "ce_id"), b"").decode()
                lines.append(log_line(ce_id, r.key, self.peer))
        sent = [await crossings.send(self.link_log, v, partition=0) for v in log_values(lines)]
        await asyncio.gather(*sent)

    async def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        lag = await outbox_lag(consumer)
        if lag is not None:
            self.metrics.link_lag.labels(self.node, self.peer).set(lag)


def _retrieve(acks: asyncio.Future[Any]) -> None:
    """Read an abandoned batch's outcome, so asyncio does not report it as never retrieved."""
    if not acks.cancelled():
        acks.exception()
